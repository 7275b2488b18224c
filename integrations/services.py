"""Writers of the integrations app."""

from __future__ import annotations

from django.db import transaction

from .models import OutboxMessage


def outbox_enqueue(*, kind: str, idempotency_key: str, payload: dict, subject_type: str = "",
                   subject_id: str | int = "") -> OutboxMessage:
    """Queue an action for the ERP inside the caller's transaction; the same key twice is one message."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox messages are written in the same transaction as the decision")
    message, _created = OutboxMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={"kind": kind, "payload": payload, "subject_type": subject_type, "subject_id": str(subject_id)},
    )
    return message
