"""simulate(): the day loop over many series at once, and compare_policies() on common random numbers.

The loop is split by the steps of the module's timing convention (see the package docstring): receipts and
service, review (transfers, hub pulls, supplier orders), expediting, the exception check, then the day's measures.
Each step updates the arrays of `_State` in place, in the same order as a single loop would.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..recommend import pool_credit
from .attention import Attention, Book, attention_inputs, attention_step, task_log
from .model import (
    _EPS,
    _SUPPLIER,
    SUM_COLUMNS,
    FloatArray,
    IntArray,
    InventoryPolicy,
    Scenario,
    SimulationOptions,
    SimulationResult,
)
from .moves import _empty_log, _expedite, _hub_pulls, _log_entry, _transfers
from .results import _derive_ratios
from .supply import _LeadTimes, _load_open_orders, _per_series, _Pipeline, _revisions


@dataclass
class _Levels:
    """The policy's levels in force; a revision replaces them from its first day."""

    reorder_point: FloatArray
    order_up_to: FloatArray | None  # (s, S)
    fixed_quantity: FloatArray | None  # (s, Q)
    target: FloatArray  # S, or s + Q
    pool_credit: FloatArray | None = None  # InventoryPolicy.pool_credit

    def revise(
        self, reorder_point: FloatArray, level: FloatArray, pool_credit: FloatArray | None = None
    ) -> None:
        self.reorder_point = reorder_point
        if pool_credit is not None:
            self.pool_credit = pool_credit
        if self.fixed_quantity is None:
            self.order_up_to = self.target = level
        else:
            self.fixed_quantity = level
            self.target = reorder_point + self.fixed_quantity


@dataclass
class _Inputs:
    """Everything per series that stays fixed over the horizon, validated."""

    n: int
    n_days: int
    demand_by_day: FloatArray
    lines_by_day: FloatArray | None
    moq: FloatArray
    pack: FloatArray
    revisions: dict[int, tuple[FloatArray, FloatArray, FloatArray | None]]
    review_period: IntArray
    review_offset: IntArray
    supply_from: IntArray | None
    unit_cost: FloatArray
    unit_price: FloatArray | None
    class_label: npt.NDArray[Any]
    lead_times: _LeadTimes
    planned_demand: FloatArray
    planned_lead_days: IntArray
    bounds: tuple[FloatArray, ...] | None
    group_codes: IntArray | None = None
    n_groups: int = 0
    transfer_cost: FloatArray | None = None
    expedite_fee: FloatArray | None = None
    expedite_eligible: npt.NDArray[np.bool_] | None = None


@dataclass
class _State:
    on_hand: FloatArray
    backlog: FloatArray
    on_order: FloatArray
    order_sequence: IntArray
    pipeline: _Pipeline
    acc: dict[str, FloatArray]
    week_flag: npt.NDArray[np.bool_]
    in_exception: npt.NDArray[np.bool_]
    short_in_cycle: npt.NDArray[np.bool_]  # a stockout since the series' last receipt
    log: list[dict[str, npt.NDArray[Any]]] = field(default_factory=list)
    attention: Attention | None = None  # limited attention (attention.py): who works which task
    blocked: npt.NDArray[np.bool_] | None = None  # today's tasks left waiting


def simulate(
    scenario: Scenario,
    policy: InventoryPolicy,
    options: SimulationOptions | None = None,
) -> SimulationResult:
    """Simulate one policy over the scenario's horizon; see the package docstring for the timing convention."""
    opts = options or SimulationOptions()
    demand, demand_by_day, lines_by_day = _demand(scenario, opts)
    n, n_days = demand.shape
    levels = _levels(policy, n)
    inputs = _inputs(scenario, policy, opts, demand, demand_by_day, lines_by_day, levels)
    state = _initial_state(scenario, opts, n)
    if opts.attention is not None:
        state.attention = attention_inputs(opts.attention, n, policy.hub_lead_time_days)
    for day in range(n_days):
        _simulate_day(day, inputs, levels, state, policy, opts)
    return _result(scenario, opts, inputs, state)


# --- inputs, validated ----------------------------------------------------------------------------------------------


def _demand(scenario: Scenario, opts: SimulationOptions) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    demand = np.asarray(scenario.demand, dtype=float)
    if demand.ndim != 2:
        raise ValueError("demand must be a 2-d array (n_series, n_days)")
    if not np.isfinite(demand).all() or (demand < 0).any():
        raise ValueError("demand must be finite and >= 0")
    n_days = demand.shape[1]
    if not 0 <= opts.warmup_days < n_days:
        raise ValueError("warmup_days must be in [0, n_days)")
    demand_by_day = np.ascontiguousarray(demand.T)  # contiguous column per day
    lines_by_day = None
    if scenario.order_lines is not None:
        lines = np.asarray(scenario.order_lines, dtype=float)
        if lines.shape != demand.shape:
            raise ValueError("order_lines must have the shape of demand")
        lines_by_day = np.ascontiguousarray(lines.T)
    return demand, demand_by_day, lines_by_day


def _levels(policy: InventoryPolicy, n: int) -> _Levels:
    reorder_point = _per_series(policy.reorder_point, n, "reorder_point")
    if (policy.order_up_to is None) == (policy.order_quantity is None):
        raise ValueError("give exactly one of order_up_to (s, S) or order_quantity (s, Q)")
    if policy.order_up_to is not None:
        order_up_to = _per_series(policy.order_up_to, n, "order_up_to")
        if (order_up_to < reorder_point).any():
            raise ValueError("order_up_to must be >= reorder_point")
        return _Levels(reorder_point, order_up_to, None, order_up_to, _pool_credit(policy, n))
    assert policy.order_quantity is not None  # exactly one of the two is given
    fixed_quantity = _per_series(policy.order_quantity, n, "order_quantity")
    if (fixed_quantity <= 0).any():
        raise ValueError("order_quantity must be > 0")
    return _Levels(
        reorder_point, None, fixed_quantity, reorder_point + fixed_quantity, _pool_credit(policy, n)
    )


def _pool_credit(policy: InventoryPolicy, n: int) -> FloatArray | None:
    if policy.pool_credit is None:
        return None
    credit = _per_series(policy.pool_credit, n, "pool_credit")
    if (credit < 0).any():
        raise ValueError("pool_credit must be >= 0")
    return credit


def _supply_from(policy: InventoryPolicy, n: int) -> IntArray | None:
    if policy.supply_from is None:
        return None
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
    return supply_from if pulling.any() else None


def _inputs(
    scenario: Scenario,
    policy: InventoryPolicy,
    opts: SimulationOptions,
    demand: FloatArray,
    demand_by_day: FloatArray,
    lines_by_day: FloatArray | None,
    levels: _Levels,
) -> _Inputs:
    n, n_days = demand.shape
    # policy
    moq = _per_series(policy.moq, n, "moq")
    pack = _per_series(policy.pack_size, n, "pack_size")
    revisions = _revisions(policy, n, levels.fixed_quantity is not None)
    review_period = _per_series(policy.review_period_days, n, "review_period_days", np.int64)
    review_offset = _per_series(policy.review_offset_days, n, "review_offset_days", np.int64)
    if (review_period < 1).any():
        raise ValueError("review_period_days must be >= 1")
    supply_from = _supply_from(policy, n)
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
    bounds = None
    if scenario.order_quantity_bounds is not None:
        bounds = tuple(_per_series(b, n, "order_quantity_bounds") for b in scenario.order_quantity_bounds)
    inputs = _Inputs(
        n=n,
        n_days=n_days,
        demand_by_day=demand_by_day,
        lines_by_day=lines_by_day,
        moq=moq,
        pack=pack,
        revisions=revisions,
        review_period=review_period,
        review_offset=review_offset,
        supply_from=supply_from,
        unit_cost=unit_cost,
        unit_price=unit_price,
        class_label=class_label,
        lead_times=lead_times,
        planned_demand=planned_demand,
        planned_lead_days=np.ceil(planned_lead - _EPS).astype(np.int64),
        bounds=bounds,
    )
    _option_inputs(inputs, scenario, opts)
    return inputs


def _option_inputs(inputs: _Inputs, scenario: Scenario, opts: SimulationOptions) -> None:
    n = inputs.n
    if opts.transfers is not None:
        if scenario.item_group is None:
            raise ValueError("transfers need scenario.item_group")
        _, inputs.group_codes = np.unique(
            _per_series(scenario.item_group, n, "item_group", np.int64), return_inverse=True
        )
        inputs.n_groups = int(inputs.group_codes.max()) + 1
        inputs.transfer_cost = _per_series(opts.transfers.cost_per_transfer, n, "cost_per_transfer")
    if opts.expedite is not None:
        inputs.expedite_fee = _per_series(opts.expedite.fee, n, "expedite fee")
        inputs.expedite_eligible = (
            np.ones(n, dtype=bool)
            if opts.expedite.eligible is None
            else _per_series(opts.expedite.eligible, n, "expedite eligible", bool)
        )


def _initial_state(scenario: Scenario, opts: SimulationOptions, n: int) -> _State:
    initial = _per_series(scenario.initial_on_hand, n, "initial_on_hand")
    if opts.lost_sales and (initial < 0).any():
        raise ValueError("a negative initial_on_hand (backorder) makes no sense with lost sales")
    state = _State(
        on_hand=np.maximum(initial, 0.0),
        backlog=np.maximum(-initial, 0.0),
        on_order=np.zeros(n),
        order_sequence=np.zeros(n, dtype=np.int64),
        pipeline=_Pipeline(n),
        acc={name: np.zeros(n) for name in SUM_COLUMNS},
        week_flag=np.zeros(n, dtype=bool),
        in_exception=np.zeros(n, dtype=bool),
        short_in_cycle=np.zeros(n, dtype=bool),
    )
    if scenario.initial_pipeline is not None:
        _load_open_orders(state.pipeline, state.on_order, scenario.initial_pipeline, n)
    return state


# --- one day --------------------------------------------------------------------------------------------------------


def _simulate_day(
    day: int, inp: _Inputs, lv: _Levels, st: _State, policy: InventoryPolicy, opts: SimulationOptions
) -> None:
    measured = day >= opts.warmup_days
    if day in inp.revisions:
        lv.revise(*inp.revisions[day])
    # 1. receipts; 2. backorders first, then today's demand
    today, filled, served, short, stockout = _receive_and_serve(day, inp, st, opts, measured)
    # 3. review: transfers, then supplier orders
    review = (day - inp.review_offset) % inp.review_period == 0
    if st.attention is not None:
        review = _attention_step(day, review, inp, lv, st, opts, measured)
    exception = np.zeros(inp.n, dtype=bool)
    if opts.transfers is not None:
        _transfer_step(day, review, inp, lv, st, opts, measured)
    position = st.on_hand - st.backlog + st.on_order
    if inp.supply_from is not None:
        position = _hub_step(day, review, position, inp, lv, st, policy, opts, measured)
        if lv.pool_credit is not None:  # a hub counts its branches' stock above their order-up-to levels
            position = position + pool_credit(position, lv.target, inp.supply_from, lv.pool_credit)
    _order_step(day, review, position, exception, inp, lv, st, opts, measured)
    # 4. expedite, exceptions, end-of-day measures
    if opts.expedite is not None:
        _expedite_step(day, inp, st, opts, measured)
    _exception_check(day, exception, inp, st)
    opened = exception & ~st.in_exception
    st.in_exception = exception
    if measured:
        _measure(day, today, filled, served, short, stockout, opened, exception, inp, st, opts)


def _receive_and_serve(
    day: int, inp: _Inputs, st: _State, opts: SimulationOptions, measured: bool
) -> tuple[FloatArray, FloatArray, FloatArray | float, FloatArray, npt.NDArray[np.bool_]]:
    received, receiving = st.pipeline.receive(day)
    st.on_hand += received
    st.on_order -= received
    if measured and receiving.size:
        st.acc["replenishment_cycles"][receiving] += 1
        st.acc["stockout_cycles"][receiving] += st.short_in_cycle[receiving]
    st.short_in_cycle[receiving] = False
    served: FloatArray | float
    if not opts.lost_sales:
        served = np.minimum(st.on_hand, st.backlog)
        st.on_hand -= served
        st.backlog -= served
    else:
        served = 0.0
    today = inp.demand_by_day[day]
    filled = np.minimum(st.on_hand, today)
    st.on_hand -= filled
    short = today - filled
    if not opts.lost_sales:
        st.backlog += short
    stockout = short > _EPS
    st.short_in_cycle |= stockout
    return today, filled, served, short, stockout


def _attention_step(
    day: int, review: npt.NDArray[np.bool_], inp: _Inputs, lv: _Levels, st: _State, opts: SimulationOptions,
    measured: bool,
) -> npt.NDArray[np.bool_]:  # fmt: skip
    """Limited attention (attention.py): returns the review rows kept; `st.blocked`, the tasks left waiting."""
    assert st.attention is not None
    position = st.on_hand - st.backlog + st.on_order
    book = Book(
        review, position, lv.reorder_point, st.on_hand, st.backlog, inp.planned_demand, inp.unit_cost,
        inp.supply_from, st.pipeline, lambda rows: _order_quantity(rows, position, inp, lv),
        None if opts.expedite is None else (opts.expedite, inp.expedite_eligible),
    )  # fmt: skip
    st.blocked = attention_step(day, st.attention, book, st.acc if measured else None, opts.record_orders)
    return review & ~st.blocked


def _transfer_step(
    day: int,
    review: npt.NDArray[np.bool_],
    inp: _Inputs,
    lv: _Levels,
    st: _State,
    opts: SimulationOptions,
    measured: bool,
) -> None:
    assert opts.transfers is not None and inp.group_codes is not None and inp.transfer_cost is not None
    moved = _transfers(
        day, review, st.on_hand, st.backlog, st.on_order, lv.reorder_point, lv.target, inp.group_codes,
        inp.n_groups, st.pipeline, opts.transfers.lead_time_days,
    )  # fmt: skip
    if measured:
        received_rows, received_qty, given_rows, given_qty = moved
        st.acc["transfers_in"][received_rows] += 1
        st.acc["transfer_units_in"][received_rows] += received_qty
        st.acc["transfer_cost"][received_rows] += inp.transfer_cost[received_rows]
        st.acc["transfers_out"][given_rows] += 1
        st.acc["transfer_units_out"][given_rows] += given_qty
    if opts.record_orders and moved[0].size:
        st.log.append(_log_entry(moved[0], day, "transfer", moved[1], opts.transfers.lead_time_days))


def _hub_step(
    day: int,
    review: npt.NDArray[np.bool_],
    position: FloatArray,
    inp: _Inputs,
    lv: _Levels,
    st: _State,
    policy: InventoryPolicy,
    opts: SimulationOptions,
    measured: bool,
) -> FloatArray:
    """Series supplied from a hub pull from it; returns the inventory position after the pulls."""
    assert inp.supply_from is not None
    moved = _hub_pulls(
        day, review, position, st.on_hand, st.on_order, lv.reorder_point, lv.target, lv.fixed_quantity,
        inp.supply_from, st.pipeline, policy.hub_lead_time_days,
    )  # fmt: skip
    if measured:
        pulled_rows, pulled_qty, hub_rows, hub_qty = moved
        st.acc["transfers_in"][pulled_rows] += 1
        st.acc["transfer_units_in"][pulled_rows] += pulled_qty
        st.acc["transfers_out"][hub_rows] += 1
        st.acc["transfer_units_out"][hub_rows] += hub_qty
    if opts.record_orders and moved[0].size:
        st.log.append(_log_entry(moved[0], day, "hub", moved[1], policy.hub_lead_time_days))
    return st.on_hand - st.backlog + st.on_order


def _order_quantity(rows: IntArray, position: FloatArray, inp: _Inputs, lv: _Levels) -> FloatArray:
    """(s, S): up to S; (s, Q): the smallest multiple of Q above s; then the MOQ, then pack rounding."""
    if lv.fixed_quantity is None:
        assert lv.order_up_to is not None
        quantity = lv.order_up_to[rows] - position[rows]
    else:
        multiples = np.floor((lv.reorder_point[rows] - position[rows]) / lv.fixed_quantity[rows] + _EPS) + 1
        quantity = multiples * lv.fixed_quantity[rows]
    quantity = np.maximum(quantity, inp.moq[rows])
    rounded = inp.pack[rows] > 0
    quantity[rounded] = np.ceil(quantity[rounded] / inp.pack[rows][rounded] - _EPS) * inp.pack[rows][rounded]
    return quantity


def _order_step(
    day: int,
    review: npt.NDArray[np.bool_],
    position: FloatArray,
    exception: npt.NDArray[np.bool_],
    inp: _Inputs,
    lv: _Levels,
    st: _State,
    opts: SimulationOptions,
    measured: bool,
) -> None:
    """Supplier orders of the series due for one (in place; an order outside the bounds is an exception)."""
    due_for_order = review & (position <= lv.reorder_point + _EPS)
    if inp.supply_from is not None:
        due_for_order &= inp.supply_from < 0
    rows = np.flatnonzero(due_for_order)
    if not rows.size:
        return
    quantity = _order_quantity(rows, position, inp, lv)
    keep = quantity > _EPS
    rows, quantity = rows[keep], quantity[keep]
    lead = inp.lead_times.draw(rows, st.order_sequence[rows], day)
    st.order_sequence[rows] += 1
    st.pipeline.add(rows, day + lead + 1, quantity, _SUPPLIER)
    st.on_order[rows] += quantity
    if inp.bounds is not None:
        exception[rows] |= (quantity < inp.bounds[0][rows] - _EPS) | (quantity > inp.bounds[1][rows] + _EPS)
    if measured:
        st.acc["orders"][rows] += 1
        st.acc["order_units"][rows] += quantity
    if opts.record_orders:
        st.log.append(_log_entry(rows, day, "supplier", quantity, lead))


def _expedite_step(day: int, inp: _Inputs, st: _State, opts: SimulationOptions, measured: bool) -> None:
    assert opts.expedite is not None and inp.expedite_eligible is not None and inp.expedite_fee is not None
    eligible = inp.expedite_eligible if st.blocked is None else inp.expedite_eligible & ~st.blocked
    rows, quantity, new_day = _expedite(
        day, st.on_hand, st.backlog, inp.planned_demand, st.pipeline, opts.expedite, eligible
    )
    if measured:
        st.acc["expedites"][rows] += 1
        st.acc["emergency_freight"][rows] += (
            inp.expedite_fee[rows] + opts.expedite.freight_rate * quantity * inp.unit_cost[rows]
        )
    if opts.record_orders and rows.size:
        st.log.append(_log_entry(rows, day, "expedite", quantity, new_day - day - 1))


def _exception_check(day: int, exception: npt.NDArray[np.bool_], inp: _Inputs, st: _State) -> None:
    """Exception a person would review (in place): projected net stock at the end of the planned lead time
    (on hand - backorders + receipts due by then - planned demand) is below zero; or an order outside bounds.
    Only the rows between the bounds need the pipeline: net - need <= projected <= net + on order - need."""
    net = st.on_hand - st.backlog - inp.planned_demand * inp.planned_lead_days
    short_for_sure = net + st.on_order < -_EPS
    unsure = np.flatnonzero((net < -_EPS) & ~short_for_sure)
    exception |= short_for_sure
    if unsure.size:
        arriving = st.pipeline.due_by(unsure, day + inp.planned_lead_days[unsure])
        exception[unsure] |= net[unsure] + arriving < -_EPS


def _measure(
    day: int,
    today: FloatArray,
    filled: FloatArray,
    served: FloatArray | float,
    short: FloatArray,
    stockout: npt.NDArray[np.bool_],
    opened: npt.NDArray[np.bool_],
    exception: npt.NDArray[np.bool_],
    inp: _Inputs,
    st: _State,
    opts: SimulationOptions,
) -> None:
    acc = st.acc
    acc["exceptions"] += opened
    acc["demand_units"] += today
    acc["filled_on_time_units"] += filled
    acc["shipped_units"] += filled + served
    acc["short_units"] += short
    acc["backorder_units" if not opts.lost_sales else "lost_units"] += short
    day_lines = (today > _EPS).astype(float) if inp.lines_by_day is None else inp.lines_by_day[day]
    # equal-sized lines served in sequence: complete lines shipped = floor(lines * filled / demand)
    complete = np.floor(day_lines * np.divide(filled, today, out=np.ones(inp.n), where=today > _EPS) + 1e-6)
    acc["demand_lines"] += day_lines
    acc["filled_lines"] += np.where(stockout, complete, day_lines)
    acc["stockout_days"] += stockout
    st.week_flag |= stockout
    if (day - opts.warmup_days + 1) % opts.week_days == 0 or day == inp.n_days - 1:
        acc["stockout_weeks"] += st.week_flag
        st.week_flag[:] = False
    acc["on_hand_unit_days"] += st.on_hand
    acc["exception_days"] += exception


# --- the result -----------------------------------------------------------------------------------------------------


def _result(scenario: Scenario, opts: SimulationOptions, inp: _Inputs, st: _State) -> SimulationResult:
    acc = st.acc
    measured_days = inp.n_days - opts.warmup_days
    acc["n_series"][:] = 1
    acc["series_days"][:] = measured_days
    acc["series_weeks"][:] = math.ceil(measured_days / opts.week_days)
    acc["ending_backorder_units"] = st.backlog.copy()
    acc["on_hand_value_days"] = acc["on_hand_unit_days"] * inp.unit_cost
    acc["cogs"] = acc["shipped_units"] * inp.unit_cost
    if inp.unit_price is not None:
        acc["revenue"] = acc["shipped_units"] * inp.unit_price
        acc["lost_revenue"] = acc["lost_units"] * inp.unit_price
    else:
        acc["revenue"][:] = np.nan
        acc["lost_revenue"][:] = np.nan

    per_series = pd.DataFrame({name: acc[name] for name in SUM_COLUMNS})
    per_series.index.name = "series"
    grouped = per_series.groupby(inp.class_label, sort=True).sum(min_count=1)
    grouped.index.name = "class_label"
    total = per_series.sum(min_count=1).to_frame("total").T
    per_series.insert(0, "class_label", inp.class_label)
    if scenario.item_group is not None:
        per_series.insert(1, "item_group", np.asarray(scenario.item_group))
    orders = None
    if opts.record_orders:
        orders = (
            pd.concat([pd.DataFrame(entry) for entry in st.log], ignore_index=True)
            if st.log
            else _empty_log()
        )
    tasks = task_log(st.attention) if st.attention is not None and opts.record_orders else None
    return SimulationResult(
        tasks=tasks,
        per_series=_derive_ratios(per_series, measured_days, opts.days_per_year),
        per_class=_derive_ratios(grouped, measured_days, opts.days_per_year),
        total=_derive_ratios(total, measured_days, opts.days_per_year),
        measured_days=measured_days,
        orders=orders,
    )


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
