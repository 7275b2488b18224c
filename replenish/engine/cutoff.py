"""Shipping commitments against carrier cut-offs: which order lines will miss their pickup, and why (pure Python and
numpy; no Django).

- Shortage: the location's on-hand units of an item serve its due lines in shipping order (earliest pickup first,
  then the higher service tier, then the larger line); what is left uncovered misses the cut-off.
- Labor: the WMS works its pick tasks in sequence (priority, then due time) from the start of the day's work, at
  the hour-by-hour labor capacity; a pick finishing after its pickup's pick deadline (cut-off minus the pick lead
  time) misses the cut-off for the lines it serves.
- Value: a line that misses is valued with the one formula of replenish.engine.value (`compose`): the margin of its
  missed units as order exposure plus its service tier's penalties (per late line + rate x the late value).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .value import compose


@dataclass(frozen=True)
class DueLine:
    line_id: int
    item_id: int
    units: int  # open units due to ship
    unit_price: float
    unit_cost: float
    tier_rank: int
    penalty_per_late_line: float
    penalty_rate: float
    pick_deadline: datetime  # cut-off minus the pick lead time
    cutoff: datetime

    @property
    def day(self):
        return self.cutoff.date()


@dataclass(frozen=True)
class PickTask:
    task_id: int
    item_id: int
    hours: float
    priority: int
    due_at: datetime
    wave: str = ""


@dataclass
class Miss:
    line_id: int
    short_units: int = 0  # not in stock
    labor_units: int = 0  # in stock but not picked in time
    reason: str = ""
    value: float = 0.0
    parts: dict = field(default_factory=dict)

    @property
    def units(self) -> int:
        return self.short_units + self.labor_units


def shipping_order(lines: Iterable[DueLine]) -> list[DueLine]:
    return sorted(lines, key=lambda x: (x.cutoff, x.tier_rank, -x.units, x.line_id))


def shortages(lines: Iterable[DueLine], available: dict[int, int]) -> dict[int, int]:
    """Short units per line after the on-hand units of each item serve its lines in shipping order."""
    left = dict(available)
    short: dict[int, int] = {}
    for line in shipping_order(lines):
        have = max(left.get(line.item_id, 0), 0)
        take = min(have, line.units)
        left[line.item_id] = have - take
        if line.units > take:
            short[line.line_id] = line.units - take
    return short


def sequence(tasks: Iterable[PickTask]) -> list[PickTask]:
    """The WMS work order: priority (1 = first), then due time."""
    return sorted(tasks, key=lambda t: (t.priority, t.due_at, t.task_id))


def completion_times(
    tasks: list[PickTask], *, start: datetime, hourly_capacity: dict[datetime, float]
) -> dict[int, datetime | None]:
    """When each task of the sequence finishes, working from `start` at the hour-by-hour capacity (hours of labor
    available in the hour beginning at each key). None: the day's capacity runs out before the task is done."""
    hours = sorted(h for h in hourly_capacity if h + timedelta(hours=1) > start)
    done: dict[int, datetime | None] = {}
    slot, used = 0, 0.0  # current hour index and labor hours already used in it
    for task in tasks:
        need = task.hours
        finished = None
        while slot < len(hours):
            hour = hours[slot]
            begin = max(hour, start)
            usable = hourly_capacity[hour] * ((hour + timedelta(hours=1) - begin) / timedelta(hours=1))
            free = usable - used
            if need <= free + 1e-9:
                used += need
                share = used / usable if usable > 0 else 1.0
                finished = begin + (hour + timedelta(hours=1) - begin) * share
                break
            need -= max(free, 0.0)
            slot, used = slot + 1, 0.0
        done[task.task_id] = finished
    return done


def pick_finish(
    tasks: list[PickTask], *, start: datetime, hourly_capacity: dict[datetime, float]
) -> dict[tuple[int, object], datetime | None]:
    """(item, day) -> when the last pick of that item due that day finishes in this sequence (None: not that day)."""
    finish = completion_times(tasks, start=start, hourly_capacity=hourly_capacity)
    out: dict[tuple[int, object], datetime | None] = {}
    for task in tasks:
        key = (task.item_id, task.due_at.date())
        end = finish[task.task_id]
        if key in out and out[key] is None:
            continue  # an earlier pick of the item that day never finishes
        out[key] = None if end is None else max(end, out.get(key) or end)
    return out


def misses(
    lines: list[DueLine],
    *,
    available: dict[int, int],
    finish: dict[tuple[int, object], datetime | None],
) -> list[Miss]:
    """The lines that will miss their cut-off, each with its short and labor units and its value, highest first.
    `finish` is `pick_finish` of the WMS sequence: a line whose item is picked after its pick deadline (or not that
    day) misses for labor; a line with no pick task is not labor-bound."""
    short = shortages(lines, available)
    found: list[Miss] = []
    for line in lines:
        short_units = short.get(line.line_id, 0)
        labor_units = 0
        key = (line.item_id, line.day)
        end = finish.get(key, line.pick_deadline)
        if key in finish and (end is None or end > line.pick_deadline):
            labor_units = line.units - short_units
        if short_units + labor_units <= 0:
            continue
        reasons = []
        if short_units:
            reasons.append(f"{short_units} short of stock")
        if labor_units:
            when = end.strftime("%H:%M") if end else "after the day's labor"
            reasons.append(f"{labor_units} picked {when}, pick deadline {line.pick_deadline:%H:%M}")
        found.append(Miss(line.line_id, short_units, labor_units, "; ".join(reasons)))
    by_id = {line.line_id: line for line in lines}
    if found:
        units = [m.units for m in found]
        ls = [by_id[m.line_id] for m in found]
        parts = compose(
            order_exposure=[u * max(x.unit_price - x.unit_cost, 0.0) for u, x in zip(units, ls)],
            tier_penalties=[
                x.penalty_per_late_line + x.penalty_rate * u * x.unit_price for u, x in zip(units, ls)
            ],
        )
        for k, miss in enumerate(found):
            miss.parts = {name: float(values[k]) for name, values in parts.items() if name != "feasibility"}
            miss.value = miss.parts["value"]
    return sorted(found, key=lambda m: (-m.value, m.line_id))


def hourly_load(tasks: Iterable[PickTask]) -> dict[datetime, float]:
    """Planned work by hour: the labor hours of the tasks due in each hour (the hour the work must be done by)."""
    load: dict[datetime, float] = defaultdict(float)
    for task in tasks:
        load[task.due_at.replace(minute=0, second=0, microsecond=0)] += (
            task.hours
        )  # 14:30 is in the 14:00 hour
    return dict(load)


def wave_first(tasks: list[PickTask], wave: str) -> list[PickTask]:
    """The sequence with one wave's tasks moved to the front (the resequencing the supervisor posts)."""
    ordered = sequence(tasks)
    return [t for t in ordered if t.wave == wave] + [t for t in ordered if t.wave != wave]
