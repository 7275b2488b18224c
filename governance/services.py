"""Writers of the governance app."""

from __future__ import annotations

from django.db import transaction

from . import audit
from .models import AuditEvent


def audit_record(*, kind: str, action: str, actor, subject_type: str, subject_id: str | int,
                 payload: dict | None = None) -> AuditEvent:
    """Record an audit event; call it inside the transaction that makes the change."""
    return audit.append(kind=kind, action=action, actor=actor, subject_type=subject_type, subject_id=subject_id,
                        payload=payload or {})


def audit_refusal(*, actor, action: str, subject_type: str, subject_id: str | int, reason: str,
                  payload: dict | None = None) -> AuditEvent:
    """Log a refused attempt in its own transaction (the refused change itself is rolled back)."""
    with transaction.atomic():
        return audit.append(kind=AuditEvent.Kind.REFUSED, action=action, actor=actor, subject_type=subject_type,
                            subject_id=subject_id, payload={"reason": reason, **(payload or {})})
