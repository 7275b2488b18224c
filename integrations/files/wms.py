"""WMS tasks (pick, replenishment, putaway) and labor capacity: inputs of the labor-bottleneck workflow."""

from __future__ import annotations

from django.utils import timezone

from ..models import LaborCapacity, WmsTask
from .apply import _counts, _rows, _update_fields, _upsert, resolve_items, resolve_locations

WMS_SOURCE = "wms"


def prepare_wms_tasks(frame, ctx, problems):
    resolve_items(frame, ctx, problems)
    resolve_locations(frame, ctx, problems)


def apply_wms_tasks(frame, ctx):
    existing = set(
        WmsTask.objects.filter(source=WMS_SOURCE, external_id__in=list(frame["task_id"])).values_list(
            "external_id", flat=True
        )
    )
    tasks = [
        WmsTask(
            source=WMS_SOURCE,
            external_id=r["task_id"],
            kind=r["kind"],
            location_id=int(r["location_id"]),
            item_id=int(r["item_id"]),
            quantity=int(r["quantity"]),
            due_at=r["due_at"],
            wave=r["wave"] or "",
            status=r["status"],
            priority=int(r["priority"]),
            updated_at=timezone.now(),
        )
        for r in _rows(frame)
    ]
    _upsert(
        WmsTask,
        tasks,
        unique=["source", "external_id"],
        update=_update_fields(
            ctx,
            {
                "kind": "kind",
                "location": "location",
                "sku": "item",
                "quantity": "quantity",
                "due_at": "due_at",
                "wave": "wave",
                "status": "status",
                "priority": "priority",
            },
        ),
    )
    ctx.wms_location_days.update((task.location_id, str(task.due_at)[:10]) for task in tasks)
    return _counts(len(tasks), len(existing))


def prepare_labor_capacity(frame, ctx, problems):
    resolve_locations(frame, ctx, problems)


def apply_labor_capacity(frame, ctx):
    rows = [
        LaborCapacity(
            location_id=int(r["location_id"]),
            date=r["date"],
            shift=r["shift"],
            available_hours=r["available_hours"],
            source=ctx.source,
            updated_at=timezone.now(),
        )
        for r in _rows(frame)
    ]
    ctx.wms_location_days.update((row.location_id, str(row.date)[:10]) for row in rows)
    before = LaborCapacity.objects.filter(location_id__in=set(frame["location_id"].astype(int))).count()
    _upsert(LaborCapacity, rows, unique=["location", "date", "shift"], update=["available_hours", "source"])
    after = LaborCapacity.objects.filter(location_id__in=set(frame["location_id"].astype(int))).count()
    return {"rows": len(rows), "created": after - before, "updated": len(rows) - (after - before)}
