"""Daily projection of available inventory per series over a horizon (default 90 days).

Day 0 is today. The projected position at the end of day t is
    on hand - allocated - backordered + (open supply arriving on days <= t) - (forecast demand of days 0..t),
run as a loop over the days on blocks of series (each day a few vector operations; arrivals are summed per
(day, series) beforehand and scattered in). A full (n, horizon) matrix is only built on request.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .panel import chunk_bounds

DAYS_PER_WEEK = 7


def clean_open_supply(open_supply: pd.DataFrame, n_series: int) -> pd.DataFrame:
    """Open supply lines with valid series index, non-negative quantity, integer arrival day (overdue -> 0).

    Columns kept/added: series, quantity, arrival_day, expedite_days, kind, po_line_id. Sorted by series.
    """
    columns = ["series", "po_line_id", "quantity", "arrival_day", "expedite_days", "kind"]
    supply = (
        open_supply.reindex(columns=columns).copy() if len(open_supply) else pd.DataFrame(columns=columns)
    )
    series = pd.to_numeric(supply["series"], errors="coerce")
    supply = supply[series.notna() & (series >= 0) & (series < n_series)].copy()
    supply["series"] = pd.to_numeric(supply["series"]).astype(np.int64)
    quantity = pd.to_numeric(supply["quantity"], errors="coerce").fillna(0.0)
    supply["quantity"] = quantity.clip(lower=0.0).astype(np.float64)
    arrival = pd.to_numeric(supply["arrival_day"], errors="coerce").fillna(0.0)
    supply["arrival_day"] = np.ceil(arrival.clip(lower=0.0)).astype(np.int64)
    supply["expedite_days"] = (
        pd.to_numeric(supply["expedite_days"], errors="coerce").fillna(0.0).clip(lower=0.0)
    )
    supply["kind"] = supply["kind"].fillna("po").astype(str)
    return supply.sort_values("series", kind="stable").reset_index(drop=True)


def project_inventory(
    on_hand: np.ndarray,
    allocated: np.ndarray,
    backordered: np.ndarray,
    weekly_forecast: np.ndarray,
    open_supply: pd.DataFrame,
    lead_time_days: np.ndarray,
    *,
    horizon_days: int = 90,
    chunk_size: int = 131_072,
    return_daily: bool = False,
    supply_is_clean: bool = False,
) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Project available inventory day by day and find the first projected stockout.

    ``weekly_forecast`` is (n,) or (n, W): week w's forecast applies to days 7w..7w+6 (the last week repeats),
    spread evenly over its days. ``open_supply`` has columns series, quantity, arrival_day (see
    ``clean_open_supply``, which is applied unless ``supply_is_clean``); lines arriving after the horizon count in the position but not in the projection.

    Returns (frame, daily) where frame has one row per series with: available (on hand - allocated -
    backordered), on_order, inventory_position (available + on_order), projected_stockout_day (first day whose
    end-of-day projection is below 0; NaN when none within the horizon), projected_at_lead_time (end of day
    ceil(L) - 1, what is left just before an order placed today arrives), projected_min; ``daily`` is the
    (n, horizon) float32 matrix when ``return_daily`` (for small panels and charts), else None.
    """
    available = (
        np.nan_to_num(np.asarray(on_hand, dtype=np.float64))
        - np.nan_to_num(np.asarray(allocated, dtype=np.float64))
        - np.nan_to_num(np.asarray(backordered, dtype=np.float64))
    )
    n_series = available.shape[0]
    forecast = np.asarray(weekly_forecast, dtype=np.float64)
    if forecast.ndim == 1:
        forecast = forecast[:, None]
    forecast = np.maximum(np.nan_to_num(forecast), 0.0)
    n_weeks = forecast.shape[1]
    supply = open_supply if supply_is_clean else clean_open_supply(open_supply, n_series)
    line_series = supply["series"].to_numpy(dtype=np.int64)
    line_quantity = supply["quantity"].to_numpy(dtype=np.float64)
    line_day = supply["arrival_day"].to_numpy(dtype=np.int64)
    on_order = np.bincount(line_series, weights=line_quantity, minlength=n_series)[:n_series]
    lead_index = np.clip(
        np.ceil(np.nan_to_num(np.asarray(lead_time_days, dtype=np.float64))) - 1, 0, horizon_days - 1
    )
    lead_index = lead_index.astype(np.int64)

    stockout_day = np.full(n_series, np.nan)
    at_lead_time = np.zeros(n_series)
    minimum = np.zeros(n_series)
    daily_matrix = np.empty((n_series, horizon_days), dtype=np.float32) if return_daily else None
    for start, stop in chunk_bounds(n_series, chunk_size):
        # arrivals of this block within the horizon, summed per (day, series) so that each day is one scatter-add
        first, last = np.searchsorted(line_series, [start, stop])
        in_horizon = line_day[first:last] < horizon_days
        cells = line_day[first:last][in_horizon] * (stop - start) + (
            line_series[first:last][in_horizon] - start
        )
        cells, inverse = np.unique(cells, return_inverse=True)
        arriving = np.bincount(inverse, weights=line_quantity[first:last][in_horizon], minlength=cells.size)
        day_bounds = np.searchsorted(cells // (stop - start), np.arange(horizon_days + 1))
        daily_rate = np.ascontiguousarray(forecast[start:stop].T) / DAYS_PER_WEEK  # (W, c)
        level = available[start:stop].copy()
        block_stockout = np.full(stop - start, np.nan)
        block_minimum = np.full(stop - start, np.inf)
        block_at_lead = np.zeros(stop - start)
        block_lead = lead_index[start:stop]
        for day in range(horizon_days):
            level -= daily_rate[min(day // DAYS_PER_WEEK, n_weeks - 1)]
            lo, hi = day_bounds[day], day_bounds[day + 1]
            if hi > lo:
                level[cells[lo:hi] % (stop - start)] += arriving[lo:hi]
            block_stockout[np.isnan(block_stockout) & (level < -1e-9)] = day
            np.minimum(block_minimum, level, out=block_minimum)
            at_day = block_lead == day
            block_at_lead[at_day] = level[at_day]
            if daily_matrix is not None:
                daily_matrix[start:stop, day] = level
        stockout_day[start:stop] = block_stockout
        at_lead_time[start:stop] = block_at_lead
        minimum[start:stop] = block_minimum
    frame = pd.DataFrame(
        {
            "available": available,
            "on_order": on_order,
            "inventory_position": available + on_order,
            "projected_stockout_day": stockout_day,
            "projected_at_lead_time": at_lead_time,
            "projected_min": minimum,
        }
    )
    return frame, daily_matrix
