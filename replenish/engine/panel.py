"""Demand panel conventions and cleaning.

A panel is ``n`` series (one per SKU-location) by ``T`` weekly periods. ``NaN`` marks a period that was not
observed (before the series' history began, or a hole in the feed); ``0`` is an observed zero demand.

Internally the engine works on the *time-major* layout ``(T, n)``: the per-period recursions of the forecasting
methods read one contiguous row per period instead of a strided column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FloatArray = np.ndarray


@dataclass(frozen=True)
class CleanDemand:
    """Cleaned demand in time-major layout plus the per-series data-quality flags found while cleaning."""

    demand_by_period: FloatArray  # (T, n) float32, NaN = unobserved, negatives set to 0
    observed_periods: np.ndarray  # (n,) int, number of observed (finite) periods
    first_observed: np.ndarray  # (n,) int, index of the first observed period (T when none)
    flag_negative_demand_cleaned: np.ndarray  # (n,) bool
    flag_no_history: np.ndarray  # (n,) bool: no observed period at all
    flag_missing_periods: np.ndarray  # (n,) bool: NaN after the history started (a hole)
    flag_nonfinite_demand_cleaned: np.ndarray  # (n,) bool: +/-inf found and treated as unobserved

    @property
    def n_series(self) -> int:
        return int(self.demand_by_period.shape[1])

    @property
    def n_periods(self) -> int:
        return int(self.demand_by_period.shape[0])


def clean_demand(demand: np.ndarray, *, chunk_size: int = 65_536) -> CleanDemand:
    """Validate a (n, T) demand panel and return it time-major and cleaned.

    Negative demand (returns booked as negative sales) is set to 0 and flagged; infinities become NaN
    (unobserved) and are flagged. The input is never modified.
    """
    values = np.asarray(demand)
    if values.ndim != 2:
        raise ValueError(f"demand must be 2-D (n_series, n_periods), got shape {values.shape}")
    n_series, n_periods = values.shape
    demand_by_period = np.empty((n_periods, n_series), dtype=np.float32)
    observed_periods = np.zeros(n_series, dtype=np.int64)
    first_observed = np.full(n_series, n_periods, dtype=np.int64)
    negative = np.zeros(n_series, dtype=bool)
    nonfinite = np.zeros(n_series, dtype=bool)
    missing_inside = np.zeros(n_series, dtype=bool)
    descending = np.arange(n_periods, 0, -1, dtype=np.int32)
    ascending = np.arange(1, n_periods + 1, dtype=np.int32)
    for start in range(0, n_series, chunk_size):
        stop = min(start + chunk_size, n_series)
        block = np.array(values[start:stop], dtype=np.float32)  # copy, float32
        infinite = np.isinf(block)
        if infinite.any():
            nonfinite[start:stop] = infinite.any(axis=1)
            block[infinite] = np.nan
        below_zero = block < 0
        if below_zero.any():
            negative[start:stop] = below_zero.any(axis=1)
            block[below_zero] = 0.0
        observed = ~np.isnan(block)
        count = observed.sum(axis=1)
        observed_periods[start:stop] = count
        # first / last observed index by a weighted max (argmax along an axis is several times slower)
        first = n_periods - (observed * descending).max(axis=1, initial=0)
        last = (observed * ascending).max(axis=1, initial=0) - 1
        first_observed[start:stop] = first
        # a hole: fewer observed periods than the span from the first to the last observation
        missing_inside[start:stop] = (count > 0) & (count < (last - first + 1))
        demand_by_period[:, start:stop] = block.T
    return CleanDemand(
        demand_by_period=demand_by_period,
        observed_periods=observed_periods,
        first_observed=first_observed,
        flag_negative_demand_cleaned=negative,
        flag_no_history=observed_periods == 0,
        flag_missing_periods=missing_inside,
        flag_nonfinite_demand_cleaned=nonfinite,
    )


def chunk_bounds(n_items: int, chunk_size: int) -> list[tuple[int, int]]:
    """Half-open [start, stop) ranges covering ``n_items`` in blocks of ``chunk_size``."""
    size = max(int(chunk_size), 1)
    return [(start, min(start + size, n_items)) for start in range(0, n_items, size)]
