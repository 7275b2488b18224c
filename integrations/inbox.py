"""The inbound pipeline: receive (store the raw message) -> parse -> normalize -> quality gates -> apply.

Every source (ERP pages, webhook events, files, EDI interchanges) goes through here:

    message, new = inbox_receive(source=..., external_id=..., kind=..., payload=...)   # replay -> (old, False)
    message = inbox_process(message_id=message.pk)                                   # one transaction

A handler (registered per `kind` in `integrations.inbound`, imported by IntegrationsConfig.ready()) parses, normalizes and validates the payload and applies it with upserts; it
raises `Rejected` for bad input, and then nothing it wrote survives: the message becomes a dead letter with its
reason and every problem found, which a person can fix (edit the payload) and retry (`inbox_retry`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from replenish.core.audit import audit_record

from . import signals
from .inbound import NotRetryable, Outcome, Rejected, handler_for
from .models import InboxMessage
from .quality import issues_open

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200  # messages re-dispatched per sweep: a backlog drains over a few runs, never all at once
AUDIT_ERRORS_KEPT = 5  # the audit payload names the first few problems; the message row keeps all of them


def payload_hash(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def inbox_receive(
    *, source: str, external_id: str, kind: str, payload: str, meta: dict | None = None
) -> tuple[InboxMessage, bool]:
    """Store a message as received. Returns (message, True) when it is new (or a corrected resend of a rejected
    one) and must be processed; (existing, False) for a replay, which only counts the replay."""
    digest = payload_hash(payload)
    with transaction.atomic():
        existing = (
            InboxMessage.objects.select_for_update().filter(source=source, external_id=external_id).first()
        )
        if existing is None:
            try:
                with transaction.atomic():
                    message = InboxMessage.objects.create(
                        source=source,
                        external_id=external_id,
                        kind=kind,
                        payload=payload,
                        payload_hash=digest,
                        meta=meta or {},
                        received_at=timezone.now(),
                    )
                return message, True
            except IntegrityError:  # a concurrent receive of the same message won the race
                existing = InboxMessage.objects.select_for_update().get(
                    source=source, external_id=external_id
                )
        if existing.status == InboxMessage.Status.REJECTED and existing.payload_hash != digest:
            # the sender corrected a rejected message and sent it again under the same id: audited with the hash of
            # what it replaces (an EDI interchange never takes this path: other content under an ISA13 already
            # received is a dead letter of its own, see integrations.edi_ingest)
            previous = existing.payload_hash
            existing.payload, existing.payload_hash = payload, digest
            existing.meta = {
                **existing.meta,
                **(meta or {}),
                "resent_at": timezone.now().isoformat(),
                "replaced_hashes": [*existing.meta.get("replaced_hashes", []), previous],
            }
            existing.status = InboxMessage.Status.RECEIVED
            existing.save(update_fields=["payload", "payload_hash", "meta", "status", "updated_at"])
            audit_record(
                kind="ingestion",
                action="resent",
                actor=None,
                subject_type="inbox_message",
                subject_id=existing.pk,
                payload={
                    "source": source,
                    "external_id": external_id,
                    "previous_hash": previous,
                    "payload_hash": digest,
                },
            )
            return existing, True
        InboxMessage.objects.filter(pk=existing.pk).update(
            replays=F("replays") + 1, updated_at=timezone.now()
        )
        existing.replays += 1
        return existing, existing.status == InboxMessage.Status.RECEIVED


PROCESSABLE = (InboxMessage.Status.RECEIVED, InboxMessage.Status.REJECTED, InboxMessage.Status.PARTIAL)


def inbox_process(*, message_id: int, actor=None, context: object | None = None) -> InboxMessage:
    """Parse, normalize, validate and apply one message in one transaction; a rejection leaves nothing applied."""
    kind = InboxMessage.objects.values_list("kind", flat=True).get(pk=message_id)
    handler = handler_for(kind)
    try:
        with transaction.atomic():
            message = InboxMessage.objects.select_for_update().get(pk=message_id)
            if message.status not in PROCESSABLE:
                return message
            outcome = handler(message, context)
            _finish(message, outcome, actor)
            # Inside the applying transaction: a receiver's rows (the domain event) commit with the change or
            # not at all (a transactional outbox); receivers dispatch their work on commit, and a periodic sweep
            # dispatches what a crash between the commit and the dispatch left behind.
            if outcome.item_location_ids:
                signals.inbound_applied.send(
                    sender=InboxMessage, message=message, item_location_ids=sorted(outcome.item_location_ids)
                )
            if outcome.wms_location_days:
                signals.wms_applied.send(
                    sender=InboxMessage, message=message, location_days=sorted(outcome.wms_location_days)
                )
        return message
    except Rejected as rejection:
        return _reject(message_id, rejection, actor)
    except (IntegrityError, DataError, ValidationError) as exc:
        detail = (
            "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc).strip().splitlines()[0]
        )
        return _reject(message_id, Rejected(f"the database refused the change: {detail}"), actor)


def _finish(message: InboxMessage, outcome: Outcome, actor) -> None:
    now = timezone.now()
    message.status = outcome.status
    message.summary = outcome.summary
    message.reason = outcome.reason
    message.errors = outcome.errors
    message.attempts += 1
    message.processed_at = now
    message.save(
        update_fields=["status", "summary", "reason", "errors", "attempts", "processed_at", "updated_at"]
    )
    if outcome.issues:
        issues_open(outcome.issues, source=message.source, inbox_message=message)
    audit_record(
        kind="ingestion",
        action=outcome.status,
        actor=actor,
        subject_type="inbox_message",
        subject_id=message.pk,
        payload={
            "source": message.source,
            "external_id": message.external_id,
            "kind": message.kind,
            "payload_hash": message.payload_hash,
            "summary": outcome.summary,
            "reason": outcome.reason,
            "errors": outcome.errors[:AUDIT_ERRORS_KEPT],
            "error_count": len(outcome.errors),
        },
    )


def _reject(message_id: int, rejection: Rejected, actor) -> InboxMessage:
    with transaction.atomic():
        message = InboxMessage.objects.select_for_update().get(pk=message_id)
        message.status = InboxMessage.Status.REJECTED
        message.reason = rejection.reason
        message.errors = rejection.errors or [{"message": rejection.reason}]
        message.summary = {}
        message.attempts += 1
        message.processed_at = timezone.now()
        message.save(
            update_fields=["status", "reason", "errors", "summary", "attempts", "processed_at", "updated_at"]
        )
        if rejection.issues:
            issues_open(rejection.issues, source=message.source, inbox_message=message)
        audit_record(
            kind="ingestion",
            action="rejected",
            actor=actor,
            subject_type="inbox_message",
            subject_id=message.pk,
            payload={
                "source": message.source,
                "external_id": message.external_id,
                "kind": message.kind,
                "payload_hash": message.payload_hash,
                "reason": rejection.reason,
                "errors": message.errors[:AUDIT_ERRORS_KEPT],
                "error_count": len(message.errors),
            },
        )
    logger.info("inbox message %s rejected: %s", message_id, rejection.reason)
    return message


def inbox_ingest(
    *,
    source: str,
    external_id: str,
    kind: str,
    payload: str,
    meta: dict | None = None,
    actor=None,
    context: object | None = None,
) -> tuple[InboxMessage, bool]:
    """Receive and process; returns (message, processed_now). A replay returns the stored message untouched."""
    message, new = inbox_receive(
        source=source, external_id=external_id, kind=kind, payload=payload, meta=meta
    )
    if not new:
        return message, False
    return inbox_process(message_id=message.pk, actor=actor, context=context), True


def inbox_retry(*, message: InboxMessage, actor, payload: str | None = None) -> InboxMessage:
    """Fix (optionally replace the payload of) a dead letter and process it again."""
    if message.status not in InboxMessage.DEAD_LETTER_STATUSES:
        raise NotRetryable(
            f"only rejected or partly applied messages can be retried (this one is {message.status})"
        )
    if payload is not None:
        payload = (
            payload.replace("\r\n", "\n") if "\r\n" in payload and "\r\n" not in message.payload else payload
        )
    if payload is not None and payload != message.payload:
        with transaction.atomic():
            locked = InboxMessage.objects.select_for_update().get(pk=message.pk)
            previous = locked.payload_hash
            locked.payload, locked.payload_hash = payload, payload_hash(payload)
            locked.meta = {
                **locked.meta,
                "edited_by": getattr(actor, "username", ""),
                "edited_at": timezone.now().isoformat(),
                "original_hash": locked.meta.get("original_hash", previous),
            }
            locked.save(update_fields=["payload", "payload_hash", "meta", "updated_at"])
            audit_record(
                kind="ingestion",
                action="fixed",
                actor=actor,
                subject_type="inbox_message",
                subject_id=locked.pk,
                payload={"previous_hash": previous, "payload_hash": locked.payload_hash},
            )
    return inbox_process(message_id=message.pk, actor=actor)


def inbox_stuck_sweep(*, now=None) -> dict:
    """Process again the messages left `received` (issue 13 item 7): a worker killed or timed out mid-processing
    rolled its transaction back, and nothing else would ever look at them. Scheduled by beat.

    A message untouched for DISTOPS_INBOX_STUCK_MINUTES is dispatched to inbox_process_task again, its sweeps
    counted in meta; after DISTOPS_INBOX_STUCK_SWEEPS it is rejected with the reason (it keeps killing the worker:
    a person looks at it). Rows being processed right now are locked and skipped (PostgreSQL SKIP LOCKED)."""
    from django.conf import settings
    from django.db import connection

    from .tasks import inbox_process_task

    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.DISTOPS_INBOX_STUCK_MINUTES)
    retried, rejected = [], []
    with transaction.atomic():
        rows = InboxMessage.objects.filter(status=InboxMessage.Status.RECEIVED, updated_at__lt=cutoff)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        for message in rows.order_by("updated_at")[:SWEEP_BATCH]:
            sweeps = int(message.meta.get("sweeps", 0))
            if sweeps >= settings.DISTOPS_INBOX_STUCK_SWEEPS:
                rejected.append(message.pk)
                continue
            message.meta = {**message.meta, "sweeps": sweeps + 1, "swept_at": now.isoformat()}
            message.save(update_fields=["meta", "updated_at"])
            retried.append(message.pk)
    for pk in rejected:
        _reject(
            pk,
            Rejected(
                f"processing never finished: {settings.DISTOPS_INBOX_STUCK_SWEEPS} attempts were cut short "
                "(a worker timeout or crash; is the file too large?). Fix it and retry, or load it with the "
                "command."
            ),
            None,
        )
    for pk in retried:  # after the sweep's commit: a worker takes each (in-process without a broker)
        inbox_process_task.delay(pk)
    return {"retried": retried, "rejected": rejected}
