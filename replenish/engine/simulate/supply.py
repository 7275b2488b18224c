"""What the simulator draws on: per-series parameters, policy revisions, lead-time draws and the receipt pipeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .model import (
    _FREE,
    _PLANNING_LEAD_TIME_PROBES,
    _SUPPLIER,
    ArrayLike,
    FloatArray,
    IntArray,
    InventoryPolicy,
    LeadTimeSampler,
    OpenOrders,
)


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
    arr: npt.NDArray[Any] = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        return np.full(n, arr, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {arr.shape}")
    return arr.copy()


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
) -> dict[int, tuple[FloatArray, FloatArray, FloatArray | None]]:
    """{first day: (reorder point, order-up-to level or order quantity, pool credit caps or None)} of the policy's
    revisions, validated."""
    revisions: dict[int, tuple[FloatArray, FloatArray, FloatArray | None]] = {}
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
        credit = (
            None
            if revision.pool_credit is None
            else _per_series(revision.pool_credit, n, "revision pool_credit")
        )
        revisions[int(revision.first_day)] = (reorder_point, level, credit)
    return revisions


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
