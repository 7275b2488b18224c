"""Errors of the exceptions services; views and the API map them to 409 / 403 / 400 with clear words.

They extend the governance errors, so a caller that handles those handles these too.
"""

from __future__ import annotations

from replenish.core import errors as core_errors


class StaleVersion(core_errors.StaleVersion):
    """Someone else decided or the refresh changed the exception since it was read (409).

    `current` is the fresh exception, so the caller can show the row as it now is.
    """

    def __init__(self, message: str, *, current=None):
        self.current = current
        super().__init__(message)


class NotAllowed(core_errors.NotAllowed):
    """Refused (403); the attempt has been written to the audit trail (kind "refused")."""


class InvalidInput(core_errors.InvalidInput):
    """Field-level messages {field: message}; nothing was changed."""
