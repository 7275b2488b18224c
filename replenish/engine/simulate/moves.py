"""The moves of a review day, each in place on the state arrays: hub pulls, lateral transfers, expediting; and the
order log."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .model import _EPS, _EXPEDITED, _FREE, _SUPPLIER, _TRANSFER, ExpediteOption, FloatArray, IntArray
from .supply import _Pipeline


def _group_exclusive_cumsum(groups: IntArray, values: FloatArray) -> FloatArray:
    """Sum of the values before each element within its group; `groups` must be sorted (contiguous)."""
    inclusive = np.cumsum(values)
    exclusive = inclusive - values
    starts = np.r_[True, groups[1:] != groups[:-1]]
    segment = np.cumsum(starts) - 1
    return exclusive - exclusive[starts][segment]


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
    return rows, got, hub_rows, given[hub_rows]  # type: ignore[return-value]  # flatnonzero: intp (int64 here)


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


def _expedite_proposals(
    day: int,
    on_hand: FloatArray,
    backlog: FloatArray,
    planned_demand: FloatArray,
    pipeline: _Pipeline,
    option: ExpediteOption,
    eligible: npt.NDArray[np.bool_],
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The expedites due today, changing nothing: (rows, pipeline slot, new available day, old available day)."""
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
    return candidates[chosen], column[chosen], new_day[chosen], arrival[chosen]


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
    rows, cols, new_day, _ = _expedite_proposals(
        day, on_hand, backlog, planned_demand, pipeline, option, eligible
    )
    pipeline.available[rows, cols] = new_day
    pipeline.kind[rows, cols] = _EXPEDITED
    pipeline.next_due[rows] = np.minimum(pipeline.next_due[rows], new_day)
    return rows, pipeline.quantity[rows, cols].copy(), new_day


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
