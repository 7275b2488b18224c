"""Warehouse labor bottleneck: WMS capacity below the task backlog before cut-off -> tasks ranked by shipment
urgency and service-tier exposure -> a resequenced work queue (CSV for the WMS), low-priority replenishment deferred."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Sum

from integrations.models import LaborCapacity, WmsTask
from replenish import models as m
from replenish.core.audit import audit_record

from . import engine
from .atp import OPEN_SO, OPEN_SO_LINE, is_tiered
from .models import DomainEvent, WorkflowTask

OPEN_TASK = (WmsTask.Status.OPEN, WmsTask.Status.RELEASED)


def cutoff_of(location: m.Location, day: date) -> datetime:
    return datetime.combine(day, location.shipping_cutoff, tzinfo=ZoneInfo(location.time_zone))


def labor_check(
    *, location_id: int, day: date, event: DomainEvent | None = None, actor=None
) -> WorkflowTask | None:
    """Compare the location's labor hours of `day` with the open task backlog due before the next day's cut-off; on a
    bottleneck write (or refresh) the resequenced work queue as a warehouse-control task. None = no bottleneck."""
    location = m.Location.objects.get(pk=location_id)
    cutoff = cutoff_of(location, day)
    capacity = float(
        LaborCapacity.objects.filter(location=location, date=day).aggregate(h=Sum("available_hours"))["h"]
        or Decimal(0)
    )
    tasks = list(
        WmsTask.objects.filter(
            location=location, status__in=OPEN_TASK, due_at__lt=cutoff + timedelta(days=1)
        ).order_by("due_at", "pk")
    )
    exposure: dict[int, float] = defaultdict(float)
    tiers = {t.pk: t for t in m.ServiceTier.objects.all()}
    for item_id, qty, shipped, price, tier_id in m.SalesOrderLine.objects.filter(
        item_id__in={t.item_id for t in tasks},
        order__location=location,
        status__in=OPEN_SO_LINE,
        order__status__in=OPEN_SO,
        requested_ship_date__lte=day,
    ).values_list(
        "item_id", "quantity_ordered", "quantity_shipped", "unit_price", "order__customer__service_tier"
    ):
        tier = tiers[tier_id]
        if is_tiered(tier):
            value = float(price) * max(qty - shipped, 0)
            exposure[item_id] += value + float(tier.penalty_per_late_line) + float(tier.penalty_rate) * value
    inputs = [
        engine.WmsTaskIn(
            t.pk,
            t.kind,
            t.item_id,
            t.quantity,
            t.due_at,
            t.priority,
            exposure.get(t.item_id, 0.0) if t.kind == "pick" else 0.0,
        )
        for t in tasks
    ]
    backlog = sum(engine.task_hours(t.kind, t.quantity) for t in inputs)
    key = f"labor:{location.pk}:{day.isoformat()}"
    with transaction.atomic():
        live = (
            WorkflowTask.objects.select_for_update()
            .filter(dedupe_key=key, status=WorkflowTask.Status.OPEN)
            .first()
        )
        if backlog <= capacity:
            if live is not None:
                live.status = WorkflowTask.Status.CLOSED
                live.save(update_fields=["status", "updated_at"])
                audit_record(
                    kind="system",
                    action="workflow_task_closed",
                    actor=actor,
                    subject_type="workflow_task",
                    subject_id=live.pk,
                    payload={"reason": f"capacity {capacity:.1f} h covers {backlog:.1f} h"},
                )
            return None
        sequence = engine.labor_resequence(tasks=inputs, capacity_hours=capacity, cutoff=cutoff)
        by_id = {t.pk: t for t in tasks}
        rows = [
            {
                "task_id": by_id[s.task_id].external_id,
                "kind": by_id[s.task_id].kind,
                "rank": s.rank,
                "hours": round(s.hours, 3),
                "cumulative_hours": round(s.cumulative_hours, 3),
                "fits_before_cutoff": s.fits_before_cutoff,
                "deferred": s.deferred,
                "reason": s.reason,
                "item_id": by_id[s.task_id].item_id,
                "due_at": by_id[s.task_id].due_at.isoformat(),
            }
            for s in sequence
        ]
        deferred = sum(r["deferred"] for r in rows)
        values = dict(
            kind=WorkflowTask.Kind.LABOR_RESEQUENCE,
            owner_team="warehouse_control",
            location=location,
            value_at_stake=Decimal(str(round(sum(exposure.values()), 2))),
            confidence=0.9,
            title=f"{location.code} {day}: backlog {backlog:.1f} h > labor {capacity:.1f} h; "
            f"{deferred} replenishment task(s) deferred",
            payload={
                "capacity_hours": capacity,
                "backlog_hours": round(backlog, 3),
                "cutoff": cutoff.isoformat(),
                "sequence": rows,
                "deferred": deferred,
            },
            event=event,
        )
        if live is None:
            live = WorkflowTask.objects.create(dedupe_key=key, **values)
            action = "labor_resequence_created"
        else:
            for k, v in values.items():
                setattr(live, k, v)
            live.save()
            action = "labor_resequence_updated"
        audit_record(
            kind="recommendation",
            action=action,
            actor=actor,
            subject_type="workflow_task",
            subject_id=live.pk,
            payload={
                "location": location.code,
                "day": str(day),
                "capacity": capacity,
                "backlog": round(backlog, 3),
                "deferred": deferred,
                "event": getattr(event, "pk", None),
            },
        )
    return live


def sequence_csv(task: WorkflowTask) -> str:
    """The resequenced work queue as CSV for the WMS (task_id, sequence, status, reason)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["task_id", "kind", "sequence", "action", "due_at", "cumulative_hours", "reason"])
    for r in task.payload.get("sequence", []):
        writer.writerow(
            [
                r["task_id"],
                r["kind"],
                r["rank"] or "",
                "defer" if r["deferred"] else "release",
                r["due_at"],
                r["cumulative_hours"],
                r["reason"],
            ]
        )
    return out.getvalue()
