"""The errors every service raises; views and the API map them to 403 / 409 / 400 with clear words."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400


class NotAllowed(ServiceError):
    """Refused (403); the attempt has already been written to the audit trail."""

    status = 403


class StaleVersion(ServiceError):
    """Someone else changed the row since it was read (409)."""

    status = 409


class InvalidInput(ServiceError):
    """Field-level messages: {field: message}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
