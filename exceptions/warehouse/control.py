"""Warehouse control's figures for one location: read into plain data, then the pure calculation
(replenish.engine.cutoff). Shipping commitments of today and tomorrow by carrier cut-off window, the lines that will
miss their cut-off (shortage or labor) ranked by value, the wave that saves the most by running first, stock that can
be pulled from other locations, the receiving priority of inbound ASNs, and labor against planned work by hour."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Sum
from django.utils import timezone

from exceptions.workflows.atp import OPEN_SO, OPEN_SO_LINE
from exceptions.workflows.engine import task_hours
from integrations.models import LaborCapacity, WmsTask
from replenish import models as m
from replenish.engine import cutoff as engine
from replenish.shipping.models import CarrierCutoff

OPEN_TASK = (WmsTask.Status.OPEN, WmsTask.Status.RELEASED)
# Shift names -> (first hour, hours); any other name works 08:00-16:00. Capacity is spread evenly over the shift.
SHIFT_HOURS = {"day": (6, 8), "early": (6, 8), "swing": (14, 8), "late": (14, 8), "night": (22, 8)}
DEFAULT_SHIFT = (8, 8)
DAY_START = time(6)


@dataclass
class Window:
    key: str
    day: date
    carrier: str
    service: str
    cutoff: datetime
    pick_deadline: datetime
    lines: int = 0
    units: int = 0
    value: float = 0.0
    missing: int = 0
    missing_value: float = 0.0


@dataclass
class Control:
    location: m.Location
    now: datetime
    windows: list[Window]
    misses: list[dict]
    waves: list[dict]
    proposal: dict | None
    receiving: list[dict]
    chart: dict
    lines: dict = field(default_factory=dict)  # line id -> DueLine

    @property
    def missing_value(self) -> float:
        return round(sum(x["value"] for x in self.misses), 2)


def _window_for(cutoffs: list[CarrierCutoff], tier: str, day: date) -> CarrierCutoff | None:
    """The customer's tier's pickup that day, else the location's default pickup (blank tier)."""
    running = [c for c in cutoffs if c.runs_on(day)]
    return next((c for c in running if c.service_tier and c.service_tier == tier), None) or next(
        (c for c in running if not c.service_tier), None
    )


def _due_lines(location: m.Location, today: date, tz: ZoneInfo) -> tuple[list[engine.DueLine], dict, dict]:
    cutoffs = list(CarrierCutoff.objects.filter(location=location).select_related("carrier"))
    tomorrow = today + timedelta(days=1)
    rows = (
        m.SalesOrderLine.objects.filter(
            order__location=location, order__status__in=OPEN_SO, status__in=OPEN_SO_LINE
        )
        .filter(quantity_ordered__gt=F("quantity_shipped"))
        .select_related("order__customer__service_tier", "item")
        .order_by("pk")
    )
    lines, windows, info = [], {}, {}
    for row in rows.iterator(chunk_size=2000):
        ship = row.promised_ship_date or row.requested_ship_date
        if ship > tomorrow:
            continue
        day = max(ship, today)
        window = _window_for(cutoffs, row.order.customer.service_tier.code, day)
        if window is not None:
            at = datetime.combine(day, window.cutoff_time, tzinfo=tz)
            lead = window.pick_lead_minutes
            carrier, service = window.carrier.code, window.service
        else:  # no carrier window that day: the location's own shipping cut-off
            at = datetime.combine(day, location.shipping_cutoff, tzinfo=tz)
            lead, carrier, service = 60, "Unassigned", "location cut-off"
        key = f"{day}:{carrier}:{service}:{at:%H%M}"
        if key not in windows:
            windows[key] = Window(key, day, carrier, service, at, at - timedelta(minutes=lead))
        tier = row.order.customer.service_tier
        line = engine.DueLine(
            line_id=row.pk,
            item_id=row.item_id,
            units=row.quantity_ordered - row.quantity_shipped,
            unit_price=float(row.unit_price),
            unit_cost=float(row.item.unit_cost),
            tier_rank=tier.rank,
            penalty_per_late_line=float(tier.penalty_per_late_line),
            penalty_rate=float(tier.penalty_rate),
            pick_deadline=windows[key].pick_deadline,
            cutoff=at,
        )
        lines.append(line)
        info[row.pk] = {"row": row, "window": key, "late_already": ship < today}
    return lines, windows, info


def _capacity(location: m.Location, days: list[date], tz: ZoneInfo) -> dict[datetime, float]:
    hourly: dict[datetime, float] = defaultdict(float)
    for row in LaborCapacity.objects.filter(location=location, date__in=days):
        first, length = SHIFT_HOURS.get(row.shift.lower(), DEFAULT_SHIFT)
        start = datetime.combine(row.date, time(0), tzinfo=tz) + timedelta(hours=first)
        for h in range(length):
            hourly[start + timedelta(hours=h)] += float(row.available_hours) / length
    return dict(hourly)


def pick_tasks(location: m.Location, days: list[date], tz: ZoneInfo) -> list[engine.PickTask]:
    start = datetime.combine(days[0], time(0), tzinfo=tz)
    end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=tz)
    return [
        engine.PickTask(
            t.pk, t.item_id, task_hours(t.kind, t.quantity), t.priority, t.due_at.astimezone(tz), t.wave
        )
        for t in WmsTask.objects.filter(
            location=location, kind=WmsTask.Kind.PICK, status__in=OPEN_TASK, due_at__gte=start, due_at__lt=end
        )
    ]


def _finish(tasks, days, now, capacity) -> dict:
    finish: dict = {}
    for day in days:
        todays = engine.sequence([t for t in tasks if t.due_at.date() == day])
        start = max(now, datetime.combine(day, DAY_START, tzinfo=now.tzinfo))
        hours = {h: c for h, c in capacity.items() if h.date() == day}  # a day's picks use that day's labor
        finish.update(engine.pick_finish(todays, start=start, hourly_capacity=hours))
    return finish


def _with_wave_first(tasks, wave: str) -> list[engine.PickTask]:
    first = {t.task_id for t in tasks if t.wave == wave}
    return [
        engine.PickTask(
            t.task_id, t.item_id, t.hours, 0 if t.task_id in first else t.priority, t.due_at, t.wave
        )
        for t in tasks
    ]


def control_compute(*, location: m.Location, now: datetime | None = None) -> Control:
    tz = ZoneInfo(location.time_zone)
    now = (now or timezone.now()).astimezone(tz)
    today = now.date()
    days = [today, today + timedelta(days=1)]
    lines, windows, info = _due_lines(location, today, tz)
    available = dict(
        m.ItemLocation.objects.filter(location=location, item_id__in={x.item_id for x in lines}).values_list(
            "item_id", "on_hand"
        )
    )
    tasks = pick_tasks(location, days, tz)
    capacity = _capacity(location, days, tz)
    finish = _finish(tasks, days, now, capacity)
    misses = engine.misses(lines, available=available, finish=finish)
    by_id = {x.line_id: x for x in lines}
    for line in lines:
        w = windows[info[line.line_id]["window"]]
        w.lines += 1
        w.units += line.units
        w.value += line.units * line.unit_price
    for miss in misses:
        w = windows[info[miss.line_id]["window"]]
        w.missing += 1
        w.missing_value += miss.value
    waves, proposal = _waves(tasks, lines, available, finish, days, now, capacity, misses)
    return Control(
        location=location,
        now=now,
        windows=sorted(windows.values(), key=lambda w: (w.cutoff, w.carrier)),
        misses=[_miss_row(x, by_id[x.line_id], info[x.line_id], windows) for x in misses],
        waves=waves,
        proposal=proposal,
        receiving=receiving_priority(location=location, lines=lines, misses=misses, today=today),
        chart=_chart(tasks, capacity, days, tz),
        lines=by_id,
    )


def _miss_row(miss: engine.Miss, line: engine.DueLine, info: dict, windows: dict) -> dict:
    row = info["row"]
    w = windows[info["window"]]
    return {
        "line_id": miss.line_id,
        "order": row.order.number,
        "line": row.line_number,
        "customer": row.order.customer.name,
        "tier": row.order.customer.service_tier.code,
        "sku": row.item.sku,
        "item_id": row.item_id,
        "units": line.units,
        "short_units": miss.short_units,
        "labor_units": miss.labor_units,
        "reason": miss.reason,
        "value": miss.value,
        "parts": miss.parts,
        "window": f"{w.carrier} {w.service} {w.cutoff:%a %H:%M}",
        "late_already": info["late_already"],
    }


def _waves(tasks, lines, available, finish, days, now, capacity, misses) -> tuple[list[dict], dict | None]:
    """Each wave's work, and the wave whose running first saves the most value (the resequencing to propose)."""
    base = sum(x.value for x in misses)
    grouped: dict[str, list] = defaultdict(list)
    for t in tasks:
        grouped[t.wave or "(no wave)"].append(t)
    waves, best = [], None
    for wave, members in sorted(grouped.items(), key=lambda kv: min(t.due_at for t in kv[1])):
        row = {
            "wave": wave,
            "tasks": len(members),
            "hours": round(sum(t.hours for t in members), 2),
            "due": min(t.due_at for t in members),
            "priority": min(t.priority for t in members),
            "saves": 0.0,
            "saved_lines": 0,
        }
        if wave != "(no wave)":
            moved = _finish(_with_wave_first(tasks, wave), days, now, capacity)
            after = engine.misses(lines, available=available, finish=moved)
            row["saves"] = round(base - sum(x.value for x in after), 2)
            row["saved_lines"] = len(misses) - len(after)
            if row["saves"] > 0.005 and (best is None or row["saves"] > best["saves"]):
                best = row
        waves.append(row)
    return waves, best


def _chart(tasks, capacity: dict, days: list[date], tz: ZoneInfo) -> dict:
    load = engine.hourly_load(tasks)
    hours = [datetime.combine(d, time(0), tzinfo=tz) + timedelta(hours=h) for d in days for h in range(24)]
    return {
        "labels": [f"{h:%a %H}:00" for h in hours],
        "planned": [round(load.get(h, 0.0), 2) for h in hours],
        "capacity": [round(capacity.get(h, 0.0), 2) for h in hours],
    }


def receiving_priority(*, location: m.Location, lines, misses, today: date) -> list[dict]:
    """Inbound ASNs to the location (in transit or arrived, due by the day after tomorrow), ranked by the value of
    the backorders and missing lines waiting for them: units each ASN brings, up to what is short, at the
    missing lines' value per unit; plus backordered units on the SKU-locations it feeds at the item's margin."""
    short_value: dict[int, list[tuple[int, float]]] = defaultdict(list)  # item -> [(units, value per unit)]
    item_of = {x.line_id: x.item_id for x in lines}
    for miss in misses:
        if miss.short_units:
            short_value[item_of[miss.line_id]].append((miss.short_units, miss.value / max(miss.units, 1)))
    backordered = dict(
        m.ItemLocation.objects.filter(location=location, backordered__gt=0).values_list(
            "item_id", "backordered"
        )
    )
    shipments = (
        m.Shipment.objects.filter(location=location, status__in=["in_transit", "arrived"])
        .filter(expected_arrival__lte=today + timedelta(days=2))
        .select_related("supplier")
        .prefetch_related("lines__po_line__item")
    )
    out = []
    for shipment in shipments:
        value, units, waiting = 0.0, 0, 0
        for sl in shipment.lines.all():
            item = sl.po_line.item
            left = sl.quantity_shipped
            units += left
            for short_units, per_unit in sorted(short_value.get(item.pk, []), key=lambda x: -x[1]):
                take = min(left, short_units)
                value += take * per_unit
                waiting += take
                left -= take
            back = min(left, backordered.get(item.pk, 0))
            if back:
                value += back * max(float(item.unit_price - item.unit_cost), 0.0)
                waiting += back
        out.append(
            {
                "shipment": shipment,
                "units": units,
                "waiting_units": waiting,
                "value": round(value, 2),
            }
        )
    out.sort(key=lambda r: (-r["value"], r["shipment"].expected_arrival, r["shipment"].pk))
    return out


def spare_stock(*, item_id: int, exclude_location_id: int, today: date) -> list[dict]:
    """Other locations' stock of an item beyond their own on-hand commitments due by tomorrow (what can be pulled)."""
    due = dict(
        m.SalesOrderLine.objects.filter(
            item_id=item_id,
            order__status__in=OPEN_SO,
            status__in=OPEN_SO_LINE,
            requested_ship_date__lte=today + timedelta(days=1),
        )
        .values_list("order__location_id")
        .annotate(u=Sum(F("quantity_ordered") - F("quantity_shipped")))
    )
    out = []
    for il in (
        m.ItemLocation.objects.filter(item_id=item_id)
        .exclude(location_id=exclude_location_id)
        .select_related("location")
    ):
        spare = il.on_hand - il.allocated - int(due.get(il.location_id, 0) or 0)
        if spare > 0:
            out.append({"location": il.location, "spare": spare})
    return sorted(out, key=lambda r: -r["spare"])
