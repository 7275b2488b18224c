"""Pure calculations of the workflows (numpy / pandas / scipy, no Django): ATP by order line, constrained-supply
allocation (scipy.optimize.milp, lexicographic), labor resequencing, stockout risk and supplier-decline impact.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.stats import norm

# --- ATP by order line ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandLine:
    line_id: int
    requested: date
    tier_rank: int  # 1 = highest priority
    quantity: int  # open quantity (ordered - shipped)


@dataclass(frozen=True)
class LinePromise:
    line_id: int
    cumulative_demand: int
    supply_at_request: int
    promise_date: date | None  # None: no supply in sight
    short_units: int  # units not available on the requested date

    @property
    def at_risk(self) -> bool:
        return self.short_units > 0


def atp_promises(
    *, on_hand: int, inbound: list[tuple[date, int]], lines: list[DemandLine], today: date
) -> list[LinePromise]:
    """Available to promise per open order line (DESIGN.md: ATP = on hand + inbound by date - committed demand by
    date). Lines commit in (requested date, tier rank, id) order, so an earlier line - or, on the same day, a higher
    tier - consumes supply first; a short earlier line is a backorder filled by the next inbound before later lines.
    Line k is covered on date t when S(t) >= D_k, where S(t) is on hand plus inbound arriving on or before t and D_k
    the cumulative open quantity of lines 1..k. Its promise date is the first t >= requested with S(t) >= D_k.
    Inbound dated in the past (late, not yet received) counts as arriving today."""
    arrivals = sorted((max(day, today), int(qty)) for day, qty in inbound if qty > 0)
    days = [d for d, _ in arrivals]
    cumulative_inbound = list(itertools.accumulate(q for _, q in arrivals))

    def supply_on(day: date) -> int:
        k = bisect.bisect_right(days, day)  # the arrivals on or before the day (days is sorted)
        return int(on_hand) + (cumulative_inbound[k - 1] if k else 0)

    out: list[LinePromise] = []
    demand = 0
    for line in sorted(lines, key=lambda ln: (ln.requested, ln.tier_rank, ln.line_id)):
        demand += int(line.quantity)
        ask = max(line.requested, today)
        have = supply_on(ask)
        promise: date | None = ask if have >= demand else None
        if promise is None:
            for day, total in zip(days, cumulative_inbound, strict=True):
                if day > ask and on_hand + total >= demand:
                    promise = day
                    break
        short = int(min(line.quantity, max(demand - have, 0)))
        out.append(LinePromise(line.line_id, demand, have, promise, short))
    return out


# --- constrained-supply allocation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocDemand:
    key: int
    location: int  # where the demand ships from normally
    quantity: int
    contractual_minimum: int  # units promised by contract (tier fill promise x quantity, rounded up)
    unit_margin: float
    velocity: float  # demand velocity of the line's SKU-location (units / week)


@dataclass
class AllocationResult:
    allocated: dict[int, dict[int, int]]  # demand key -> {supply location: units}
    shortfall: float
    margin: float
    velocity: float
    rationale: dict[int, str] = field(default_factory=dict)

    def total(self, key: int) -> int:
        return sum(self.allocated.get(key, {}).values())


def _objective_tuple(x: dict[int, dict[int, int]], demands: list[AllocDemand], transfer_cost: float):
    shortfall = sum(max(d.contractual_minimum - sum(x[d.key].values()), 0) for d in demands)
    margin = sum(
        q * (d.unit_margin - (0.0 if loc == d.location else transfer_cost))
        for d in demands
        for loc, q in x[d.key].items()
    )
    velocity = sum(d.velocity * sum(x[d.key].values()) for d in demands)
    return shortfall, margin, velocity


def allocate(
    *, supply: dict[int, int], demands: list[AllocDemand], transfer_cost: float = 0.0
) -> AllocationResult:
    """Allocate constrained supply across branches and customers, lexicographically: (1) minimise the units short of
    contractual minimums, then (2) maximise margin (net of a per-unit transfer cost when another location ships), then
    (3) maximise demand velocity served. Each stage is a MILP (scipy.optimize.milp, HiGHS) with the previous stages'
    optima fixed as constraints - the standard sequential method for lexicographic optimisation, exact for integers.

    Variables: x[i, l] units of demand i from supply location l (integer, 0..quantity_i); s[i] >= 0 contractual
    shortfall with sum_l x[i, l] + s[i] >= minimum_i. Constraints: sum_i x[i, l] <= supply_l; sum_l x[i, l] <= q_i."""
    locations = sorted(supply)
    n, nl = len(demands), len(locations)
    if n == 0 or nl == 0:
        return AllocationResult({d.key: {} for d in demands}, 0.0, 0.0, 0.0)
    nx = n * nl
    nv = nx + n

    def xi(i: int, j: int) -> int:
        return i * nl + j

    rows, lo, hi = [], [], []
    for j, loc in enumerate(locations):  # supply
        row = np.zeros(nv)
        for i in range(n):
            row[xi(i, j)] = 1
        rows.append(row), lo.append(-np.inf), hi.append(supply[loc])
    for i, d in enumerate(demands):  # demand cap and contractual shortfall
        row = np.zeros(nv)
        row[[xi(i, j) for j in range(nl)]] = 1
        rows.append(row), lo.append(-np.inf), hi.append(d.quantity)
        row = row.copy()
        row[nx + i] = 1
        rows.append(row), lo.append(min(d.contractual_minimum, d.quantity)), hi.append(np.inf)
    upper = np.concatenate(
        [np.repeat([d.quantity for d in demands], nl), [d.contractual_minimum for d in demands]]
    )
    bounds = Bounds(np.zeros(nv), upper.astype(float))
    integrality = np.concatenate([np.ones(nx), np.zeros(n)])
    c_short = np.concatenate([np.zeros(nx), np.ones(n)])
    c_margin = np.zeros(nv)
    c_velocity = np.zeros(nv)
    for i, d in enumerate(demands):
        for j, loc in enumerate(locations):
            c_margin[xi(i, j)] = d.unit_margin - (0.0 if loc == d.location else transfer_cost)
            c_velocity[xi(i, j)] = d.velocity
    solution = None
    for c, sense in ((c_short, 1.0), (c_margin, -1.0), (c_velocity, -1.0)):
        res = milp(
            sense * c,
            constraints=LinearConstraint(np.array(rows), lo, hi),
            integrality=integrality,
            bounds=bounds,
        )
        if (
            not res.success
        ):  # cannot happen (x = 0, s = minimum is always feasible); keep the last stage's answer
            break
        solution = res.x
        optimum = float(c @ res.x)
        tol = 1e-6 * max(1.0, abs(optimum))
        rows.append(c.copy())
        lo.append(-np.inf if sense > 0 else optimum - tol)
        hi.append(optimum + tol if sense > 0 else np.inf)
    x = np.rint(solution[:nx]).astype(int).reshape(n, nl)
    allocated = {
        d.key: {locations[j]: int(x[i, j]) for j in range(nl) if x[i, j] > 0} for i, d in enumerate(demands)
    }
    shortfall, margin, velocity = _objective_tuple(allocated, demands, transfer_cost)
    result = AllocationResult(allocated, shortfall, margin, velocity)
    result.rationale = {d.key: _rationale(d, allocated[d.key], demands, transfer_cost) for d in demands}
    return result


def _rationale(d: AllocDemand, got: dict[int, int], demands: list[AllocDemand], transfer_cost: float) -> str:
    total = sum(got.values())
    parts = []
    if d.contractual_minimum:
        met = min(total, d.contractual_minimum)
        parts.append(
            f"contract minimum {d.contractual_minimum}: {met} met first"
            + (
                ""
                if met == d.contractual_minimum
                else " (supply ran out: every unit went to contract minimums)"
            )
        )
    extra = total - min(total, d.contractual_minimum)
    if extra:
        parts.append(f"{extra} more at margin {d.unit_margin:.2f}/unit")
    transferred = {loc: q for loc, q in got.items() if loc != d.location}
    if transferred:
        parts.append(
            "by transfer from "
            + ", ".join(f"location {loc} ({q})" for loc, q in transferred.items())
            + f", net of {transfer_cost:.2f}/unit freight"
        )
    if total < d.quantity:
        better = sum(1 for o in demands if o.key != d.key and o.unit_margin > d.unit_margin)
        parts.append(
            f"{d.quantity - total} short: supply went to contract minimums"
            + (f" and {better} higher-margin line(s)" if better else "")
            + (f"; velocity {d.velocity:.1f}/wk broke ties" if d.velocity else "")
        )
    return f"{total} of {d.quantity} allocated: " + "; ".join(parts or ["nothing demanded"])


def allocate_brute_force(*, supply: dict[int, int], demands: list[AllocDemand], transfer_cost: float = 0.0):
    """Enumerate every integer allocation (tiny instances only): the lexicographic optimum (shortfall, -margin,
    -velocity). The test oracle for `allocate`."""
    locations = sorted(supply)
    per_demand = []
    for d in demands:
        options = [
            combo
            for combo in itertools.product(range(d.quantity + 1), repeat=len(locations))
            if sum(combo) <= d.quantity
        ]
        per_demand.append(options)
    best = None
    for choice in itertools.product(*per_demand):
        if any(sum(c[j] for c in choice) > supply[loc] for j, loc in enumerate(locations)):
            continue
        x = {
            d.key: {locations[j]: c[j] for j in range(len(locations)) if c[j]}
            for d, c in zip(demands, choice, strict=True)
        }
        short, margin, velocity = _objective_tuple(x, demands, transfer_cost)
        key = (round(short, 9), -round(margin, 9), -round(velocity, 9))
        if best is None or key < best[0]:
            best = (key, x)
    return best


# --- stockout risk ------------------------------------------------------------------------------------------------


# --- labor bottleneck ---------------------------------------------------------------------------------------------

# Standard labor minutes per task and per unit, by task kind (engineered standards; override per site later).
LABOR_MINUTES = {"pick": (2.0, 0.25), "replenishment": (6.0, 0.10), "putaway": (4.0, 0.10)}
LOW_PRIORITY = 5  # WMS priority 1 = most urgent; replenishment at or below this urgency can wait a shift


@dataclass(frozen=True)
class WmsTaskIn:
    task_id: int
    kind: str
    item_id: int
    quantity: int
    due_at: datetime
    priority: int
    tier_exposure: float  # money of tiered open order lines shipping this item from this location by cut-off


@dataclass(frozen=True)
class SequencedTask:
    task_id: int
    rank: int | None  # None = deferred
    hours: float
    cumulative_hours: float
    fits_before_cutoff: bool
    deferred: bool
    reason: str


def task_hours(kind: str, quantity: int) -> float:
    per_task, per_unit = LABOR_MINUTES.get(kind, (3.0, 0.1))
    return (per_task + per_unit * quantity) / 60.0


def labor_resequence(
    *, tasks: list[WmsTaskIn], capacity_hours: float, cutoff: datetime
) -> list[SequencedTask]:
    """Rank WMS tasks by shipment urgency and service-tier exposure when labor is short of the backlog.

    Urgent = due at or before the cut-off. Order: picks and replenishments feeding urgent picks (same item) first, by
    tier exposure (desc) then due time; then the rest by due time. Low-priority replenishment tasks (priority >=
    LOW_PRIORITY) that feed no urgent pick are deferred past the cut-off when the backlog exceeds capacity."""
    backlog = sum(task_hours(t.kind, t.quantity) for t in tasks)
    bottleneck = backlog > capacity_hours
    urgent_pick_items = {t.item_id for t in tasks if t.kind == "pick" and t.due_at <= cutoff}

    def feeds_urgent(t: WmsTaskIn) -> bool:
        return t.kind == "replenishment" and t.item_id in urgent_pick_items

    def defer(t: WmsTaskIn) -> bool:
        return bottleneck and t.kind == "replenishment" and t.priority >= LOW_PRIORITY and not feeds_urgent(t)

    def key(t: WmsTaskIn):
        urgent = (t.kind == "pick" and t.due_at <= cutoff) or feeds_urgent(t)
        return (
            0 if urgent else 1,
            0 if feeds_urgent(t) else 1,
            -t.tier_exposure,
            t.due_at,
            t.priority,
            t.task_id,
        )

    out: list[SequencedTask] = []
    used = 0.0
    for rank, t in enumerate(sorted((t for t in tasks if not defer(t)), key=key), start=1):
        hours = task_hours(t.kind, t.quantity)
        used += hours
        urgent = t.due_at <= cutoff
        why = (
            "feeds an urgent pick"
            if feeds_urgent(t)
            else f"due {'before' if urgent else 'after'} cut-off, tier exposure {t.tier_exposure:,.2f}"
        )
        out.append(SequencedTask(t.task_id, rank, hours, used, used <= capacity_hours + 1e-9, False, why))
    for t in sorted((t for t in tasks if defer(t)), key=lambda t: (t.due_at, t.task_id)):
        out.append(
            SequencedTask(
                t.task_id,
                None,
                task_hours(t.kind, t.quantity),
                used,
                False,
                True,
                f"low-priority replenishment (priority {t.priority}) deferred: labor "
                f"{capacity_hours:.1f} h < backlog {backlog:.1f} h",
            )
        )
    return out


# --- supplier decline ---------------------------------------------------------------------------------------------


def safety_stock(
    *, z: float, daily_demand: float, daily_sd: float, lead_time: float, lead_time_sd: float
) -> float:
    """SS = z * sqrt(L * sd_d^2 + d^2 * sd_L^2) (DESIGN.md, lead-time demand with lead-time variability)."""
    return float(z * np.sqrt(max(lead_time, 0) * daily_sd**2 + daily_demand**2 * lead_time_sd**2))


def service_after_drift(
    *, safety_stock_units: float, daily_demand: float, daily_sd: float, lead_time: float, lead_time_sd: float
) -> float:
    """Cycle service level the current safety stock gives under the drifted lead time: Phi(SS / sd_LTD)."""
    sd = np.sqrt(max(lead_time, 0) * daily_sd**2 + daily_demand**2 * lead_time_sd**2)
    return float(norm.cdf(safety_stock_units / sd)) if sd > 0 else 1.0


def z_for(service_target: float) -> float:
    return float(norm.ppf(min(max(service_target, 0.5), 0.9999)))
