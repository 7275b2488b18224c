"""Limited attention: planners execute only the top K tasks a day each, in a queue's order; the rest wait.

On each day, before the review's moves (timing step 3), every series the policy would act on is one task (one task
per decision, issue 12 item 2): a supplier order or a pull from its hub (one with stock on hand) when its position
is at or below s, an expedite when its earliest open order lands after the projected stockout
(`moves._expedite_proposals`, changing nothing). The task's value is the value module's
(replenish/engine/value.py), the formula the queue ranks by:

- order or pull: expected short units over the decision horizon at today's position x unit margin, times the
  probability that the order lands before the projected stockout, minus the action's cost (ordering cost of a PO
  line, transfer freight of a pull);
- expedite: the demand of the days pulled in that the late order leaves unserved (value.late_inbound_short_units)
  x unit margin, minus the expedite freight;
- a series with both: the larger (its best action).

Tasks an automation policy covers are executed without a person: the option's `automation` rule (the evaluation
layer passes the production policies' rule: action, classes, supplier reliability, value, confidence, data
quality, spend), or without one an `auto_eligible` series' supplier order of value <= `auto_max_value`. Each
planner then executes at most `capacity` of the remaining tasks of the series they own, in the ordering's order
(model.ORDERINGS; "value" is the queue's rank, engine.attention.rank_order, with each task's expected units short
per day of delay, value.delay_short_units, and its work-by day from its first day, projected stockout and the days
its action takes to land; the supplier orders of one draft PO are one decision, `decisions`); ties are broken at
random (seeded). A task not executed waits: the series does nothing that day (no order, pull, transfer in or
expedite) and proposes again at its next review, its age (days since first proposed) growing; an executed task's
age is measured as `task_wait_days`.

With ordering "unlimited" every task is executed: the run equals the policy without the attention option.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import attention as ranking
from .. import value as v
from .model import (
    _EPS,
    _FREE,
    OLDEST,
    ORDERINGS,
    RANDOM,
    UNLIMITED,
    VALUE,
    AttentionOption,
    ExpediteOption,
    FloatArray,
    IntArray,
)
from .moves import _expedite_proposals
from .supply import _per_series

WAITED, BY_PERSON, AUTOMATIC = 0, 1, 2  # task outcomes in the task log
OUTCOMES = {WAITED: "waited", BY_PERSON: "person", AUTOMATIC: "automatic"}


@dataclass
class Attention:
    """The attention option validated, and its state: the day each series' open task was first proposed."""

    capacity: int
    ordering: str
    planner: IntArray
    horizon_mean: FloatArray
    horizon_sd: FloatArray
    unit_margin: FloatArray
    lead_time_days: FloatArray
    lead_time_sd_days: FloatArray
    auto_eligible: npt.NDArray[np.bool_]
    auto_max_value: float
    automation: Callable[..., Any] | None
    settings: v.ValueSettings
    hub_lead_time_days: int
    rng: np.random.Generator
    since: IntArray
    draft_group: IntArray
    log: list[dict[str, npt.NDArray[Any]]] = field(default_factory=list)


def attention_inputs(option: AttentionOption, n: int, hub_lead_time_days: int) -> Attention:
    if option.ordering not in ORDERINGS:
        raise ValueError(
            f"attention ordering must be one of {', '.join(ORDERINGS)} (got {option.ordering!r})"
        )
    if int(option.capacity) < 0:
        raise ValueError("attention capacity must be >= 0 tasks per planner per day")
    planner = _per_series(option.planner, n, "attention planner", np.int64)
    if (planner < 0).any():
        raise ValueError("attention planner must be >= 0 for every series")
    auto = (
        np.zeros(n, dtype=bool)
        if option.auto_eligible is None
        else _per_series(option.auto_eligible, n, "attention auto_eligible", bool)
    )
    return Attention(
        capacity=int(option.capacity),
        ordering=option.ordering,
        planner=planner,
        horizon_mean=_per_series(option.horizon_mean, n, "attention horizon_mean"),
        horizon_sd=_per_series(option.horizon_sd, n, "attention horizon_sd"),
        unit_margin=np.maximum(_per_series(option.unit_margin, n, "attention unit_margin"), 0.0),
        lead_time_days=_per_series(option.lead_time_days, n, "attention lead_time_days"),
        lead_time_sd_days=_per_series(option.lead_time_sd_days, n, "attention lead_time_sd_days"),
        auto_eligible=auto,
        auto_max_value=float(option.auto_max_value),
        automation=option.automation,
        settings=option.settings or v.DEFAULT_SETTINGS,
        hub_lead_time_days=int(hub_lead_time_days),
        rng=np.random.default_rng([int(option.seed), 0x5EED]),
        since=np.full(n, -1, dtype=np.int64),
        draft_group=(
            np.full(n, -1, dtype=np.int64)
            if option.draft_group is None
            else _per_series(option.draft_group, n, "attention draft_group", np.int64)
        ),
    )


def days_to_stockout(
    rows: IntArray, net: FloatArray, daily: FloatArray, available: IntArray, quantity: FloatArray, day: int
) -> FloatArray:
    """Days from today until the projected stock (net on hand + open receipts as they land - daily demand) first
    runs out, for the given rows (inf: never; 0: already short). `available` / `quantity` are the rows' pipeline
    slots (free slots at _FREE)."""
    order = np.argsort(available, axis=1, kind="stable")
    landed = np.take_along_axis(available, order, axis=1)
    units = np.take_along_axis(quantity, order, axis=1)
    before = np.cumsum(units, axis=1) - units  # receipts landed before each slot
    level = net[rows, None] + np.hstack([before, units.sum(axis=1, keepdims=True)])
    wait = np.where(landed < _FREE, landed - day - 1, np.inf).astype(float)
    wait = np.hstack([wait, np.full((rows.size, 1), np.inf)])
    rate = daily[rows, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(rate > 0, np.maximum(level, 0.0) / np.where(rate > 0, rate, 1.0), np.inf)
    runs_out = cover < wait  # the stock before this receipt runs out before it lands
    first = runs_out.argmax(axis=1)
    found = runs_out.any(axis=1)
    return np.where(found, cover[np.arange(rows.size), first], np.inf)


def supply_values(
    att: Attention,
    rows: IntArray,
    position: FloatArray,
    quantity: FloatArray,
    pull: npt.NDArray[np.bool_],
    stockout_day: FloatArray,
    unit_cost: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """The value of ordering (or pulling from the hub) now for these rows (value module, see the module doc), and
    the probability that the order lands before the projected stockout."""
    short = v.expected_short_units(position[rows], att.horizon_mean[rows], att.horizon_sd[rows])
    action = np.where(pull, v.TRANSFER, v.PURCHASE_ORDER).astype(object)
    cost = v.action_cost(action, quantity * unit_cost[rows], att.settings)
    arrival = np.where(pull, float(att.hub_lead_time_days), att.lead_time_days[rows])
    arrival_sd = np.where(pull, att.settings.min_arrival_sd_days, att.lead_time_sd_days[rows])
    feasibility = v.arrival_feasibility(stockout_day, arrival, arrival_sd, att.settings)
    composed = v.compose(lost_margin=short * att.unit_margin[rows], feasibility=feasibility, action_cost=cost)
    return np.asarray(composed["value"], dtype=float), feasibility


def expedite_values(
    att: Attention, rows: IntArray, quantity: FloatArray, days_pulled_in: IntArray, daily: FloatArray,
    unit_cost: FloatArray,
) -> FloatArray:  # fmt: skip
    """The value of expediting these rows' late orders: the demand of the days pulled in that they would leave
    unserved, at the unit margin, minus the expedite freight (value module)."""
    short = v.late_inbound_short_units(quantity, daily[rows], days_pulled_in, 1.0)
    cost = v.action_cost(
        np.full(rows.size, v.EXPEDITE, dtype=object), quantity * unit_cost[rows], att.settings
    )
    composed = v.compose(lost_margin=short * att.unit_margin[rows], action_cost=cost)
    return np.asarray(composed["value"], dtype=float)


def select(
    planner: IntArray,
    value: FloatArray,
    age: IntArray,
    ordering: str,
    capacity: int,
    rng: np.random.Generator,
    work_by: FloatArray | None = None,
    delay: FloatArray | None = None,
) -> npt.NDArray[np.bool_]:
    """Which of these tasks the planners execute: per planner the first `capacity` in the ordering's order. "value"
    is the queue's rank (engine.attention.rank_order: value, then units short per day of delay, then work-by day,
    then id), the id being the order the tasks appeared in (the oldest first; tasks of the same day at random,
    seeded); `work_by` and `delay` per task (None: all equal)."""
    n = planner.size
    if ordering == UNLIMITED:
        return np.ones(n, dtype=bool)
    tie = rng.random(n)
    if ordering == VALUE:
        ids = np.lexsort((tie, -age))  # creation order: the oldest first
        created = np.empty(n, dtype=np.int64)
        created[ids] = np.arange(n)
        order = ranking.rank_order(
            value, np.zeros(n) if work_by is None else work_by, created, group=planner, delay=delay
        )
    elif ordering == OLDEST:
        order = np.lexsort(
            (tie, -age, planner)
        )  # the last key sorts first: by planner, then the ordering's keys
    elif ordering == RANDOM:
        order = np.lexsort((tie, planner))
    else:  # pragma: no cover - validated in attention_inputs
        raise ValueError(ordering)
    sorted_planner = planner[order]
    starts = np.r_[True, sorted_planner[1:] != sorted_planner[:-1]]
    rank = np.arange(n) - np.flatnonzero(starts)[np.cumsum(starts) - 1]
    chosen = np.zeros(n, dtype=bool)
    chosen[order[rank < capacity]] = True
    return chosen


@dataclass
class DayTasks:
    """The day's tasks: rows, their value, their action (value.PURCHASE_ORDER, TRANSFER, EXPEDITE) and what it
    spends (what automation judges)."""

    rows: IntArray
    value: FloatArray
    action: npt.NDArray[np.object_]
    amount: FloatArray
    reviewed: npt.NDArray[np.bool_]  # series reviewed today (one without a task then has none open)
    order_by: FloatArray  # the last day to act before the projected stockout (inf: none projected)
    delay: FloatArray  # expected units short per day the task waits (value.delay_short_units)


@dataclass
class Book:
    """What the simulator's state offers the day's task list (arrays of the run, read only here)."""

    review: npt.NDArray[np.bool_]
    position: FloatArray
    reorder_point: FloatArray
    on_hand: FloatArray
    backlog: FloatArray
    planned_demand: FloatArray
    unit_cost: FloatArray
    supply_from: IntArray | None
    pipeline: Any  # supply._Pipeline
    order_quantity: Callable[[IntArray], FloatArray]  # the policy's order quantity of these rows today
    expedite: tuple[ExpediteOption, Any] | None  # the expedite option and the eligible series


def attention_step(
    day: int, att: Attention, book: Book, acc: dict[str, FloatArray] | None, record: bool
) -> npt.NDArray[np.bool_]:
    """Today's tasks and who executes which; returns the series whose task waits (they do nothing today). With
    `acc` (a measured day) the tasks are counted."""
    tasks = day_tasks(day, att, book)
    people, automatic, age, share = decide(day, att, tasks, record)
    blocked = np.zeros(book.position.size, dtype=bool)
    blocked[tasks.rows] = True
    blocked[people] = False
    blocked[automatic] = False
    if acc is not None:
        acc["tasks"][tasks.rows] += 1
        acc["tasks_by_people"][people] += 1
        acc["decisions_by_people"][people] += share
        acc["tasks_automatic"][automatic] += 1
        acc["task_wait_days"][tasks.rows] += np.where(blocked[tasks.rows], 0, age)
    return blocked


def day_tasks(day: int, att: Attention, book: Book) -> DayTasks:
    """Every series the policy would act on today, one task each, valued (see the module doc)."""
    n = book.position.size
    value = np.full(n, -np.inf)
    action = np.full(n, "", dtype=object)
    amount = np.zeros(n)
    order_by = np.full(n, np.inf)  # projected stockout day - the days the task's action takes to land
    delay = np.zeros(n)  # expected units short per day of delay
    rows = np.flatnonzero(book.review & (book.position <= book.reorder_point + _EPS))
    if rows.size:
        quantity = book.order_quantity(rows)
        hub = np.full(rows.size, -1) if book.supply_from is None else book.supply_from[rows]
        # a pull from a hub with nothing on hand is no task: production transfers only from a donor with stock
        # above its reorder point (engine.recommend), and the review's pull would ship nothing (moves._hub_pulls)
        keep = (quantity > _EPS) & ((hub < 0) | (book.on_hand[np.maximum(hub, 0)] > _EPS))
        rows, quantity, pull = rows[keep], quantity[keep], hub[keep] >= 0
        net = book.on_hand - book.backlog
        stockout = days_to_stockout(
            rows, net, book.planned_demand, book.pipeline.available[rows], book.pipeline.quantity[rows], day
        )
        value[rows], feasibility = supply_values(
            att, rows, book.position, quantity, pull, stockout, book.unit_cost
        )
        delay[rows] = v.delay_short_units(book.planned_demand[rows], feasibility)
        arrival = np.where(pull, float(att.hub_lead_time_days), att.lead_time_days[rows])
        order_by[rows] = day + stockout - arrival
        action[rows] = np.where(pull, v.TRANSFER, v.PURCHASE_ORDER)
        amount[rows] = v.action_spend(action[rows], quantity, book.unit_cost[rows], att.settings)["amount"]
    if book.expedite is not None:
        option, eligible = book.expedite
        late, cols, new_day, arrival = _expedite_proposals(
            day, book.on_hand, book.backlog, book.planned_demand, book.pipeline, option, eligible
        )
        if late.size:
            quantity = book.pipeline.quantity[late, cols]
            worth = expedite_values(
                att, late, quantity, arrival - new_day, book.planned_demand, book.unit_cost
            )
            value[late] = np.maximum(value[late], worth)
            net = book.on_hand - book.backlog
            stockout = days_to_stockout(
                late,
                net,
                book.planned_demand,
                book.pipeline.available[late],
                book.pipeline.quantity[late],
                day,
            )
            order_by[late] = day + stockout - (new_day - day)
            feasibility = v.arrival_feasibility(
                stockout, new_day - day, att.lead_time_sd_days[late], att.settings
            )
            delay[late] = v.delay_short_units(book.planned_demand[late], feasibility)
            action[late] = v.EXPEDITE  # the task's action (an order of the same series goes with it)
            amount[late] = v.action_spend(action[late], quantity, book.unit_cost[late], att.settings)[
                "amount"
            ]
    tasks = np.flatnonzero(np.isfinite(value))
    return DayTasks(
        tasks, value[tasks], action[tasks], amount[tasks], book.review, order_by[tasks], delay[tasks]
    )


def automated(att: Attention, tasks: DayTasks) -> npt.NDArray[np.bool_]:
    """Which of the day's tasks an automation policy executes (see the module doc)."""
    if att.automation is not None:
        return np.asarray(att.automation(tasks.rows, tasks.action, tasks.value, tasks.amount), dtype=bool)
    order = tasks.action == v.PURCHASE_ORDER
    return att.auto_eligible[tasks.rows] & order & (tasks.value <= att.auto_max_value + _EPS)


def decide(
    day: int, att: Attention, tasks: DayTasks, record: bool
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Execute the day's tasks (automatic, then people in the ordering's order, a draft PO's lines as one decision);
    returns (people rows, automatic rows, ages of the tasks, each people row's share of its decision: 1 / the lines
    of its draft) and updates each series' waiting state: a series without a task today has none open."""
    rows, value = tasks.rows, tasks.value
    stale = tasks.reviewed.copy()
    stale[rows] = False
    att.since[stale] = -1
    fresh = att.since[rows] < 0
    att.since[rows[fresh]] = day
    age = day - att.since[rows]
    automatic = np.zeros(rows.size, dtype=bool)
    if att.ordering != UNLIMITED and rows.size:
        automatic = automated(att, tasks)
    people = np.zeros(rows.size, dtype=bool)
    left = np.flatnonzero(~automatic)
    work_by = ranking.work_by_day(att.since[rows], day, tasks.order_by)
    unit, planner, unit_value, unit_age, unit_work_by, unit_delay = decisions(
        att, rows[left], tasks.action[left], value[left], age[left], work_by[left], tasks.delay[left]
    )
    chosen = select(
        planner, unit_value, unit_age, att.ordering, att.capacity, att.rng, unit_work_by, unit_delay
    )
    people[left] = chosen[unit]
    share = np.zeros(rows.size)
    share[left] = 1.0 / np.bincount(unit)[unit]
    worked = people | automatic
    att.since[rows[worked]] = -1
    if record and rows.size:
        att.log.append(
            {
                "day": np.full(rows.size, day, dtype=np.int64),
                "series": rows.copy(),
                "planner": att.planner[rows],
                "value": value.copy(),
                "age": age.astype(np.int64),
                "work_by": work_by,
                "delay": tasks.delay.copy(),
                "outcome": np.where(automatic, AUTOMATIC, np.where(people, BY_PERSON, WAITED)),
            }
        )
    return rows[people], rows[automatic], age, share[people]


def decisions(
    att: Attention,
    rows: IntArray,
    action: npt.NDArray[np.object_],
    value: FloatArray,
    age: IntArray,
    work_by: FloatArray,
    delay: FloatArray,
) -> tuple[IntArray, IntArray, FloatArray, IntArray, FloatArray, FloatArray]:
    """The decisions a person takes on these tasks: each task its own, except the supplier orders of one draft PO
    (model.AttentionOption.draft_group), one decision as in the queue. Returns each task's decision index and per
    decision its planner (the one owning most of its lines, the lowest id on a tie), value and delay (sums), age
    (the oldest line's) and work-by day (the earliest)."""
    group = att.draft_group[rows]
    drafted = (action == v.PURCHASE_ORDER) & (group >= 0)
    if not drafted.any():
        return np.arange(rows.size, dtype=np.int64), att.planner[rows], value, age, work_by, delay
    key = np.where(drafted, group, -1 - np.arange(rows.size))  # a task outside a draft: a key of its own
    codes, uniques = pd.factorize(key, sort=False)
    unit: IntArray = np.asarray(codes, dtype=np.int64)
    m = uniques.size
    owners = pd.DataFrame({"unit": unit, "planner": att.planner[rows]})
    counts = owners.groupby(["unit", "planner"], sort=True).size().reset_index(name="n")
    counts = counts.sort_values(["unit", "n", "planner"], ascending=[True, False, True], kind="stable")
    planner = counts.drop_duplicates("unit").set_index("unit")["planner"].reindex(range(m)).to_numpy(np.int64)
    unit_age = np.zeros(m, dtype=np.int64)
    np.maximum.at(unit_age, unit, age)
    unit_work_by = np.full(m, np.inf)
    np.minimum.at(unit_work_by, unit, work_by)
    unit_value = np.bincount(unit, weights=value, minlength=m).astype(np.float64)
    unit_delay: FloatArray = np.round(np.bincount(unit, weights=delay, minlength=m), 3)
    return unit, planner, unit_value, unit_age, unit_work_by, unit_delay


def task_log(att: Attention) -> pd.DataFrame:
    columns = ("day", "series", "planner", "value", "age", "work_by", "delay", "outcome")
    if not att.log:
        return pd.DataFrame(
            {
                name: pd.Series(dtype=float if name in ("value", "work_by", "delay") else object)
                for name in columns
            }
        )
    frame = pd.concat([pd.DataFrame(entry) for entry in att.log], ignore_index=True)
    frame["outcome"] = frame["outcome"].map(OUTCOMES)
    return frame
