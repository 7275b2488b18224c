"""Domain events: an applied inbox message becomes one DomainEvent (idempotent by message and payload hash), then a
Celery task re-plans only the touched SKU-locations, re-scores them and updates the queues (services.py)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from replenish.core.audit import audit_record

from .models import DomainEvent

CLOSED_PO_STATUSES = ("received", "cancelled")


def _edi_kind(summary: dict) -> tuple[str, dict]:
    """Classify an applied X12 message by its transaction sets; return the kind and the facts it carries."""
    facts: dict = {"shipments": [], "purchase_orders": [], "moved": [], "rejected_lines": 0}
    kind = DomainEvent.Kind.DATA
    for ts in summary.get("sets", []):
        if ts.get("status") != "applied" or ts.get("reason") == "already applied before":
            continue
        s = ts.get("summary") or {}
        if ts.get("set") == "856":
            kind = _shipment_moved(kind, facts, s)
        elif ts.get("set") == "855":
            kind = DomainEvent.Kind.ACKNOWLEDGEMENT if kind == DomainEvent.Kind.DATA else kind
            facts["purchase_orders"].append(s.get("purchase_order"))
            for change in s.get("changes", []):
                before = (change.get("before") or {}).get("promised_date")
                after = (change.get("after") or {}).get("promised_date")
                if (change.get("after") or {}).get("status") == "rejected":
                    facts["rejected_lines"] += 1
                if before and after and after > before:
                    kind = DomainEvent.Kind.INBOUND_DELAY
                    facts["moved"].append(
                        {
                            "purchase_order": s.get("purchase_order"),
                            "line": change.get("line"),
                            "from": before,
                            "to": after,
                        }
                    )
    return kind, facts


def _shipment_moved(kind: str, facts: dict, s: dict) -> str:
    """A shipment's expected arrival as an 856 or a TMS milestone set it: a delay when it moved later."""
    kind = DomainEvent.Kind.ASN if kind == DomainEvent.Kind.DATA else kind
    facts["shipments"].append(s.get("shipment"))
    facts["purchase_orders"] += s.get("purchase_orders", [])
    before, after = s.get("previous_expected_arrival"), s.get("expected_arrival")
    if s.get("cancelled") or (before and after and after > before):
        kind = DomainEvent.Kind.INBOUND_DELAY
        facts["moved"].append(
            {
                "shipment": s.get("shipment"),
                "from": before,
                "to": after,
                "cancelled": bool(s.get("cancelled")),
            }
        )
    facts["expected_arrival"] = after
    return kind


def _milestone_kind(summary: dict) -> tuple[str, dict]:
    """TMS milestones (integrations/tms): each shipment they moved, classified exactly as an 856 moving it."""
    facts: dict = {"shipments": [], "purchase_orders": [], "moved": [], "rejected_lines": 0, "source": "tms"}
    kind = DomainEvent.Kind.DATA
    for s in summary.get("shipments", []):
        kind = _shipment_moved(kind, facts, s)
    return kind, facts


FILE_KINDS = {
    "open_sales_orders": DomainEvent.Kind.NEW_ORDER,
    "sales_orders": DomainEvent.Kind.NEW_ORDER,
    "open_purchase_orders": DomainEvent.Kind.RECEIPT,
    "purchase_orders": DomainEvent.Kind.RECEIPT,
    "wms_tasks": DomainEvent.Kind.WMS_CAPACITY,
    "labor_capacity": DomainEvent.Kind.WMS_CAPACITY,
}


def classify(message) -> tuple[str, dict]:
    if message.kind == "edi.x12":
        return _edi_kind(message.summary or {})
    if message.kind.startswith("tms."):
        return _milestone_kind(message.summary or {})
    suffix = message.kind.split(".", 1)[-1]
    return FILE_KINDS.get(suffix, DomainEvent.Kind.DATA), {"summary": message.summary or {}}


def domain_event_record(
    *,
    message,
    item_location_ids: list[int],
    occurred_at: datetime | None = None,
    kind: str | None = None,
    payload: dict | None = None,
) -> tuple[DomainEvent, bool]:
    """Record the domain event of an applied inbound message. The same message (same payload) again is a duplicate:
    counted and visible on the event, never processed twice. Returns (event, created)."""
    digest = (getattr(message, "payload_hash", "") or "")[:16]
    key = f"inbox:{message.pk}:{digest}"
    if kind is None:
        kind, facts = classify(message)
    else:
        facts = {}
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = DomainEvent.objects.create(
                    kind=kind,
                    source_ref=f"{message.source}:{message.external_id}"[:200],
                    message_id=message.pk,
                    dedupe_key=key,
                    item_location_ids=sorted({int(i) for i in item_location_ids}),
                    payload={**facts, **(payload or {})},
                    occurred_at=occurred_at or getattr(message, "received_at", None) or timezone.now(),
                )
        except IntegrityError:
            DomainEvent.objects.filter(dedupe_key=key).update(duplicates=F("duplicates") + 1)
            event = DomainEvent.objects.get(dedupe_key=key)
            audit_record(
                kind="system",
                action="domain_event_duplicate",
                actor=None,
                subject_type="domain_event",
                subject_id=event.pk,
                payload={"dedupe_key": key, "duplicates": event.duplicates},
            )
            return event, False
        audit_record(
            kind="system",
            action="domain_event_received",
            actor=None,
            subject_type="domain_event",
            subject_id=event.pk,
            payload={
                "kind": event.kind,
                "source_ref": event.source_ref,
                "item_locations": len(event.item_location_ids),
            },
        )
    return event, True


def domain_event_claim(*, event_id: int) -> DomainEvent | None:
    """Move an event from received to processing (one worker wins; a redelivered task finds nothing to do)."""
    with transaction.atomic():
        claimed = DomainEvent.objects.filter(pk=event_id, status=DomainEvent.Status.RECEIVED).update(
            status=DomainEvent.Status.PROCESSING, attempts=F("attempts") + 1
        )
    return DomainEvent.objects.get(pk=event_id) if claimed else None


@transaction.atomic
def domain_event_finish(
    *,
    event: DomainEvent,
    status: str,
    reason: str = "",
    results: dict | None = None,
    error: str = "",
    plan_run_id: int | None = None,
) -> DomainEvent:
    event.status = status
    event.reason = reason[:2000]
    event.results = results or {}
    event.error = error
    event.plan_run_id = plan_run_id
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "reason", "results", "error", "plan_run_id", "processed_at"])
    audit_record(
        kind="system",
        action=f"domain_event_{status}",
        actor=None,
        subject_type="domain_event",
        subject_id=event.pk,
        payload={
            "kind": event.kind,
            "reason": event.reason,
            "results": event.results,
            "plan_run": plan_run_id,
        },
    )
    return event


def newer_event_for(event: DomainEvent) -> DomainEvent | None:
    """A processed event about the same shipment that happened after this one (this one arrived out of order)."""
    shipments = [s for s in event.payload.get("shipments", []) if s]
    if not shipments:
        return None
    candidates = (
        DomainEvent.objects.filter(
            status=DomainEvent.Status.PROCESSED,
            occurred_at__gt=event.occurred_at,
            kind__in=[DomainEvent.Kind.ASN, DomainEvent.Kind.INBOUND_DELAY],
        )
        .exclude(pk=event.pk)
        .order_by("-occurred_at")[:200]
    )
    for other in candidates:
        if set(other.payload.get("shipments", [])) & set(shipments):
            return other
    return None
