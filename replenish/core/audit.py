"""The audit chain: keyed hashing, appending under a lock, and verification.

Every app records through `audit_record` (inside the transaction that makes the change) and `audit_refusal` (a
refused attempt, in its own transaction).

Each link is HMAC-SHA256, keyed with settings.AUDIT_HMAC_KEY (from the environment, never in the database), over
the canonical JSON of (sequence, previous hash, the event's fields). Someone who can write the table but does not
hold the key cannot recompute a chain that verifies. The database refuses UPDATE, DELETE and (PostgreSQL) TRUNCATE
by triggers; a truncation by someone able to switch them off is caught by the day's head checkpointed outside the
database (replenish/core/checkpoints.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .checks import audit_key_required
from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot audit a {type(value).__name__}")


def canonical_payload(payload: dict) -> dict:
    """The payload as it will read back from the JSON column (Decimals and dates as strings)."""
    return json.loads(json.dumps(payload, default=_default, sort_keys=True))


def audit_key() -> bytes:
    """The chain's HMAC key (settings.AUDIT_HMAC_KEY, read from the environment); never an empty one."""
    audit_key_required()
    return str(settings.AUDIT_HMAC_KEY).encode()


def event_body(
    *,
    sequence: int,
    previous_hash: str,
    kind: str,
    action: str,
    actor_name: str,
    subject_type: str,
    subject_id: str,
    payload: dict,
    created_at: datetime,
) -> bytes:
    """The canonical bytes one link signs."""
    return json.dumps(
        {
            "sequence": sequence,
            "previous_hash": previous_hash,
            "kind": kind,
            "action": action,
            "actor": actor_name,
            "subject_type": subject_type,
            "subject_id": str(subject_id),
            "payload": payload,
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        },
        sort_keys=True,
        separators=(",", ":"),
        default=_default,
    ).encode()


def event_hash(*, key: bytes | None = None, **fields: Any) -> str:
    """HMAC-SHA256 of the event's canonical body, keyed with the chain key (see module docstring)."""
    return hmac.new(key if key is not None else audit_key(), event_body(**fields), hashlib.sha256).hexdigest()


def append(
    *, kind: str, action: str, actor, subject_type: str, subject_id: str | int, payload: dict
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction (the change and its audit commit together)."""
    (event,) = audit_records([AuditEntry(kind, action, subject_type, subject_id, payload)], actor=actor)
    return event


def _locked_head() -> AuditChainHead:
    """The chain's head, locked until the caller's transaction ends (created on the first event)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


class AuditEntry(NamedTuple):
    """One event of a batch for `audit_records` (the arguments of `audit_record`)."""

    kind: str
    action: str
    subject_type: str
    subject_id: str | int
    payload: dict


def audit_records(entries: list[AuditEntry], *, actor=None) -> list[AuditEvent]:
    """Append these events, in order, inside the caller's transaction: the same links `append` writes one by one
    (each event its own sequence, hash and creation time), under one lock of the head, in one bulk insert and one
    update of the head (a refresh records thousands)."""
    if not entries:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events are written in the same transaction as the change they record")
    head = _locked_head()
    key = audit_key()
    actor_name = getattr(actor, "username", "") or "system"
    actor_ref = actor if getattr(actor, "pk", None) else None
    sequence, previous = head.sequence, head.hash
    events = []
    for entry in entries:
        sequence += 1
        created_at = timezone.now()
        clean = canonical_payload(entry.payload)
        digest = event_hash(
            key=key,
            sequence=sequence,
            previous_hash=previous,
            kind=entry.kind,
            action=entry.action,
            actor_name=actor_name,
            subject_type=entry.subject_type,
            subject_id=str(entry.subject_id),
            payload=clean,
            created_at=created_at,
        )
        events.append(
            AuditEvent(
                sequence=sequence,
                kind=entry.kind,
                action=entry.action,
                actor=actor_ref,
                actor_name=actor_name,
                subject_type=entry.subject_type,
                subject_id=str(entry.subject_id),
                payload=clean,
                created_at=created_at,
                previous_hash=previous,
                hash=digest,
            )
        )
        previous = digest
    AuditEvent.objects.bulk_create(events, batch_size=2_000)
    AuditChainHead.objects.filter(pk=1).update(sequence=sequence, hash=previous)
    return events


def audit_record(
    *, kind: str, action: str, actor, subject_type: str, subject_id: str | int, payload: dict | None = None
) -> AuditEvent:
    """Record an audit event; call it inside the transaction that makes the change."""
    return append(
        kind=kind,
        action=action,
        actor=actor,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload or {},
    )


def audit_refusal(
    *, actor, action: str, subject_type: str, subject_id: str | int, reason: str, payload: dict | None = None
) -> AuditEvent:
    """Log a refused attempt in its own transaction (the refused change itself is rolled back)."""
    with transaction.atomic():
        return append(
            kind=AuditEvent.Kind.REFUSED,
            action=action,
            actor=actor,
            subject_type=subject_type,
            subject_id=subject_id,
            payload={"reason": reason, **(payload or {})},
        )


@dataclass(frozen=True)
class BrokenLink:
    sequence: int
    event_id: int
    problem: str

    def __str__(self) -> str:
        return f"audit event #{self.sequence} (id {self.event_id}): {self.problem}"


def _events(batch: int = 5_000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(sequence__gt=last).order_by("sequence")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].sequence


def verify_chain() -> tuple[int, BrokenLink | None]:
    """Walk the chain from the first event; return how many events verified and the first broken link, if any."""
    key = audit_key()
    previous_hash = GENESIS
    expected_sequence = 1
    checked = 0
    for event in _events():
        if event.sequence != expected_sequence:
            return checked, BrokenLink(
                event.sequence,
                event.pk,
                f"sequence jumps from {expected_sequence - 1} to {event.sequence}: "
                f"{event.sequence - expected_sequence} event(s) missing",
            )
        if event.previous_hash != previous_hash:
            return checked, BrokenLink(
                event.sequence, event.pk, "its previous-hash does not match the event before"
            )
        digest = event_hash(
            key=key,
            sequence=event.sequence,
            previous_hash=event.previous_hash,
            kind=event.kind,
            action=event.action,
            actor_name=event.actor_name,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            payload=event.payload,
            created_at=event.created_at,
        )
        if not hmac.compare_digest(digest, event.hash):
            return checked, BrokenLink(
                event.sequence,
                event.pk,
                "its content was changed after it was written (its keyed hash does not match: "
                "rewritten without the key, or AUDIT_HMAC_KEY is not the key the chain was written with)",
            )
        previous_hash = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.sequence != checked:
        return checked, BrokenLink(
            head.sequence,
            0,
            f"the chain head says {head.sequence} events, found {checked}: events at the end were removed",
        )
    return checked, None


# --- database-level immutability ----------------------------------------------------------------------------------

TABLE = "governance_auditevent"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION governance_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP; END $$",
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION governance_audit_append_only()",
    # TRUNCATE fires no row trigger: a statement-level one refuses it (issue 13 item 3)
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
    f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION governance_audit_append_only()",
]


def install_immutability(schema_editor=None) -> None:
    conn = schema_editor.connection if schema_editor else connection
    statements = POSTGRES_TRIGGERS if conn.vendor == "postgresql" else SQLITE_TRIGGERS
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def remove_immutability_for_flush() -> None:
    """Tests only: the flush between transactional tests deletes every row (SQLite) or truncates every table
    (PostgreSQL), which the triggers refuse; they are dropped just before it and installed again by the next test."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")
        elif connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
