"""Writers of the integrations app (the public entry points; the machinery lives in its modules).

- `outbox_enqueue` (called by the exceptions app in the decision's transaction)
- inbox: `inbox_ingest`, `inbox_retry` (integrations.inbox); files: `file_import` (integrations.files.importers);
  EDI: `edi_ingest` (integrations.edi_ingest); ERP: `erp_pull` (integrations.erp.sync); outbox: `outbox_relay`,
  `outbox_requeue` (integrations.outbox); webhooks: `webhook_receive`, `webhook_secret_rotate`
  (integrations.webhooks); data quality: `data_quality_issue_resolve` (integrations.quality)
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from psycopg.errors import UniqueViolation

from replenish.bulk import copy_values, is_postgres
from replenish.core.audit import audit_record

from .models import OutboxMessage
from .outbox import kick_relay


def outbox_enqueue(
    *,
    kind: str,
    idempotency_key: str,
    payload: dict,
    subject_type: str = "",
    subject_id: str | int = "",
    kick: bool = True,
) -> OutboxMessage:
    """Queue an action for the ERP inside the caller's transaction; the same key twice is one message.

    The relay is triggered when the transaction commits (and runs on a schedule anyway), so a broker outage at
    that moment delays the posting but never loses it. A caller queueing many messages in one transaction passes
    kick=False and calls `outbox_kick_on_commit()` once (one relay task, not one per message).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox messages are written in the same transaction as the decision")
    message, created = OutboxMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "payload": payload,
            "subject_type": subject_type,
            "subject_id": str(subject_id),
        },
    )
    if not created and message.status == OutboxMessage.Status.DEAD:
        # decided again after the ERP refused it (issue 13 item 4): the same key carries the new values, so the
        # ERP, which keeps no key it refused, sees the action once
        _outbox_rearm(message, kind=kind, payload=payload)
        created = True
    if created and kick:
        outbox_kick_on_commit()
    return message


def outbox_enqueue_many(messages: list[dict]) -> int:
    """Queue many new actions (dicts of outbox_enqueue's arguments, fresh keys: a refresh's auto-executions) in the
    caller's transaction with one INSERT per batch and one relay kick; a key already queued is left as it is.
    Returns how many were given."""
    if not messages:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox messages are written in the same transaction as the decision")
    rows = [
        {
            "kind": m["kind"],
            "idempotency_key": m["idempotency_key"],
            "payload": m["payload"],
            "subject_type": m.get("subject_type", ""),
            "subject_id": str(m.get("subject_id", "")),
        }
        for m in messages
    ]
    if is_postgres():
        # The keys are usually all new (a refresh's tasks were just created): one COPY into the table, in a
        # savepoint. Only when a key is already there is the batch copied again, through ON CONFLICT DO NOTHING
        # (a temporary table, then INSERT ... SELECT: twice the writing, for every message).
        try:
            with transaction.atomic():
                copy_values(OutboxMessage, rows)
        except (IntegrityError, UniqueViolation):  # COPY's own error is psycopg's, not wrapped by Django
            copy_values(OutboxMessage, rows, ignore_conflicts=True)
    else:
        copy_values(OutboxMessage, rows, ignore_conflicts=True)
    outbox_kick_on_commit()
    return len(messages)


def outbox_kick_on_commit() -> None:
    """Trigger the relay once the caller's transaction commits."""
    transaction.on_commit(kick_relay, robust=True)


def _outbox_rearm(message: OutboxMessage, *, kind: str, payload: dict) -> None:
    previous = {"attempts": message.attempts, "last_error": message.last_error}
    message.kind, message.payload, message.status = kind, payload, OutboxMessage.Status.PENDING
    message.attempts, message.next_attempt_at, message.claimed_until = 0, None, None
    message.save(update_fields=["kind", "payload", "status", "attempts", "next_attempt_at", "claimed_until"])
    audit_record(
        kind="system",
        action="outbox_rearmed",
        actor=None,
        subject_type="outbox_message",
        subject_id=message.pk,
        payload={"idempotency_key": message.idempotency_key, **previous},
    )
