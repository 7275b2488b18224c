"""The demo's warehouse-control data: carriers and cut-offs (imported as a file, through the inbox, like any master
data), today's and tomorrow's pick tasks in one wave per carrier pickup, and the labor to work them.

The WMS starts with the waves in the wrong order (the earliest pickup's wave last) and with just enough labor (5% over)
to ship everything in pickup order: so the earliest pickup is missed until the supervisor runs its wave first, which
is the decision warehouse control proposes (whenever a day has two pickups with work and the earliest wave is under
95% of the day's picking)."""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from exceptions.workflows.engine import task_hours
from integrations.files.importers import file_import
from integrations.models import LaborCapacity, WmsTask
from replenish import models as m

from . import control

# carrier, name, service, customer tier routed to it (blank = default), cut-off, pick lead minutes
DEMO_CUTOFFS = [
    ("XPO", "XPO Logistics LTL", "ltl", "standard", "14:00", 90),
    ("UPS", "UPS", "ground", "", "16:00", 60),
    ("FDXE", "FedEx Express", "next-day", "platinum", "17:30", 45),
]
WORK_START = time(6)
SLACK = 1.05  # labor over what shipping every wave in pickup order needs


def carrier_cutoffs_csv(location_codes: list[str]) -> bytes:
    out = io.StringIO()
    out.write("location,carrier,carrier_name,service,service_tier,cutoff,pick_lead_minutes,weekdays\n")
    for code in location_codes:
        for carrier, name, service, tier, cutoff, lead in DEMO_CUTOFFS:
            out.write(f"{code},{carrier},{name},{service},{tier},{cutoff},{lead},1234567\n")
    return out.getvalue().encode()


def warehouse_demo_load(*, now: datetime | None = None) -> dict:
    """Idempotent: the cut-off file is a replay the second time; tasks and labor are keyed by day and wave."""
    locations = list(m.Location.objects.order_by("code"))
    message = file_import(
        kind="carrier_cutoffs", data=carrier_cutoffs_csv([x.code for x in locations]), filename="carriers.csv"
    )
    tasks = labor = 0
    for location in locations:
        t, h = _location_work(location, now or timezone.now())
        tasks += t
        labor += h
    returned = returns_load(rng=random.Random(7), day=timezone.localdate(), count=24)
    return {
        "cutoffs_message": message.pk,
        "status": message.status,
        "pick_tasks": tasks,
        "labor_rows": labor,
        "returns": returned.summary.get("rows", 0),
        "returns_status": returned.status,
    }


@transaction.atomic
def _location_work(location: m.Location, now: datetime) -> tuple[int, int]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(location.time_zone)
    today = now.astimezone(tz).date()
    lines, windows, info = control._due_lines(location, today, tz)
    by_wave: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        window = next(
            w for w in windows.values() if w.cutoff == line.cutoff and w.pick_deadline == line.pick_deadline
        )
        by_wave[(window.day, window.carrier, window.pick_deadline)][line.item_id] += line.units
    rows, hours_by_day = [], defaultdict(list)
    for (day, carrier, deadline), items in by_wave.items():
        wave = f"{day:%a}-{carrier}".upper()
        hours = sum(task_hours("pick", q) for q in items.values())
        hours_by_day[day].append((deadline, hours, wave))
        for item_id, quantity in items.items():
            rows.append(
                WmsTask(
                    source="wms",
                    external_id=f"DEMO-{location.code}-{day:%Y%m%d}-{carrier}-{item_id}",
                    kind=WmsTask.Kind.PICK,
                    location=location,
                    item_id=item_id,
                    quantity=quantity,
                    due_at=deadline,
                    wave=wave,
                    status=WmsTask.Status.OPEN,
                    priority=5,
                )
            )
    # the WMS's own (wrong) order: the earliest pickup's wave last (priority 5, the others 3)
    earliest = {day: min(waves)[2] for day, waves in hours_by_day.items()}
    for row in rows:
        if row.wave != earliest[row.due_at.date()]:
            row.priority = 3
    WmsTask.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["source", "external_id"],
        update_fields=["quantity", "due_at", "wave", "status", "priority"],
    )
    labor = []
    for day, waves in hours_by_day.items():
        start = datetime.combine(day, WORK_START, tzinfo=tz)
        # hours per clock hour so that every wave, in pickup order, is picked by its deadline (with SLACK)
        done, rate = 0.0, 0.0
        for deadline, hours, _wave in sorted(waves):
            done += hours
            span = max((deadline - start) / timedelta(hours=1), 1.0)
            rate = max(rate, done / span)
        per_shift = round(rate * SLACK * 8, 2)
        for shift in ("day", "swing"):
            labor.append(
                LaborCapacity(
                    location=location, date=day, shift=shift, available_hours=per_shift, source="wms"
                )
            )
    LaborCapacity.objects.bulk_create(
        labor,
        update_conflicts=True,
        unique_fields=["location", "date", "shift"],
        update_fields=["available_hours"],
    )
    return len(rows), len(labor)


CONDITIONS = ("new", "new", "good", "good", "damaged", "defective")
REASONS = ("ordered in error", "arrived late", "wrong item shipped", "damaged in transit", "does not work")


def returns_csv(rng, day, count: int, tag: str = "DEMO") -> bytes:
    """Return lines of existing order lines: half of them of items backordered at the same location (a restock
    fills the backorder), the rest of any order line; quantities within what the line sold."""
    need: dict[tuple[int, int], int] = {}  # the first backordered line's open units per (item, location)
    for item_id, location_id, ordered, shipped, allocated in (
        m.SalesOrderLine.objects.filter(status=m.SalesOrderLine.Status.BACKORDERED)
        .order_by("order__customer__service_tier__rank", "requested_ship_date", "pk")
        .values_list(
            "item_id", "order__location_id", "quantity_ordered", "quantity_shipped", "quantity_allocated"
        )[:2000]
    ):
        if ordered - shipped - allocated > 0:
            need.setdefault((item_id, location_id), ordered - shipped - allocated)
    pairs = set(need)
    pool = list(m.SalesOrderLine.objects.select_related("order__location", "item").order_by("pk")[:5000])
    matching = [x for x in pool if (x.item_id, x.order.location_id) in pairs]
    chosen = rng.sample(matching, min(count // 2, len(matching)))
    chosen += rng.sample(pool, min(count - len(chosen), len(pool)))
    out = io.StringIO()
    out.write("rma,line,order,order_line,sku,location,quantity,condition,reason,received_date\n")
    for n, line in enumerate(chosen, start=1):
        quantity = rng.randint(1, max(1, min(line.quantity_ordered, 6)))
        wanted = need.get((line.item_id, line.order.location_id))
        if wanted:  # enough to fill the waiting backorder when the line sold that many
            quantity = min(line.quantity_ordered, wanted)
        out.write(
            f"RMA-{tag}-{day:%Y%m%d}-{n:03d},1,{line.order.number},{line.line_number},{line.item.sku},"
            f"{line.order.location.code},{quantity},{rng.choice(CONDITIONS)},{rng.choice(REASONS)},{day}\n"
        )
    return out.getvalue().encode()


def returns_load(*, rng, day, count: int, tag: str = "DEMO"):
    """Return lines through the inbox (a file import, as a returns system would send them)."""
    return file_import(
        kind="returns", data=returns_csv(rng, day, count, tag), filename=f"returns-{tag}-{day}.csv"
    )
