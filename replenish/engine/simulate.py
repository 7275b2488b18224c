"""Inventory policy simulator: replay daily demand against a replenishment policy, many series at once.

Answers "on held-out weeks, does dynamic replenishment beat static min-max on fill rate, inventory and
expedites?" Pure numpy/pandas: arrays in, DataFrames and a JSON-serialisable dict out. No Django.

Vectorised across series; the only Python loop is over days. Every policy in `compare_policies` sees the same
demand matrix and the same lead-time draws (common random numbers).

Timing convention for day t (0-based), in this order:
  1. receipts: everything whose available day is <= t goes on hand;
  2. backorders are served first (FIFO), then day t's demand is served from on hand; the unserved part of day t's
     demand is "not filled on time" and is backordered (default) or lost (`lost_sales=True`);
  3. review (days with (t - review_offset) % review_period == 0): inventory position = on hand - backorders +
     on order (DESIGN.md, "inventory position"); optional lateral transfers first, then a supplier order when
     position <= s;
  4. optional expediting, then the exception check; the day's end-of-day on hand is recorded.
An order placed at the end of day t with lead time L days is available from day t + L + 1. So with daily review
the protection interval of a base-stock policy is L + 1 days (lead time plus one review period, the textbook
"L + R"), and an (s, S) policy with constant demand d and constant lead time L never stocks out iff the
position at ordering is >= d * L.

Lead-time draws are shared by order sequence number: the k-th supplier order placed by series i gets
`lead_times[i, k]` (or `sampler(i, k)`) under every policy, whatever day it is placed. Two policies that order at
different times therefore face the same sequence of supplier performance, not the same lead time on the same
calendar day. `lead_time_index="day"` switches to calendar indexing (`lead_times[i, t]` for an order placed on
day t), which keeps a supplier's slow weeks aligned across policies instead. Transfers use a fixed lead time and
consume no draws; initial open orders consume no draws either.

A series may be supplied from a hub (`InventoryPolicy.supply_from`): at step 3 its order is pulled from the hub's
on hand first (most urgent first), then the hubs and the other series place their supplier orders on the position
left. Pulls are counted as transfers (in at the series, out at the hub).

A policy may be revised during the horizon (`InventoryPolicy.revisions`, e.g. the plan re-run every few weeks):
from the start of a revision's first day its levels replace the previous ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# sampler(series_index, key) -> lead time in days; key is the order sequence number (or the day, see module doc).
# It must be a pure function of (series_index, key) so that every policy gets the same draws.
LeadTimeSampler = Callable[[IntArray, IntArray], ArrayLike]

_EPS = 1e-9
_FREE = np.iinfo(np.int64).max // 4  # available-day sentinel of an empty pipeline slot
_SUPPLIER, _EXPEDITED, _TRANSFER = 1, 2, 3  # pipeline slot kinds (0 = free)
_PLANNING_LEAD_TIME_PROBES = 32  # draws read from a sampler to estimate its mean lead time


@dataclass(frozen=True)
class PolicyRevision:
    """New levels from the start of `first_day` on: reorder point and, as the policy's kind, the order-up-to
    level (s, S) or the order quantity (s, Q); scalars broadcast to every series."""

    first_day: int
    reorder_point: ArrayLike
    order_up_to: ArrayLike | None = None
    order_quantity: ArrayLike | None = None


@dataclass(frozen=True)
class InventoryPolicy:
    """Per-series policy parameters (scalars broadcast to every series).

    (s, S) / min-max: when position <= s, order S - position. (s, Q): pass `order_quantity` instead of
    `order_up_to`; the order is the smallest multiple of Q that lifts the position above s. The quantity is then
    raised to the MOQ and rounded up to a multiple of `pack_size` (0 = no rounding). Base stock: S = s + 1 with
    `review_period_days=1` on integer demand.
    """

    reorder_point: ArrayLike
    order_up_to: ArrayLike | None = None
    order_quantity: ArrayLike | None = None
    moq: ArrayLike = 0.0
    pack_size: ArrayLike = 0.0
    review_period_days: ArrayLike = 1
    review_offset_days: ArrayLike = 0
    revisions: tuple[PolicyRevision, ...] = ()
    # Supplied from another series (a hub) instead of a supplier: per series the index of the series it pulls from,
    # -1 = orders from its supplier. A series pulling from a hub orders like any other (same s, S) but its order is
    # a transfer: it ships at once from the hub's on hand (what the hub has, the rest is asked again at the next
    # review), in eaches (no MOQ, no pack rounding), and is usable `hub_lead_time_days` + 1 days later.
    supply_from: ArrayLike | None = None
    hub_lead_time_days: int = 2


@dataclass(frozen=True)
class OpenOrders:
    """Supplier orders open at the start: series index, first day the goods are usable, quantity."""

    series: ArrayLike
    available_day: ArrayLike
    quantity: ArrayLike


@dataclass(frozen=True)
class Scenario:
    """What is the same for every policy compared: demand, lead-time draws, starting stock, costs, groupings.

    `demand` is (n_series, n_days) units per day. `order_lines` (same shape) counts order lines per day for the
    line fill rate (default: one line on each day with demand); lines of a day are taken as equal-sized and
    served in sequence, so a line is filled on time only when it ships complete that day.
    `lead_times` is an int array (n_series, n_draws) or a `LeadTimeSampler` (see module doc).
    A negative `initial_on_hand` is an initial backorder.
    `planning_daily_demand` / `planning_lead_time_days` are what a planner believes (used by the expedite rule and
    the exception count); they default to each series' mean demand over the horizon (an oracle) and the mean of
    its lead-time draws. `order_quantity_bounds` = (low, high) per series flags orders outside them as exceptions.
    """

    demand: ArrayLike
    lead_times: ArrayLike | LeadTimeSampler
    order_lines: ArrayLike | None = None
    initial_on_hand: ArrayLike = 0.0
    initial_pipeline: OpenOrders | None = None
    unit_cost: ArrayLike = 1.0
    unit_price: ArrayLike | None = None
    class_label: ArrayLike | None = None
    item_group: ArrayLike | None = None
    planning_daily_demand: ArrayLike | None = None
    planning_lead_time_days: ArrayLike | None = None
    order_quantity_bounds: tuple[ArrayLike, ArrayLike] | None = None


@dataclass(frozen=True)
class ExpediteOption:
    """Each day, if the earliest not-yet-expedited supplier order would arrive after the projected stockout
    (on hand - backorders + earlier receipts < planned daily demand x days until it arrives), pull it in by
    `days_saved` (never before tomorrow). Each order is expedited at most once. Emergency-freight proxy per
    expedite = `fee` + `freight_rate` x order quantity x unit cost. `eligible` (bool per series, default all)
    restricts expediting to the series where it is worth its cost (prioritized expediting)."""

    days_saved: int = 3
    fee: ArrayLike = 0.0
    freight_rate: float = 0.0
    eligible: ArrayLike | None = None


@dataclass(frozen=True)
class TransferOption:
    """Lateral transfers between series with the same `item_group`: at a review where position <= s, a series
    first pulls up to (S - position) from locations of the same item holding on hand above their own S (for
    (s, Q) policies: above s + Q). Receivers are served most-urgent first (lowest position - s), donors in
    series order. Goods are usable `lead_time_days` + 1 days later (same convention as supplier orders)."""

    lead_time_days: int = 2
    cost_per_transfer: ArrayLike = 0.0


@dataclass(frozen=True)
class SimulationOptions:
    lost_sales: bool = False
    expedite: ExpediteOption | None = None
    transfers: TransferOption | None = None
    lead_time_index: Literal["order", "day"] = "order"
    warmup_days: int = 0  # days simulated but not measured (held-out evaluation starts after them)
    days_per_year: float = 365.0
    week_days: int = 7
    record_orders: bool = False


# Summed columns: additive across series, so classes and totals are plain sums. Ratios are derived after summing.
SUM_COLUMNS = (
    "n_series", "series_days", "series_weeks", "demand_units", "filled_on_time_units", "shipped_units",
    "short_units", "backorder_units", "lost_units", "ending_backorder_units", "demand_lines", "filled_lines",
    "stockout_days", "stockout_weeks", "on_hand_unit_days", "on_hand_value_days", "cogs", "revenue",
    "lost_revenue", "orders", "order_units", "expedites", "emergency_freight", "transfers_in",
    "transfer_units_in", "transfers_out", "transfer_units_out", "transfer_cost", "exception_days", "exceptions",
    "replenishment_cycles", "stockout_cycles",
)  # fmt: skip
RATIO_COLUMNS = (
    "unit_fill_rate", "line_fill_rate", "stockout_day_rate", "stockout_week_rate", "avg_on_hand_units",
    "avg_on_hand_value", "turns", "exception_day_rate", "cycle_service_level",
)  # fmt: skip
# exception_days: days a series is in exception; exceptions: times it enters that state (what a person reviews).
# replenishment_cycles: receipts (of any kind) in the measured days; stockout_cycles: those whose cycle (the days
# since the series' previous receipt) had a stockout. cycle_service_level = 1 - stockout_cycles / cycles: the
# share of replenishment cycles without a stockout (P1, Silver-Pyke-Thomas 6.4).


@dataclass
class SimulationResult:
    per_series: pd.DataFrame  # index "series"; class_label, item_group, SUM_COLUMNS, RATIO_COLUMNS
    per_class: pd.DataFrame  # index "class_label"; SUM_COLUMNS, RATIO_COLUMNS
    total: pd.DataFrame  # one row, index "total"
    measured_days: int
    orders: pd.DataFrame | None = (
        None  # with record_orders: series, day, kind, quantity, lead_time, available_day
    )

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable: plain floats/ints, NaN as None."""
        return {
            "n_series": int(self.total["n_series"].iloc[0]),
            "measured_days": self.measured_days,
            "total": _row_to_json(self.total.iloc[0]),
            "by_class": {str(k): _row_to_json(row) for k, row in self.per_class.iterrows()},
        }


def static_min_max(
    *,
    average_weekly_demand: ArrayLike,
    min_weeks: ArrayLike,
    max_weeks_above_min: ArrayLike,
    review_period_days: ArrayLike = 1,
    moq: ArrayLike = 0.0,
    pack_size: ArrayLike = 0.0,
) -> InventoryPolicy:
    """The ERP's naive min-max: min = k weeks of average demand, max = min + m weeks."""
    weekly = np.asarray(average_weekly_demand, dtype=float)
    minimum = np.asarray(min_weeks, dtype=float) * weekly
    maximum = minimum + np.asarray(max_weeks_above_min, dtype=float) * weekly
    return InventoryPolicy(
        reorder_point=minimum,
        order_up_to=maximum,
        moq=moq,
        pack_size=pack_size,
        review_period_days=review_period_days,
    )


def seeded_lead_time_sampler(
    quantile: Callable[[FloatArray, IntArray], ArrayLike], seed: int
) -> LeadTimeSampler:
    """A `LeadTimeSampler` that is a pure function of (seed, series, key): no draw array to hold, and the same
    lead time for the k-th order of series i whatever order the simulator asks in.

    `quantile(u, series)` maps uniforms in (0, 1) to lead times in days for those series, e.g. each supplier's true
    distribution: `lambda u, i: scipy.stats.gamma.ppf(u, shape[i], scale=scale[i])`. The uniforms come from a
    SplitMix64 hash of (seed, series, key) (Steele, Lea & Flood 2014), i.e. counter-based, not a stateful stream.
    """

    def sampler(series: IntArray, key: IntArray) -> ArrayLike:
        return quantile(_counter_uniforms(seed, np.asarray(series), np.asarray(key)), np.asarray(series))

    return sampler


def _splitmix64(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _counter_uniforms(seed: int, series: IntArray, key: IntArray) -> FloatArray:
    state = _splitmix64(np.full(series.shape, seed, dtype=np.uint64))
    state = _splitmix64(state ^ series.astype(np.uint64))
    state = _splitmix64(state ^ key.astype(np.uint64))
    return ((state >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def compare_policies(
    policies: Mapping[str, InventoryPolicy],
    scenario: Scenario,
    options: SimulationOptions | None = None,
) -> pd.DataFrame:
    """Run every policy on the same scenario (same demand, same lead-time draws).

    Returns one table indexed by (policy, segment): one row per class label (when the scenario has them) and a
    "total" row per policy; columns SUM_COLUMNS + RATIO_COLUMNS.
    """
    frames = []
    for name, policy in policies.items():
        result = simulate(scenario, policy, options)
        parts = [result.total]
        if scenario.class_label is not None:
            parts.insert(0, result.per_class)
        table = pd.concat(parts)
        table.index = pd.MultiIndex.from_product(
            [[name], [str(i) for i in table.index]], names=["policy", "segment"]
        )
        frames.append(table)
    return pd.concat(frames)


class _Pipeline:
    """Open receipts per series in a small slot matrix (n_series, k), grown when a series runs out of slots."""

    def __init__(self, n_series: int, slots: int = 4) -> None:
        self.available = np.full((n_series, slots), _FREE, dtype=np.int64)
        self.quantity = np.zeros((n_series, slots))
        self.kind = np.zeros((n_series, slots), dtype=np.int8)
        # Per series: the earliest available day of its open receipts (_FREE: none) and an upper bound on the
        # latest (-1: none), so that each day touches only the rows concerned instead of the whole slot matrix.
        self.next_due = np.full(n_series, _FREE, dtype=np.int64)
        self.last_due = np.full(n_series, -1, dtype=np.int64)

    def reindex(self) -> None:
        """Recompute next_due / last_due after the slot arrays were written directly."""
        self.next_due = self.available.min(axis=1)
        self.last_due = np.where(self.available < _FREE, self.available, -1).max(axis=1)

    def _grow(self, slots: int) -> None:
        n, k = self.available.shape
        self.available = np.hstack([self.available, np.full((n, slots - k), _FREE, dtype=np.int64)])
        self.quantity = np.hstack([self.quantity, np.zeros((n, slots - k))])
        self.kind = np.hstack([self.kind, np.zeros((n, slots - k), dtype=np.int8)])

    def add(self, rows: IntArray, available: IntArray, quantity: FloatArray, kind: int) -> None:
        """Add one receipt per row; rows must be unique."""
        free = self.available[rows] == _FREE
        if not free.any(axis=1).all():
            self._grow(2 * self.available.shape[1])
            free = self.available[rows] == _FREE
        col = free.argmax(axis=1)
        self.available[rows, col] = available
        self.quantity[rows, col] = quantity
        self.kind[rows, col] = kind
        self.next_due[rows] = np.minimum(self.next_due[rows], available)
        self.last_due[rows] = np.maximum(self.last_due[rows], available)

    def receive(self, day: int) -> tuple[FloatArray, IntArray]:
        """Take everything available by `day` out of the pipeline: (quantity per series, the rows receiving)."""
        received = np.zeros(self.available.shape[0])
        rows = np.flatnonzero(self.next_due <= day)
        if rows.size == 0:
            return received, rows
        available = self.available[rows]
        due = available <= day
        received[rows] = np.where(due, self.quantity[rows], 0.0).sum(axis=1)
        available[due] = _FREE
        self.available[rows] = available
        self.quantity[rows] = np.where(due, 0.0, self.quantity[rows])
        self.kind[rows] = np.where(due, 0, self.kind[rows])
        self.next_due[rows] = available.min(axis=1)
        self.last_due[rows] = np.where(self.next_due[rows] == _FREE, -1, self.last_due[rows])
        return received, rows

    def due_by(self, rows: IntArray, day: IntArray) -> FloatArray:
        """Quantity available by `day[j]` for the series `rows[j]`."""
        return np.where(self.available[rows] <= day[:, None], self.quantity[rows], 0.0).sum(axis=1)


def _per_series(value: ArrayLike, n: int, name: str, dtype: type = float) -> npt.NDArray[Any]:
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        return np.full(n, arr, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {arr.shape}")
    return arr.copy()


def _group_exclusive_cumsum(groups: IntArray, values: FloatArray) -> FloatArray:
    """Sum of the values before each element within its group; `groups` must be sorted (contiguous)."""
    inclusive = np.cumsum(values)
    exclusive = inclusive - values
    starts = np.r_[True, groups[1:] != groups[:-1]]
    segment = np.cumsum(starts) - 1
    return exclusive - exclusive[starts][segment]


def _row_to_json(row: pd.Series) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for key, value in row.items():
        number = float(value)
        out[str(key)] = None if math.isnan(number) else (int(number) if key == "n_series" else number)
    return out


def _derive_ratios(frame: pd.DataFrame, measured_days: int, days_per_year: float) -> pd.DataFrame:
    def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
        return (num / den.where(den > 0)).astype(float)

    frame = frame.copy()
    frame["unit_fill_rate"] = ratio(frame["filled_on_time_units"], frame["demand_units"])
    frame["line_fill_rate"] = ratio(frame["filled_lines"], frame["demand_lines"])
    frame["stockout_day_rate"] = ratio(frame["stockout_days"], frame["series_days"])
    frame["stockout_week_rate"] = ratio(frame["stockout_weeks"], frame["series_weeks"])
    frame["avg_on_hand_units"] = frame["on_hand_unit_days"] / measured_days
    frame["avg_on_hand_value"] = frame["on_hand_value_days"] / measured_days
    # Inventory turns at cost: annualised cost of goods sold / average inventory value.
    frame["turns"] = ratio(frame["cogs"] * days_per_year / measured_days, frame["avg_on_hand_value"])
    frame["exception_day_rate"] = ratio(frame["exception_days"], frame["series_days"])
    frame["cycle_service_level"] = 1.0 - ratio(frame["stockout_cycles"], frame["replenishment_cycles"])
    return frame


def aggregate(
    per_series: pd.DataFrame, by: ArrayLike, *, measured_days: int, days_per_year: float = 365.0
) -> pd.DataFrame:
    """Sum the per-series measures over any grouping (e.g. ABC class, demand class) and derive the ratios as
    `SimulationResult.per_class` does; index = the group labels (sorted)."""
    labels = np.asarray(by)
    if labels.shape != (len(per_series),):
        raise ValueError(f"by must have one label per series ({len(per_series)})")
    grouped = per_series.loc[:, list(SUM_COLUMNS)].groupby(labels, sort=True).sum(min_count=1)
    return _derive_ratios(grouped, measured_days, days_per_year)


class _LeadTimes:
    def __init__(self, source: ArrayLike | LeadTimeSampler, n: int, n_days: int, index: str) -> None:
        if index not in ("order", "day"):
            raise ValueError("lead_time_index must be 'order' or 'day'")
        self.index = index
        self.sampler: LeadTimeSampler | None = None
        self.draws: npt.NDArray[Any] | None = None
        if callable(source):
            self.sampler = source
        else:
            draws = np.asarray(source)
            if draws.ndim != 2 or draws.shape[0] != n:
                raise ValueError(f"lead_times must have shape ({n}, n_draws), got {draws.shape}")
            if index == "day" and draws.shape[1] < n_days:
                raise ValueError("lead_time_index='day' needs one draw per day: shape (n_series, n_days)")
            self.draws = draws

    def mean(self, n: int) -> FloatArray:
        if self.draws is not None:
            return self.draws.mean(axis=1).astype(float)
        rows = np.repeat(np.arange(n, dtype=np.int64), _PLANNING_LEAD_TIME_PROBES)
        keys = np.tile(np.arange(_PLANNING_LEAD_TIME_PROBES, dtype=np.int64), n)
        return self._call(rows, keys).reshape(n, -1).mean(axis=1)

    def _call(self, rows: IntArray, keys: IntArray) -> FloatArray:
        assert self.sampler is not None
        return np.asarray(self.sampler(rows, keys), dtype=float).reshape(rows.shape)

    def draw(self, rows: IntArray, sequence: IntArray, day: int) -> IntArray:
        keys = sequence if self.index == "order" else np.full(rows.shape, day, dtype=np.int64)
        if self.draws is not None:
            if keys.size and keys.max() >= self.draws.shape[1]:
                worst = int(rows[keys.argmax()])
                raise ValueError(
                    f"series {worst} needs lead-time draw {int(keys.max())} but only "
                    f"{self.draws.shape[1]} were given; pass at least one draw per possible order (n_days)"
                )
            raw = self.draws[rows, keys]
        else:
            raw = self._call(rows, keys)
        lead = np.rint(np.asarray(raw, dtype=float)).astype(np.int64)
        if (lead < 0).any():
            raise ValueError("lead times must be >= 0 days")
        return lead


def _revisions(
    policy: InventoryPolicy, n: int, fixed_quantity: bool
) -> dict[int, tuple[FloatArray, FloatArray]]:
    """{first day: (reorder point, order-up-to level or order quantity)} of the policy's revisions, validated."""
    revisions: dict[int, tuple[FloatArray, FloatArray]] = {}
    for revision in policy.revisions:
        if revision.first_day in revisions:
            raise ValueError(f"two policy revisions start on day {revision.first_day}")
        reorder_point = _per_series(revision.reorder_point, n, "revision reorder_point")
        if fixed_quantity:
            if revision.order_quantity is None or revision.order_up_to is not None:
                raise ValueError("a revision of an (s, Q) policy gives order_quantity (and no order_up_to)")
            level = _per_series(revision.order_quantity, n, "revision order_quantity")
            if (level <= 0).any():
                raise ValueError("order_quantity must be > 0")
        else:
            if revision.order_up_to is None or revision.order_quantity is not None:
                raise ValueError("a revision of an (s, S) policy gives order_up_to (and no order_quantity)")
            level = _per_series(revision.order_up_to, n, "revision order_up_to")
            if (level < reorder_point).any():
                raise ValueError("order_up_to must be >= reorder_point")
        revisions[int(revision.first_day)] = (reorder_point, level)
    return revisions


def simulate(
    scenario: Scenario,
    policy: InventoryPolicy,
    options: SimulationOptions | None = None,
) -> SimulationResult:
    """Simulate one policy over the scenario's horizon; see the module docstring for the timing convention."""
    opts = options or SimulationOptions()
    demand = np.asarray(scenario.demand, dtype=float)
    if demand.ndim != 2:
        raise ValueError("demand must be a 2-d array (n_series, n_days)")
    if not np.isfinite(demand).all() or (demand < 0).any():
        raise ValueError("demand must be finite and >= 0")
    n, n_days = demand.shape
    if not 0 <= opts.warmup_days < n_days:
        raise ValueError("warmup_days must be in [0, n_days)")
    demand_by_day = np.ascontiguousarray(demand.T)  # contiguous column per day
    lines_by_day = None
    if scenario.order_lines is not None:
        lines = np.asarray(scenario.order_lines, dtype=float)
        if lines.shape != demand.shape:
            raise ValueError("order_lines must have the shape of demand")
        lines_by_day = np.ascontiguousarray(lines.T)

    # policy
    reorder_point = _per_series(policy.reorder_point, n, "reorder_point")
    if (policy.order_up_to is None) == (policy.order_quantity is None):
        raise ValueError("give exactly one of order_up_to (s, S) or order_quantity (s, Q)")
    fixed_quantity = None
    if policy.order_up_to is not None:
        order_up_to = _per_series(policy.order_up_to, n, "order_up_to")
        if (order_up_to < reorder_point).any():
            raise ValueError("order_up_to must be >= reorder_point")
        target = order_up_to
    else:
        fixed_quantity = _per_series(policy.order_quantity, n, "order_quantity")
        if (fixed_quantity <= 0).any():
            raise ValueError("order_quantity must be > 0")
        target = reorder_point + fixed_quantity
    moq = _per_series(policy.moq, n, "moq")
    pack = _per_series(policy.pack_size, n, "pack_size")
    revisions = _revisions(policy, n, fixed_quantity is not None)
    review_period = _per_series(policy.review_period_days, n, "review_period_days", np.int64)
    review_offset = _per_series(policy.review_offset_days, n, "review_offset_days", np.int64)
    if (review_period < 1).any():
        raise ValueError("review_period_days must be >= 1")
    supply_from = None
    if policy.supply_from is not None:
        supply_from = _per_series(policy.supply_from, n, "supply_from", np.int64)
        if (supply_from >= n).any() or (supply_from < -1).any():
            raise ValueError("supply_from must be -1 (supplier) or a series index")
        pulling = supply_from >= 0
        if (supply_from[pulling] == np.flatnonzero(pulling)).any():
            raise ValueError("a series cannot be supplied from itself")
        if pulling.any() and (supply_from[supply_from[pulling]] >= 0).any():
            raise ValueError("a hub must order from its supplier (supply_from of a hub must be -1)")
        if policy.hub_lead_time_days < 0:
            raise ValueError("hub_lead_time_days must be >= 0")
        if not pulling.any():
            supply_from = None

    # scenario data
    unit_cost = _per_series(scenario.unit_cost, n, "unit_cost")
    unit_price = None if scenario.unit_price is None else _per_series(scenario.unit_price, n, "unit_price")
    class_label = (
        np.full(n, "all", dtype=object) if scenario.class_label is None else np.asarray(scenario.class_label)
    )
    if class_label.shape != (n,):
        raise ValueError(f"class_label must have shape ({n},)")
    lead_times = _LeadTimes(scenario.lead_times, n, n_days, opts.lead_time_index)
    planned_demand = (
        demand.mean(axis=1)
        if scenario.planning_daily_demand is None
        else _per_series(scenario.planning_daily_demand, n, "planning_daily_demand")
    )
    planned_lead = (
        lead_times.mean(n)
        if scenario.planning_lead_time_days is None
        else _per_series(scenario.planning_lead_time_days, n, "planning_lead_time_days")
    )
    planned_lead_days = np.ceil(planned_lead - _EPS).astype(np.int64)
    bounds = None
    if scenario.order_quantity_bounds is not None:
        bounds = tuple(_per_series(b, n, "order_quantity_bounds") for b in scenario.order_quantity_bounds)

    group_codes = None
    n_groups = 0
    if opts.transfers is not None:
        if scenario.item_group is None:
            raise ValueError("transfers need scenario.item_group")
        _, group_codes = np.unique(
            _per_series(scenario.item_group, n, "item_group", np.int64), return_inverse=True
        )
        n_groups = int(group_codes.max()) + 1
        transfer_cost = _per_series(opts.transfers.cost_per_transfer, n, "cost_per_transfer")
    if opts.expedite is not None:
        expedite_fee = _per_series(opts.expedite.fee, n, "expedite fee")
        expedite_eligible = (
            np.ones(n, dtype=bool)
            if opts.expedite.eligible is None
            else _per_series(opts.expedite.eligible, n, "expedite eligible", bool)
        )

    # state
    initial = _per_series(scenario.initial_on_hand, n, "initial_on_hand")
    if opts.lost_sales and (initial < 0).any():
        raise ValueError("a negative initial_on_hand (backorder) makes no sense with lost sales")
    on_hand = np.maximum(initial, 0.0)
    backlog = np.maximum(-initial, 0.0)
    on_order = np.zeros(n)
    order_sequence = np.zeros(n, dtype=np.int64)
    pipeline = _Pipeline(n)
    if scenario.initial_pipeline is not None:
        _load_open_orders(pipeline, on_order, scenario.initial_pipeline, n)

    acc = {name: np.zeros(n) for name in SUM_COLUMNS}
    week_flag = np.zeros(n, dtype=bool)
    in_exception = np.zeros(n, dtype=bool)
    short_in_cycle = np.zeros(n, dtype=bool)  # a stockout since the series' last receipt
    log: list[dict[str, npt.NDArray[Any]]] = []

    for day in range(n_days):
        measured = day >= opts.warmup_days
        if day in revisions:
            reorder_point, level = revisions[day]
            if fixed_quantity is None:
                order_up_to = target = level
            else:
                fixed_quantity = level
                target = reorder_point + fixed_quantity
        # 1. receipts
        received, receiving = pipeline.receive(day)
        on_hand += received
        on_order -= received
        if measured and receiving.size:
            acc["replenishment_cycles"][receiving] += 1
            acc["stockout_cycles"][receiving] += short_in_cycle[receiving]
        short_in_cycle[receiving] = False
        # 2. backorders first, then today's demand
        if not opts.lost_sales:
            served = np.minimum(on_hand, backlog)
            on_hand -= served
            backlog -= served
        else:
            served = 0.0
        today = demand_by_day[day]
        filled = np.minimum(on_hand, today)
        on_hand -= filled
        short = today - filled
        if not opts.lost_sales:
            backlog += short
        stockout = short > _EPS
        short_in_cycle |= stockout
        # 3. review: transfers, then supplier orders
        review = (day - review_offset) % review_period == 0
        exception = np.zeros(n, dtype=bool)
        if opts.transfers is not None:
            moved = _transfers(
                day, review, on_hand, backlog, on_order, reorder_point, target, group_codes, n_groups,
                pipeline, opts.transfers.lead_time_days,
            )  # fmt: skip
            if measured:
                received_rows, received_qty, given_rows, given_qty = moved
                acc["transfers_in"][received_rows] += 1
                acc["transfer_units_in"][received_rows] += received_qty
                acc["transfer_cost"][received_rows] += transfer_cost[received_rows]
                acc["transfers_out"][given_rows] += 1
                acc["transfer_units_out"][given_rows] += given_qty
            if opts.record_orders and moved[0].size:
                log.append(_log_entry(moved[0], day, "transfer", moved[1], opts.transfers.lead_time_days))
        position = on_hand - backlog + on_order
        if supply_from is not None:
            moved = _hub_pulls(
                day, review, position, on_hand, on_order, reorder_point, target, fixed_quantity,
                supply_from, pipeline, policy.hub_lead_time_days,
            )  # fmt: skip
            if measured:
                pulled_rows, pulled_qty, hub_rows, hub_qty = moved
                acc["transfers_in"][pulled_rows] += 1
                acc["transfer_units_in"][pulled_rows] += pulled_qty
                acc["transfers_out"][hub_rows] += 1
                acc["transfer_units_out"][hub_rows] += hub_qty
            if opts.record_orders and moved[0].size:
                log.append(_log_entry(moved[0], day, "hub", moved[1], policy.hub_lead_time_days))
            position = on_hand - backlog + on_order
        due_for_order = review & (position <= reorder_point + _EPS)
        if supply_from is not None:
            due_for_order &= supply_from < 0
        rows = np.flatnonzero(due_for_order)
        if rows.size:
            if fixed_quantity is None:
                quantity = order_up_to[rows] - position[rows]
            else:
                multiples = np.floor((reorder_point[rows] - position[rows]) / fixed_quantity[rows] + _EPS) + 1
                quantity = multiples * fixed_quantity[rows]
            quantity = np.maximum(quantity, moq[rows])
            rounded = pack[rows] > 0
            quantity[rounded] = np.ceil(quantity[rounded] / pack[rows][rounded] - _EPS) * pack[rows][rounded]
            keep = quantity > _EPS
            rows, quantity = rows[keep], quantity[keep]
            lead = lead_times.draw(rows, order_sequence[rows], day)
            order_sequence[rows] += 1
            pipeline.add(rows, day + lead + 1, quantity, _SUPPLIER)
            on_order[rows] += quantity
            if bounds is not None:
                exception[rows] |= (quantity < bounds[0][rows] - _EPS) | (quantity > bounds[1][rows] + _EPS)
            if measured:
                acc["orders"][rows] += 1
                acc["order_units"][rows] += quantity
            if opts.record_orders:
                log.append(_log_entry(rows, day, "supplier", quantity, lead))
        # 4. expedite, exceptions, end-of-day measures
        if opts.expedite is not None:
            rows, quantity, new_day = _expedite(
                day, on_hand, backlog, planned_demand, pipeline, opts.expedite, expedite_eligible
            )
            if measured:
                acc["expedites"][rows] += 1
                acc["emergency_freight"][rows] += (
                    expedite_fee[rows] + opts.expedite.freight_rate * quantity * unit_cost[rows]
                )
            if opts.record_orders and rows.size:
                log.append(_log_entry(rows, day, "expedite", quantity, new_day - day - 1))
        # Exception a person would review: projected net stock at the end of the planned lead time
        # (on hand - backorders + receipts due by then - planned demand) is below zero; or an order outside bounds.
        # Only the rows between the bounds need the pipeline: net - need <= projected <= net + on order - need.
        net = on_hand - backlog - planned_demand * planned_lead_days
        short_for_sure = net + on_order < -_EPS
        unsure = np.flatnonzero((net < -_EPS) & ~short_for_sure)
        exception |= short_for_sure
        if unsure.size:
            arriving = pipeline.due_by(unsure, day + planned_lead_days[unsure])
            exception[unsure] |= net[unsure] + arriving < -_EPS
        opened = exception & ~in_exception
        in_exception = exception
        if not measured:
            continue
        acc["exceptions"] += opened
        acc["demand_units"] += today
        acc["filled_on_time_units"] += filled
        acc["shipped_units"] += filled + served
        acc["short_units"] += short
        acc["backorder_units" if not opts.lost_sales else "lost_units"] += short
        day_lines = (today > _EPS).astype(float) if lines_by_day is None else lines_by_day[day]
        # equal-sized lines served in sequence: complete lines shipped = floor(lines * filled / demand)
        complete = np.floor(day_lines * np.divide(filled, today, out=np.ones(n), where=today > _EPS) + 1e-6)
        acc["demand_lines"] += day_lines
        acc["filled_lines"] += np.where(stockout, complete, day_lines)
        acc["stockout_days"] += stockout
        week_flag |= stockout
        if (day - opts.warmup_days + 1) % opts.week_days == 0 or day == n_days - 1:
            acc["stockout_weeks"] += week_flag
            week_flag[:] = False
        acc["on_hand_unit_days"] += on_hand
        acc["exception_days"] += exception

    measured_days = n_days - opts.warmup_days
    acc["n_series"][:] = 1
    acc["series_days"][:] = measured_days
    acc["series_weeks"][:] = math.ceil(measured_days / opts.week_days)
    acc["ending_backorder_units"] = backlog.copy()
    acc["on_hand_value_days"] = acc["on_hand_unit_days"] * unit_cost
    acc["cogs"] = acc["shipped_units"] * unit_cost
    if unit_price is not None:
        acc["revenue"] = acc["shipped_units"] * unit_price
        acc["lost_revenue"] = acc["lost_units"] * unit_price
    else:
        acc["revenue"][:] = np.nan
        acc["lost_revenue"][:] = np.nan

    per_series = pd.DataFrame({name: acc[name] for name in SUM_COLUMNS})
    per_series.index.name = "series"
    grouped = per_series.groupby(class_label, sort=True).sum(min_count=1)
    grouped.index.name = "class_label"
    total = per_series.sum(min_count=1).to_frame("total").T
    per_series.insert(0, "class_label", class_label)
    if scenario.item_group is not None:
        per_series.insert(1, "item_group", np.asarray(scenario.item_group))
    orders = None
    if opts.record_orders:
        orders = pd.concat([pd.DataFrame(entry) for entry in log], ignore_index=True) if log else _empty_log()
    return SimulationResult(
        per_series=_derive_ratios(per_series, measured_days, opts.days_per_year),
        per_class=_derive_ratios(grouped, measured_days, opts.days_per_year),
        total=_derive_ratios(total, measured_days, opts.days_per_year),
        measured_days=measured_days,
        orders=orders,
    )


def _load_open_orders(pipeline: _Pipeline, on_order: FloatArray, open_orders: OpenOrders, n: int) -> None:
    series = np.asarray(open_orders.series, dtype=np.int64)
    available = np.asarray(open_orders.available_day, dtype=np.int64)
    quantity = np.asarray(open_orders.quantity, dtype=float)
    if not series.shape == available.shape == quantity.shape or series.ndim != 1:
        raise ValueError("initial_pipeline arrays must be 1-d and of equal length")
    if series.size == 0:
        return
    if series.min() < 0 or series.max() >= n:
        raise ValueError("initial_pipeline.series out of range")
    order = np.argsort(series, kind="stable")
    series, available, quantity = series[order], available[order], quantity[order]
    rank = np.arange(series.size) - np.searchsorted(series, series)  # position within its series
    slots = max(4, int(rank.max()) + 1)
    if slots > pipeline.available.shape[1]:
        pipeline._grow(slots)
    pipeline.available[series, rank] = available
    pipeline.quantity[series, rank] = quantity
    pipeline.kind[series, rank] = _SUPPLIER
    pipeline.reindex()
    on_order += np.bincount(series, weights=quantity, minlength=n)


def _hub_pulls(
    day: int,
    review: npt.NDArray[np.bool_],
    position: FloatArray,
    on_hand: FloatArray,
    on_order: FloatArray,
    reorder_point: FloatArray,
    target: FloatArray,
    fixed_quantity: FloatArray | None,
    supply_from: IntArray,
    pipeline: _Pipeline,
    lead_time_days: int,
) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Series supplied from a hub pull their order from the hub's on hand (in place); most urgent first."""
    empty = (np.empty(0, dtype=np.int64), np.empty(0))
    rows = np.flatnonzero(review & (supply_from >= 0) & (position <= reorder_point + _EPS))
    if rows.size == 0:
        return empty + empty
    if fixed_quantity is None:
        wanted = target[rows] - position[rows]
    else:
        multiples = np.floor((reorder_point[rows] - position[rows]) / fixed_quantity[rows] + _EPS) + 1
        wanted = multiples * fixed_quantity[rows]
    hubs = supply_from[rows]
    order = np.lexsort((position[rows] - reorder_point[rows], hubs))
    rows, wanted, hubs = rows[order], np.maximum(wanted[order], 0.0), hubs[order]
    got = np.clip(np.maximum(on_hand[hubs], 0.0) - _group_exclusive_cumsum(hubs, wanted), 0.0, wanted)
    keep = got > _EPS
    rows, got, hubs = rows[keep], got[keep], hubs[keep]
    if rows.size == 0:
        return empty + empty
    given = np.bincount(hubs, weights=got, minlength=on_hand.size)
    on_hand -= given
    pipeline.add(rows, np.full(rows.size, day + lead_time_days + 1, dtype=np.int64), got, _TRANSFER)
    on_order[rows] += got
    hub_rows = np.flatnonzero(given > _EPS)
    return rows, got, hub_rows, given[hub_rows]


def _transfers(
    day: int,
    review: npt.NDArray[np.bool_],
    on_hand: FloatArray,
    backlog: FloatArray,
    on_order: FloatArray,
    reorder_point: FloatArray,
    target: FloatArray,
    groups: IntArray,
    n_groups: int,
    pipeline: _Pipeline,
    lead_time_days: int,
) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Move stock from locations above their order-up-to level to same-item locations at/below s (in place)."""
    empty = (np.empty(0, dtype=np.int64), np.empty(0))
    position = on_hand - backlog + on_order
    excess = on_hand - target
    receiver = review & (position <= reorder_point + _EPS) & (target - position > _EPS)
    donor = excess > _EPS
    if not receiver.any() or not donor.any():
        return empty + empty
    live = (np.bincount(groups[receiver], minlength=n_groups) > 0) & (
        np.bincount(groups[donor], minlength=n_groups) > 0
    )
    receivers = np.flatnonzero(receiver & live[groups])
    donors = np.flatnonzero(donor & live[groups])
    if receivers.size == 0:
        return empty + empty
    need = target - position
    pool = np.bincount(groups[donors], weights=excess[donors], minlength=n_groups)
    wanted = np.bincount(groups[receivers], weights=need[receivers], minlength=n_groups)
    moved = np.minimum(pool, wanted)
    receivers = receivers[np.lexsort((position[receivers] - reorder_point[receivers], groups[receivers]))]
    donors = donors[np.argsort(groups[donors], kind="stable")]
    got = np.clip(
        moved[groups[receivers]] - _group_exclusive_cumsum(groups[receivers], need[receivers]),
        0.0,
        need[receivers],
    )
    given = np.clip(
        moved[groups[donors]] - _group_exclusive_cumsum(groups[donors], excess[donors]), 0.0, excess[donors]
    )
    receivers, got = receivers[got > _EPS], got[got > _EPS]
    donors, given = donors[given > _EPS], given[given > _EPS]
    on_hand[donors] -= given
    pipeline.add(receivers, np.full(receivers.size, day + lead_time_days + 1, dtype=np.int64), got, _TRANSFER)
    on_order[receivers] += got
    return receivers, got, donors, given


def _expedite(
    day: int,
    on_hand: FloatArray,
    backlog: FloatArray,
    planned_demand: FloatArray,
    pipeline: _Pipeline,
    option: ExpediteOption,
    eligible: npt.NDArray[np.bool_],
) -> tuple[IntArray, FloatArray, IntArray]:
    """Pull in the earliest not-yet-expedited supplier order when stock runs out before it arrives (in place)."""
    net = on_hand - backlog
    # A row can be at risk only if net - planned demand x (last arrival - day - 1) < 0 (earlier receipts >= 0):
    # only those rows are read from the slot matrix.
    horizon = np.maximum(pipeline.last_due - day - 1, 0)
    candidates = np.flatnonzero(
        eligible & (pipeline.next_due < _FREE) & (net - planned_demand * horizon < -_EPS)
    )
    available = pipeline.available[candidates]
    candidate_day = np.where(pipeline.kind[candidates] == _SUPPLIER, available, _FREE)
    column = candidate_day.argmin(axis=1) if candidates.size else np.zeros(0, dtype=np.int64)
    arrival = candidate_day[np.arange(candidates.size), column]
    has_order = arrival < _FREE
    earlier = np.where(available < arrival[:, None], pipeline.quantity[candidates], 0.0).sum(axis=1)
    days_uncovered = np.where(has_order, arrival - day - 1, 0)
    at_risk = has_order & (net[candidates] + earlier - planned_demand[candidates] * days_uncovered < -_EPS)
    new_day = np.maximum(day + 1, arrival - option.days_saved)
    chosen = np.flatnonzero(at_risk & (new_day < arrival))
    rows, cols = candidates[chosen], column[chosen]
    pipeline.available[rows, cols] = new_day[chosen]
    pipeline.kind[rows, cols] = _EXPEDITED
    pipeline.next_due[rows] = np.minimum(pipeline.next_due[rows], new_day[chosen])
    return rows, pipeline.quantity[rows, cols].copy(), new_day[chosen]


def _log_entry(
    rows: IntArray, day: int, kind: str, quantity: FloatArray, lead: IntArray | int
) -> dict[str, npt.NDArray[Any]]:
    lead_days = np.broadcast_to(np.asarray(lead, dtype=np.int64), rows.shape)
    return {
        "series": rows.copy(),
        "day": np.full(rows.size, day, dtype=np.int64),
        "kind": np.full(rows.size, kind, dtype=object),
        "quantity": np.asarray(quantity, dtype=float).copy(),
        "lead_time": lead_days.copy(),
        "available_day": day + lead_days + 1,
    }


def _empty_log() -> pd.DataFrame:
    return pd.DataFrame(
        {"series": [], "day": [], "kind": [], "quantity": [], "lead_time": [], "available_day": []}
    ).astype(
        {
            "series": np.int64,
            "day": np.int64,
            "kind": object,
            "lead_time": np.int64,
            "available_day": np.int64,
        }
    )
