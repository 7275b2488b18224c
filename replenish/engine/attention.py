"""Attention is the scarce resource: the order a person works tasks in, and how a day's work is sized (pure numpy;
no Django). The queue (exceptions.selectors, exceptions.attention) applies exactly these rules in SQL; the attention
simulation (engine/simulate/attention.py) calls them directly.

- Rank: value at stake, largest first; tasks of equal value (most often 0: the value module floors at zero a task
  whose expected margin at risk is below its action's cost) by what a day's delay costs them, the expected units
  short per day of delay (value.delay_short_units: daily demand x the probability that the action lands after the
  projected stockout), largest first; then by their work-by day, earliest first; then by id (the oldest task
  first). A late order whose stockout can no longer be avoided still loses a full day of demand for every day it
  waits, so it comes before a task that can wait (measured: README).
- Work-by day: the last day to act before the projected stockout (the stockout day minus the days the task's action
  takes to land: the lead time of a purchase order, the transfer days of a pull from the hub) while that day is still
  ahead, but no later than MAX_WAIT_DAYS after the task first appeared. A task that has waited that long outranks
  every fresh task of equal value (a slow mover's stockout may be months away by its forecast; its lumpy demand comes
  anyway), and a task already too late for its lead time is ranked by its first day only (working such tasks first
  let the ones that could still be saved slip in turn: README). Value stays the money at stake shown to users.
- Split of one person's open tasks for a day: below the team's value floor -> "low" (Low value tab); of the rest, the
  first `capacity - decided_today` in rank order -> "todo" (To do: today's work); the others -> "later" (Later).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np

TODO, LATER, LOW = "todo", "later", "low"
MAX_WAIT_DAYS = 28  # README ("Does DistOps' ranking matter ..."): 14, 28, 56 and no limit measured


def work_by_day(first_day, today, order_by_day) -> np.ndarray:
    """The work-by day of each task (see module doc), in days: min(first_day + MAX_WAIT_DAYS, order_by_day), where
    `order_by_day` is the last day to act before the projected stockout (its day minus the days the task's action
    takes to land). A task without one (inf or nan), or whose last day is already past `today` (the order can no
    longer land in time), is ranked by its first day + MAX_WAIT_DAYS only: chasing the lost causes first would let
    the tasks that can still be saved slip past their own day in turn (measured: README)."""
    first = np.asarray(first_day, dtype=np.float64)
    order_by = np.asarray(order_by_day, dtype=np.float64)
    ahead = order_by >= np.asarray(today, dtype=np.float64)
    order_by = np.where(np.isfinite(order_by) & ahead, order_by, np.inf)
    return np.floor(np.minimum(first + MAX_WAIT_DAYS, order_by))


def work_by_date(first_day: date, today: date, order_by_days: float) -> date:
    """work_by_day of one task as a date (what the exceptions refresh stores in PlanningException.work_by):
    `first_day` the day the task first appeared; `order_by_days` the days from `today` to its projected stockout
    minus the days its action takes to land (inf: none projected). Plain Python: the refresh calls it per row."""
    cap = first_day + timedelta(days=MAX_WAIT_DAYS)
    if order_by_days >= 0 and order_by_days != math.inf:  # ahead and known (nan compares false)
        return min(cap, today + timedelta(days=int(order_by_days)))
    return cap


def rank_order(values, work_by, ids, group=None, *, delay=None) -> np.ndarray:
    """Indices of the tasks in the order a person works them: value descending, then `delay` (expected units short
    per day of delay, value.delay_short_units; None: all equal) descending, then work-by ascending, then id; with
    `group` (the planner of each task, the simulator's) each group's tasks together, in group order."""
    values = np.asarray(values, dtype=np.float64)
    delay = np.zeros(values.shape) if delay is None else np.asarray(delay, dtype=np.float64)
    keys = [np.asarray(ids), np.asarray(work_by), -delay, -values]
    if group is not None:
        keys.append(np.asarray(group))
    return np.lexsort(keys)


def day_split(
    values, work_by, ids, floors, *, capacity: int, decided_today: int = 0, delay=None
) -> np.ndarray:
    """ "todo" / "later" / "low" for each task of one person (see module docstring); `floors` per task (its team's)."""
    values = np.asarray(values, dtype=np.float64)
    floors = np.broadcast_to(np.asarray(floors, dtype=np.float64), values.shape)
    out = np.full(values.shape, LOW, dtype=object)
    above = values >= floors
    order = [i for i in rank_order(values, work_by, ids, delay=delay) if above[i]]
    room = max(int(capacity) - int(decided_today), 0)
    out[order[:room]] = TODO
    out[order[room:]] = LATER
    return out
