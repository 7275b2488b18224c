"""The outbox relay: post approved actions to the ERP, exactly once as far as the ERP can tell.

Written in the decision's transaction (`outbox_enqueue`), a message is relayed by `outbox_relay` (the Celery task
`outbox_relay_task`, on a schedule and on commit). Nothing is lost when a worker or the broker dies:

- the row is the truth: a relay claims due rows (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent
  workers never take the same row) and marks them `sending` with a lease and attempts + 1, committed before any
  call goes out;
- a worker killed mid-posting leaves a lease that expires; the next relay claims the row again and re-posts with
  the same idempotency key, which the ERP deduplicates (the answer carries the first transaction id);
- transient failures wait `backoff` (exponential, capped below the broker's visibility timeout) and retry; after
  `DISTOPS_OUTBOX_MAX_ATTEMPTS` attempts, or at once for a permanent refusal (4xx), the message is dead-lettered;
- while the circuit breaker is open no call goes out and nothing is claimed.

Each final outcome (delivered or dead) writes an audit event of kind "posting" (transaction id or error) and sends
`posting_completed` in the same transaction.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from replenish.core.audit import audit_record
from replenish.models import ItemLocation, Location, PurchaseOrderLine, Supplier

from . import conf, signals
from .edi import EdiGenerationError
from .edi_outbound import purchase_order_850
from .erp import get_adapter
from .erp.base import ErpAdapter, ErpRejected, ErpUnavailable, PostResult
from .erp.breaker import breaker_allow, breaker_record_failure, breaker_record_success, state_get
from .models import OutboxMessage, PostingAttempt

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status


@dataclass
class RelayReport:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    released: int = 0
    breaker_open: bool = False
    messages: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def backoff_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: base x 2^(attempts-1), capped below the broker visibility timeout."""
    return min(conf.outbox_backoff_cap(), conf.outbox_backoff_base() * (2 ** max(attempts - 1, 0)))


def _due(now) -> Q:
    waiting = Q(status__in=[Status.PENDING, Status.FAILED]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    abandoned = Q(status=Status.SENDING, claimed_until__lt=now)  # its worker died mid-posting
    return waiting | abandoned


def _claim(*, limit: int, worker: str) -> list[int]:
    now = timezone.now()
    lease = now + timedelta(seconds=conf.outbox_lease_seconds())
    claimed: list[int] = []
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(_due(now)).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        for pk in list(rows.values_list("pk", flat=True)[:limit]):
            # compare-and-set: also correct where row locks do not exist (SQLite serializes writers instead)
            taken = OutboxMessage.objects.filter(_due(now), pk=pk).update(
                status=Status.SENDING,
                claimed_until=lease,
                claimed_by=worker[:200],
                attempts=F("attempts") + 1,
            )
            if taken:
                claimed.append(pk)
    return claimed


def outbox_relay(
    *,
    adapter: ErpAdapter | None = None,
    worker: str | None = None,
    batch: int | None = None,
    time_budget: float = 30.0,
) -> RelayReport:
    """Deliver what is due, batch after batch, for at most `time_budget` seconds."""
    adapter = adapter or get_adapter()
    worker = worker or f"{socket.gethostname()}:{id(adapter)}"
    report = RelayReport()
    started = time.monotonic()
    batch = batch or conf.outbox_batch()
    while time.monotonic() - started < time_budget:
        if not breaker_allow():
            report.breaker_open = True
            break

        limit = 1 if state_get().breaker_state == "half_open" else batch
        claimed = _claim(limit=limit, worker=worker)
        if not claimed:
            break
        report.claimed += len(claimed)
        for position, pk in enumerate(claimed):
            if position and not breaker_allow():
                report.breaker_open = True
                report.released += _release(claimed[position:], worker)
                return report
            outcome = _deliver(pk, adapter=adapter, worker=worker)
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.messages.append(pk)
        if len(claimed) < limit:
            break
    return report


def _release(pks: list[int], worker: str) -> int:
    """Give back claims not attempted (the breaker opened mid-batch): the attempt did not happen."""
    return OutboxMessage.objects.filter(pk__in=pks, status=Status.SENDING, claimed_by=worker[:200]).update(
        status=Status.FAILED,
        claimed_until=None,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now() + timedelta(seconds=conf.breaker_cooldown()),
    )


def _deliver(pk: int, *, adapter: ErpAdapter, worker: str) -> str:
    message = OutboxMessage.objects.get(pk=pk)
    attempt = PostingAttempt.objects.create(
        message=message, number=message.attempts, started_at=timezone.now(), worker=worker[:200]
    )
    try:
        body = action_body(message)
    except ValueError as exc:
        return _finish_dead(message, attempt, error=str(exc), http_status=None)
    try:
        result = adapter.post(message.kind, body, idempotency_key=message.idempotency_key)
    except ErpRejected as exc:
        breaker_record_success()  # the ERP answered: it is up, it refused this request
        return _finish_dead(message, attempt, error=str(exc), http_status=exc.status)
    except ErpUnavailable as exc:
        breaker_record_failure(str(exc))
        if message.attempts >= conf.outbox_max_attempts():
            return _finish_dead(
                message,
                attempt,
                error=f"{exc} (gave up after {message.attempts} attempts)",
                http_status=exc.status,
            )
        return _retry_later(message, attempt, error=str(exc), http_status=exc.status)
    breaker_record_success()
    return _finish_delivered(message, attempt, result)


def _close_attempt(attempt: PostingAttempt, **fields) -> None:
    for name, value in fields.items():
        setattr(attempt, name, value)
    attempt.finished_at = timezone.now()
    attempt.save()


def _notify(message: OutboxMessage, *, ok: bool, outcome: dict) -> None:
    """posting_completed in the same transaction; a failing receiver cannot undo the ERP's answer."""
    try:
        with transaction.atomic():
            signals.posting_completed.send(sender=OutboxMessage, message=message, ok=ok, outcome=outcome)
    except Exception:  # noqa: BLE001 - a receiver's bug must not lose the recorded outcome
        logger.exception("a posting_completed receiver failed for outbox message %s", message.pk)
        message.outcome = {**message.outcome, "receiver_error": True}
        message.save(update_fields=["outcome"])


def _audit(message: OutboxMessage, action: str, payload: dict) -> None:
    audit_record(
        kind="posting",
        action=action,
        actor=None,
        subject_type=message.subject_type or "outbox_message",
        subject_id=message.subject_id or message.pk,
        payload={
            "outbox_id": message.pk,
            "kind": message.kind,
            "idempotency_key": message.idempotency_key,
            "attempts": message.attempts,
            **payload,
        },
    )


def _finish_delivered(message: OutboxMessage, attempt: PostingAttempt, result: PostResult) -> str:
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        _close_attempt(
            attempt,
            ok=True,
            http_status=result.status,
            transaction_id=result.transaction_id[:80],
            duplicate=result.duplicate,
        )
        if locked.status == Status.DELIVERED:
            return "delivered"  # another worker, after our lease expired, recorded the same ERP answer first
        outcome = {
            "ok": True,
            "transaction_id": result.transaction_id,
            "duplicate": result.duplicate,
            "document_number": result.document_number,
            "attempts": locked.attempts,
        }
        if result.record:
            outcome["record"] = result.record  # the ERP's document (model, id, state, number)
        if locked.kind == "create_po":
            outcome.update(_purchase_order_850(locked, result))
        locked.status, locked.erp_transaction_id = Status.DELIVERED, result.transaction_id[:80]
        locked.delivered_at, locked.claimed_until, locked.last_error = timezone.now(), None, ""
        locked.outcome = outcome
        locked.save(
            update_fields=[
                "status",
                "erp_transaction_id",
                "delivered_at",
                "claimed_until",
                "last_error",
                "outcome",
            ]
        )
        _audit(
            locked,
            "delivered",
            {
                "transaction_id": result.transaction_id,
                "duplicate": result.duplicate,
                "document_number": result.document_number,
                **({"record": result.record} if result.record else {}),
            },
        )
        _notify(locked, ok=True, outcome=outcome)
    return "delivered"


def _purchase_order_850(message: OutboxMessage, result: PostResult) -> dict:
    try:
        with transaction.atomic():
            document = purchase_order_850(
                message=message, po_number=result.document_number or result.transaction_id
            )
    except (EdiGenerationError, ValueError) as exc:
        return {"edi_850": None, "edi_850_error": str(exc)}
    return {"edi_850": document.pk if document else None}


def _retry_later(
    message: OutboxMessage, attempt: PostingAttempt, *, error: str, http_status: int | None
) -> str:
    with transaction.atomic():
        _close_attempt(attempt, ok=False, retryable=True, error=error[:2000], http_status=http_status)
        delay = backoff_delay(message.attempts)
        OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=Status.FAILED,
            last_error=error[:2000],
            claimed_until=None,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
    return "retrying"


def _finish_dead(
    message: OutboxMessage, attempt: PostingAttempt, *, error: str, http_status: int | None
) -> str:
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        _close_attempt(attempt, ok=False, retryable=False, error=error[:2000], http_status=http_status)
        if locked.status in (Status.DELIVERED, Status.DEAD):
            return "dead" if locked.status == Status.DEAD else "delivered"
        outcome = {"ok": False, "error": error, "http_status": http_status, "attempts": locked.attempts}
        locked.status, locked.last_error, locked.claimed_until, locked.outcome = (
            Status.DEAD,
            error[:2000],
            None,
            outcome,
        )
        locked.save(update_fields=["status", "last_error", "claimed_until", "outcome"])
        _audit(locked, "dead", {"error": error, "http_status": http_status})
        _notify(locked, ok=False, outcome=outcome)
    return "dead"


def action_body(message: OutboxMessage) -> dict:
    """The JSON body of the ERP action (CONTRACT.md): the payload, with codes added for the ids it names."""
    body = dict(message.payload)
    if body.get("item_location_id"):
        il = (
            ItemLocation.objects.select_related("item", "location")
            .filter(pk=body["item_location_id"])
            .first()
        )
        if il is None:
            raise ValueError(
                f"the action names SKU-location {body['item_location_id']}, which does not exist"
            )
        body.setdefault("sku", il.item.sku)
        body.setdefault("location", il.location.code)
    if body.get("location_id") and not body.get("location"):  # a draft PO's ship-to (no single SKU-location)
        code = Location.objects.filter(pk=body["location_id"]).values_list("code", flat=True).first()
        if code is None:
            raise ValueError(f"the action names location {body['location_id']}, which does not exist")
        body["location"] = code
    if body.get("supplier_id"):
        code = Supplier.objects.filter(pk=body["supplier_id"]).values_list("code", flat=True).first()
        if code is None:
            raise ValueError(f"the action names supplier {body['supplier_id']}, which does not exist")
        body.setdefault("supplier", code)
    if body.get("source_location_id"):
        code = Location.objects.filter(pk=body["source_location_id"]).values_list("code", flat=True).first()
        if code is None:
            raise ValueError(f"the action names location {body['source_location_id']}, which does not exist")
        body.setdefault("from_location", code)
    if body.get("po_line_id"):
        line = PurchaseOrderLine.objects.select_related("order").filter(pk=body["po_line_id"]).first()
        if line is None:
            raise ValueError(f"the action names PO line {body['po_line_id']}, which does not exist")
        body["po_number"] = body.get("po_number") or line.order.number  # an empty one too
        body.setdefault("line", line.line_number)
    if body.get("supplier_code"):
        body.setdefault("supplier", body["supplier_code"])
    if body.get(
        "date"
    ):  # the decision's date: a due date for new orders and transfers, a new date for changes
        name = {
            "change_po": "new_date",
            "expedite_request": "new_date",
            "repromise_order": "new_promise_date",
        }
        body.setdefault(name.get(message.kind, "due_date"), body["date"])
    if message.subject_type:
        body.setdefault("reference", f"{message.subject_type}:{message.subject_id}")
    return body


@transaction.atomic
def outbox_requeue(*, message: OutboxMessage, actor) -> OutboxMessage:
    """Send a dead-lettered message again (after the cause was fixed): same idempotency key, attempts from 0.
    Its subject takes part (signals.outbox_requeued): a decided exception waits for this posting again and cannot
    be decided twice; one decided otherwise since refuses the requeue (ValueError, with the reason)."""
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status != Status.DEAD:
        raise ValueError(f"only dead-lettered messages can be requeued (this one is {locked.status})")
    previous = locked.attempts
    signals.outbox_requeued.send(sender=OutboxMessage, message=locked, actor=actor)
    locked.status, locked.attempts, locked.next_attempt_at, locked.claimed_until = (
        Status.PENDING,
        0,
        None,
        None,
    )
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until"])
    audit_record(
        kind="system",
        action="outbox_requeued",
        actor=actor,
        subject_type="outbox_message",
        subject_id=locked.pk,
        payload={
            "idempotency_key": locked.idempotency_key,
            "previous_attempts": previous,
            "last_error": locked.last_error,
        },
    )
    transaction.on_commit(kick_relay, robust=True)
    return locked


def kick_relay() -> None:
    """Ask a worker to relay now; if the broker is down, the beat schedule (or the next kick) picks it up."""
    from .tasks import outbox_relay_task

    try:
        outbox_relay_task.apply_async(retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the row is safe in the database
        logger.warning("outbox relay not triggered (%s); the scheduled relay will deliver", exc)
