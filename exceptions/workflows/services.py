"""The event flow: inbox -> domain event -> re-plan only the touched SKU-locations -> re-score -> queues.

`domain_event_process(event_id=)` is what the Celery task calls. Public entry points other apps may call:
`domain_event_record` (events.py), `domain_event_process`, `order_risk_refresh` (atp.py), `allocation_run`
(allocation.py), `labor_check` (labor.py), `supplier_decline_review` / `workflow_task_approve` (supplier.py),
`service_task_contact` (below).
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from replenish import models as m
from replenish.core.audit import audit_record
from replenish.core.errors import NotAllowed, StaleVersion
from replenish.planning.refresh import plan_refresh

from .allocation import allocation_run
from .atp import order_risk_refresh
from .events import (
    CLOSED_PO_STATUSES,
    domain_event_claim,
    domain_event_finish,
    domain_event_record,
    newer_event_for,
)
from .labor import labor_check
from .models import CustomerServiceTask, DomainEvent
from .supplier import supplier_decline_review

logger = logging.getLogger(__name__)

SUPPLIER_KINDS = (
    DomainEvent.Kind.RECEIPT,
    DomainEvent.Kind.ACKNOWLEDGEMENT,
    DomainEvent.Kind.INBOUND_DELAY,
    DomainEvent.Kind.ASN,
)


def _closed_pos(event: DomainEvent) -> list[str]:
    numbers = [n for n in event.payload.get("purchase_orders", []) if n]
    if not numbers:
        return []
    return sorted(
        m.PurchaseOrder.objects.filter(number__in=numbers, status__in=CLOSED_PO_STATUSES).values_list(
            "number", flat=True
        )
    )


def domain_event_process(*, event_id: int, replan: bool = True) -> DomainEvent | None:
    """Process one domain event once: validate, re-plan the touched SKU-locations (partial run, swapped into the
    current run; its completion signal refreshes their exceptions), then order-line ATP -> customer-service queue,
    constrained allocation, supplier review. None when another worker already took it. (A stockout is the
    SKU-location's one task, refreshed with its exceptions and automated or posted by them: no second task here.)"""
    event = domain_event_claim(event_id=event_id)
    if event is None:
        return None
    started = time.perf_counter()
    try:
        if event.kind == DomainEvent.Kind.WMS_CAPACITY:
            return _labor_event(event)
        ids = sorted(
            set(m.ItemLocation.objects.filter(pk__in=event.item_location_ids).values_list("pk", flat=True))
        )
        unknown = sorted(set(event.item_location_ids) - set(ids))
        notes = []
        if unknown:
            notes.append(f"{len(unknown)} unknown SKU-location id(s) skipped: {unknown[:5]}")
        if not ids:
            return domain_event_finish(
                event=event,
                status=DomainEvent.Status.IGNORED,
                reason="; ".join(notes) or "the message touched no known SKU-location",
            )
        closed = _closed_pos(event)
        if closed and set(closed) == {n for n in event.payload.get("purchase_orders", []) if n}:
            return domain_event_finish(
                event=event,
                status=DomainEvent.Status.IGNORED,
                reason=f"ship notice / acknowledgement for closed PO(s) {', '.join(closed)}: "
                f"nothing re-planned",
            )
        newer = newer_event_for(event)
        if newer is not None:
            notes.append(
                f"arrived out of order: event {newer.pk} about the same shipment happened later "
                f"({newer.occurred_at:%Y-%m-%d %H:%M}); re-planned on the current data anyway"
            )
        for moved in event.payload.get("moved", []):
            if moved.get("to") and moved["to"] < str(timezone.localdate()):
                notes.append(f"new arrival date {moved['to']} is in the past: treated as arriving today")
        results: dict = {"item_locations": len(ids)}
        run_id = None
        # order-line ATP first (it reads stock, inbound and orders, not the plan): the at-risk lines carry this
        # event, and the exceptions refresh the re-plan triggers counts the same lines (exceptions/service/sync.py)
        t0 = time.perf_counter()
        results.update(order_risk_refresh(item_location_ids=ids, event=event))
        results["atp_seconds"] = round(time.perf_counter() - t0, 3)
        if replan:
            t0 = time.perf_counter()
            run = plan_refresh(item_location_ids=ids, inline=True)
            results["replan_seconds"] = round(time.perf_counter() - t0, 3)
            run_id = run.pk
        at_risk = results.pop("at_risk_lines", [])
        results["at_risk_lines"] = len(at_risk)
        if at_risk:
            item_ids = sorted(
                set(m.SalesOrderLine.objects.filter(pk__in=at_risk).values_list("item_id", flat=True))
            )
            results["allocations"] = [allocation_run(item_id=i, event=event) for i in item_ids[:20]]
        if event.kind in SUPPLIER_KINDS:
            suppliers = sorted(
                set(
                    m.PurchaseOrder.objects.filter(
                        number__in=[n for n in event.payload.get("purchase_orders", []) if n]
                    ).values_list("supplier_id", flat=True)
                )
            )
            results["supplier_reviews"] = [
                supplier_decline_review(supplier_id=s, event=event) for s in suppliers
            ]
        results["seconds"] = round(time.perf_counter() - started, 3)
        return domain_event_finish(
            event=event,
            status=DomainEvent.Status.PROCESSED,
            reason="; ".join(notes),
            results=results,
            plan_run_id=run_id,
        )
    except Exception as exc:  # visible on the event and in the audit trail; the task decides about retries
        logger.exception("domain event %s failed", event_id)
        domain_event_finish(
            event=event,
            status=DomainEvent.Status.FAILED,
            reason="processing failed",
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise


def _labor_event(event: DomainEvent) -> DomainEvent:
    """WMS tasks or labor capacity changed: check each named location's backlog against its labor for the day."""
    from datetime import date

    day = date.fromisoformat(event.payload.get("day") or str(timezone.localdate()))
    results = {}
    for location_id in event.payload.get("locations", []):
        task = labor_check(location_id=int(location_id), day=day, event=event)
        results[str(location_id)] = task.title if task else "capacity covers the backlog"
    status = DomainEvent.Status.PROCESSED if results else DomainEvent.Status.IGNORED
    return domain_event_finish(
        event=event, status=status, results=results, reason="" if results else "no location named"
    )


def domain_event_record_wms(*, message, location_ids: list[int], day) -> DomainEvent | None:
    """A WMS task or labor-capacity import (integrations sends no inbound_applied for these: they touch no
    SKU-location) recorded as a domain event and queued like the others."""
    from .tasks import domain_event_process_task

    event, created = domain_event_record(
        message=message,
        item_location_ids=[],
        kind=DomainEvent.Kind.WMS_CAPACITY,
        payload={"locations": sorted(set(location_ids)), "day": str(day)},
    )
    if created:
        transaction.on_commit(lambda: domain_event_process_task.delay(event.pk))
    return event


# An event is dispatched on commit; one still received and never attempted after this long lost its dispatch (the
# process died between the commit and the dispatch). Well above a dispatch's latency, well below the beat period.
DISPATCH_GRACE_SECONDS = 60
SWEEP_BATCH = 500  # events dispatched per sweep: a burst larger than this drains over the next sweeps


def domain_events_dispatch_pending(
    *, older_than_seconds: float = DISPATCH_GRACE_SECONDS, limit: int = SWEEP_BATCH
) -> list[int]:
    """Dispatch the events recorded but never attempted (the sweep run by Celery beat). Safe to repeat: processing
    claims the event first, so an event dispatched twice is processed once."""
    from datetime import timedelta

    from .tasks import domain_event_process_task

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        DomainEvent.objects.filter(status=DomainEvent.Status.RECEIVED, attempts=0, received_at__lte=cutoff)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for event_id in ids:
        domain_event_process_task.delay(event_id)
    if ids:
        logger.warning("domain events dispatched by the sweep (their dispatch was lost): %s", ids)
    return ids


def domain_event_retry(*, event: DomainEvent, actor) -> DomainEvent:
    """Put a failed event back to received (a person, after fixing the cause); the task processes it again."""
    with transaction.atomic():
        updated = DomainEvent.objects.filter(pk=event.pk, status=DomainEvent.Status.FAILED).update(
            status=DomainEvent.Status.RECEIVED, error=""
        )
        if not updated:
            raise NotAllowed("only failed events can be retried")
        audit_record(
            kind="system",
            action="domain_event_retry",
            actor=actor,
            subject_type="domain_event",
            subject_id=event.pk,
            payload={},
        )
        from .tasks import domain_event_process_task

        transaction.on_commit(lambda: domain_event_process_task.delay(event.pk))
    event.refresh_from_db()
    return event


@transaction.atomic
def service_task_contact(
    *, task: CustomerServiceTask, actor, version: int, note: str = ""
) -> CustomerServiceTask:
    """Customer service has told the customer (new promise date, substitute offered)."""
    locked = CustomerServiceTask.objects.select_for_update().get(pk=task.pk)
    if locked.version != int(version):
        raise StaleVersion("this line changed since you opened it (a newer event re-scored it): reload")
    if locked.status != CustomerServiceTask.Status.OPEN:
        raise NotAllowed(f"this line is {locked.get_status_display().lower()}")
    locked.status = CustomerServiceTask.Status.CONTACTED
    locked.handled_by = actor
    locked.version += 1
    locked.save(update_fields=["status", "handled_by", "version", "updated_at"])
    audit_record(
        kind="decision",
        action="service_task_contacted",
        actor=actor,
        subject_type="service_task",
        subject_id=locked.pk,
        payload={
            "line": locked.sales_order_line_id,
            "note": note[:500],
            "promise": str(locked.new_promise_date),
        },
    )
    return locked
