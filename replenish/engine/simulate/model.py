"""The simulator's inputs and outputs: policies, the scenario, options, the result and its summed columns."""

from __future__ import annotations

import math
from collections.abc import Callable
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
    pool_credit: ArrayLike | None = None  # None: the policy's credit caps stay as they were


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
    # Per pulling series the most of its position above its order-up-to level that its hub counts as its own
    # position when it orders (`replenish.engine.recommend.pool_credit`); None: a hub counts its own position only.
    pool_credit: ArrayLike | None = None


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


VALUE, OLDEST, RANDOM, UNLIMITED = "value", "oldest", "random", "unlimited"
ORDERINGS = (VALUE, OLDEST, RANDOM, UNLIMITED)


@dataclass(frozen=True)
class AttentionOption:
    """Limited attention (see `attention`): each review day the policy's proposals of a series (supplier order, pull
    from its hub, transfer, expedite) are one task valued by the value module (replenish/engine/value.py); each
    planner executes at most `capacity` of the tasks of the series they own, in the `ordering`'s order: "value"
    (DistOps' queue: highest value first, then the earliest work-by day, engine.attention), "oldest" (longest
    waiting first), "random", "unlimited" (every task: the plain policy). A task not executed waits: the series does nothing that day and
    proposes again at its next review (its age grows). Tasks an automation policy covers are executed without a
    person and use no capacity: `automation(rows, actions, values, amounts)` -> bool per task (the production
    rule, given by the evaluation layer; actions are value.PURCHASE_ORDER, TRANSFER or EXPEDITE, amounts what the
    action spends), or without it `auto_eligible` series' supplier orders of value <= `auto_max_value`.

    The value inputs are per series (scalars broadcast): `horizon_mean` / `horizon_sd`, demand over the decision
    horizon (lead time + review, value.horizon_demand); `unit_margin`; `lead_time_days` / `lead_time_sd_days`, the
    planned lead time (feasibility of a new order); `settings` a value.ValueSettings (None: its defaults)."""

    capacity: int
    planner: ArrayLike
    ordering: str = VALUE
    horizon_mean: ArrayLike = 0.0
    horizon_sd: ArrayLike = 0.0
    unit_margin: ArrayLike = 0.0
    lead_time_days: ArrayLike = 14.0
    lead_time_sd_days: ArrayLike = 0.0
    auto_eligible: ArrayLike | None = None
    auto_max_value: float = 0.0
    automation: Callable[..., Any] | None = None  # (rows, actions, values, amounts) -> bool per task
    settings: Any = None
    seed: int = 0
    # The draft PO each series' supplier orders go to (one id per supplier and ship-to location, -1: none): as in the
    # queue, a person decides a draft PO as a whole, so the day's supplier-order tasks of one draft a person would
    # work are one decision (its value and delay the sums of its lines', its work-by day the earliest, its age the
    # oldest line's, its planner the one owning most of its lines). None: every order is a decision of its own.
    draft_group: ArrayLike | None = None


@dataclass(frozen=True)
class SimulationOptions:
    lost_sales: bool = False
    expedite: ExpediteOption | None = None
    transfers: TransferOption | None = None
    attention: AttentionOption | None = None
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
    "replenishment_cycles", "stockout_cycles", "tasks", "tasks_by_people", "tasks_automatic", "task_wait_days",
    "decisions_by_people",
)  # fmt: skip
RATIO_COLUMNS = (
    "unit_fill_rate", "line_fill_rate", "stockout_day_rate", "stockout_week_rate", "avg_on_hand_units",
    "avg_on_hand_value", "turns", "exception_day_rate", "cycle_service_level",
)  # fmt: skip
# exception_days: days a series is in exception; exceptions: times it enters that state (what a person reviews).
# replenishment_cycles: receipts (of any kind) in the measured days; stockout_cycles: those whose cycle (the days
# since the series' previous receipt) had a stockout. cycle_service_level = 1 - stockout_cycles / cycles: the
# share of replenishment cycles without a stockout (P1, Silver-Pyke-Thomas 6.4).
# With limited attention (AttentionOption): tasks, the series-days with a proposal; tasks_by_people and
# tasks_automatic, those executed by a planner or by an automation policy (the rest waited); task_wait_days, the
# days the executed tasks had waited; decisions_by_people, the decisions people took (a draft PO's lines share one:
# each line counts 1 / its draft's lines executed, so the sum over series is the number of decisions).


@dataclass
class SimulationResult:
    per_series: pd.DataFrame  # index "series"; class_label, item_group, SUM_COLUMNS, RATIO_COLUMNS
    per_class: pd.DataFrame  # index "class_label"; SUM_COLUMNS, RATIO_COLUMNS
    total: pd.DataFrame  # one row, index "total"
    measured_days: int
    orders: pd.DataFrame | None = (
        None  # with record_orders: series, day, kind, quantity, lead_time, available_day
    )
    tasks: pd.DataFrame | None = (
        None  # with attention and record_orders: day, series, planner, value, age, outcome
    )

    def summary(self) -> dict[str, Any]:
        """JSON-serialisable: plain floats/ints, NaN as None."""
        return {
            "n_series": int(self.total["n_series"].iloc[0]),
            "measured_days": self.measured_days,
            "total": _row_to_json(self.total.iloc[0]),
            "by_class": {str(k): _row_to_json(row) for k, row in self.per_class.iterrows()},
        }


def _row_to_json(row: pd.Series) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for key, value in row.items():
        number = float(value)
        out[str(key)] = None if math.isnan(number) else (int(number) if key == "n_series" else number)
    return out
