"""Errors of the governance services; views map them to 403 / 409 / form errors."""

from __future__ import annotations


class GovernanceError(Exception):
    status = 400


class NotAllowed(GovernanceError):
    """Refused (403); the attempt has already been written to the audit trail."""

    status = 403


class StaleVersion(GovernanceError):
    """Someone else changed the row since it was read (409)."""

    status = 409


class InvalidInput(GovernanceError):
    """Field-level messages: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
