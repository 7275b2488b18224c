"""Forecast error measures: the backtest's scores (MASE, bias, RMSE), the growth of the error with the horizon and
the forecast sd pooled across a group of series.

Split from ``forecast`` (which re-exports these names): the method selection scores with them, the pipeline uses
them to size the lead-time demand's error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BacktestMetrics:
    mase: np.ndarray
    bias: np.ndarray
    rmse: np.ndarray
    count: np.ndarray


def in_sample_naive_mae(demand_by_period: np.ndarray, *, until: int) -> np.ndarray:
    """MASE scale (Hyndman & Koehler 2006): mean |y_t - y_{t-1}| over consecutive observed periods t < until.

    Guard for a zero or undefined scale (constant or too short training history): the mean absolute observed
    demand before ``until``, then over the whole history, then 1.0.
    """
    n_series = demand_by_period.shape[1]
    scale = np.zeros(n_series)
    if until >= 2:
        differences = np.abs(demand_by_period[1:until] - demand_by_period[: until - 1])
        valid = ~np.isnan(differences)
        count = valid.sum(axis=0)
        total = np.where(valid, differences, np.float32(0)).sum(axis=0, dtype=np.float64)
        scale = total / np.maximum(count, 1)
    missing = np.flatnonzero(~(scale > 0))
    if missing.size:
        block = demand_by_period[:, missing].astype(np.float64)
        fallback = np.zeros(missing.size)
        for window in (block[:until], block):
            observed = ~np.isnan(window)
            mean_abs = np.where(observed, np.abs(window), 0.0).sum(axis=0) / np.maximum(
                observed.sum(axis=0), 1
            )
            fallback = np.where(fallback > 0, fallback, mean_abs)
        scale[missing] = np.where(fallback > 0, fallback, 1.0)
    return scale


def backtest_metrics(actual: np.ndarray, forecast: np.ndarray, scale: np.ndarray) -> BacktestMetrics:
    """MASE, bias (mean of forecast - actual: positive = over-forecast), RMSE and residual count per series.

    ``actual`` and ``forecast`` are (H, m); periods where either is NaN are skipped. MASE = MAE / scale
    (Hyndman & Koehler 2006); NaN where no period could be scored.
    """
    error = forecast.astype(np.float64) - actual.astype(np.float64)
    valid = ~np.isnan(error)
    count = valid.sum(axis=0)
    error = np.where(valid, error, 0.0)
    safe_count = np.maximum(count, 1)
    scored = count > 0
    mae = np.abs(error).sum(axis=0) / safe_count
    return BacktestMetrics(
        mase=np.where(scored, mae / scale, np.nan),
        bias=np.where(scored, error.sum(axis=0) / safe_count, np.nan),
        rmse=np.where(scored, np.sqrt(np.square(error).sum(axis=0) / safe_count), np.nan),
        count=count,
    )


def horizon_error_growth(
    actual: np.ndarray,
    one_step: np.ndarray,
    season: np.ndarray | None,
    groups: np.ndarray,
    *,
    max_weeks: int = 8,
    min_series: int = 30,
) -> pd.DataFrame:
    """How the backtest's forecast error grows with the horizon, pooled by group: R(k) for k = 1..max_weeks.

    From each backtest origin o the forecast of the next k periods is the level of the one-step forecast f_o
    (f_o / s_o, reseasonalized: sum_j f_o / s_o x s_{o+j}); its k-period cumulative error is compared with k
    one-step errors: R(k)^2 = mean over the group's series of MSE_k / (k x MSE_1). Independent errors give R = 1;
    an error in the level that persists over the lead time (the h^2 term of the variance of a smoothed level,
    Silver-Pyke-Thomas 5.5; or weeks of demand above the forecast) gives R > 1. ``actual``, ``one_step``,
    ``season`` are (H, n) over the backtest periods. Groups with fewer than ``min_series`` scored series, or
    horizons longer than H - 2, get R = 1 (no evidence). Returns a frame indexed by group, columns 1..max_weeks.
    """
    actual = np.asarray(actual, dtype=np.float64)
    forecast = np.asarray(one_step, dtype=np.float64)
    n_periods, n_series = actual.shape
    index = np.ones_like(actual) if season is None else np.asarray(season, dtype=np.float64)
    level = forecast / index
    valid = np.isfinite(actual) & np.isfinite(level)
    cum_actual = np.concatenate([np.zeros((1, n_series)), np.cumsum(np.where(valid, actual, 0.0), axis=0)])
    cum_index = np.concatenate([np.zeros((1, n_series)), np.cumsum(index, axis=0)])
    cum_valid = np.concatenate([np.zeros((1, n_series)), np.cumsum(valid, axis=0)])
    mse = np.full((max_weeks, n_series), np.nan)
    for k in range(1, min(max_weeks, n_periods - 2) + 1):
        origins = n_periods - k + 1  # origins 0 .. n_periods - k: the windows [o, o + k)
        complete = (cum_valid[k : k + origins] - cum_valid[:origins]) == k
        predicted = level[:origins] * (cum_index[k : k + origins] - cum_index[:origins])
        error = (cum_actual[k : k + origins] - cum_actual[:origins]) - predicted
        count = complete.sum(axis=0)
        with np.errstate(invalid="ignore"):
            squared = np.where(complete, error**2, 0.0).sum(axis=0)
            mse[k - 1] = np.where(count > 0, squared / np.maximum(count, 1), np.nan)
    scored = np.isfinite(mse[0]) & (mse[0] > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = {
            k: np.where(scored & np.isfinite(mse[k - 1]), mse[k - 1] / (k * mse[0]), np.nan)
            for k in range(1, max_weeks + 1)
        }
    pooled = pd.DataFrame(ratios).groupby(np.asarray(groups).astype(str)).agg(["mean", "count"])
    out = np.sqrt(pooled.xs("mean", axis=1, level=1))
    counts = pooled.xs("count", axis=1, level=1)
    return out.where((counts >= min_series) & np.isfinite(out), 1.0)


def error_growth_at(growth: pd.DataFrame, groups: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """R at each series' horizon in weeks (linear between whole weeks; 1 below a week; the last column beyond)."""
    labels, group_of_row = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    table = growth.reindex(pd.Index(labels)).fillna(1.0)
    values = table.to_numpy(dtype=np.float64)[group_of_row]  # (n, K)
    n_weeks = values.shape[1]
    weeks = np.clip(np.nan_to_num(np.asarray(weeks, dtype=np.float64)), 1.0, float(n_weeks))
    low = np.floor(weeks).astype(np.int64)
    high = np.minimum(low + 1, n_weeks)
    rows = np.arange(len(group_of_row))
    fraction = weeks - low
    return values[rows, low - 1] * (1 - fraction) + values[rows, high - 1] * fraction


def pooled_forecast_sd(
    forecast: np.ndarray,
    forecast_sd: np.ndarray,
    residual_count: np.ndarray,
    groups: np.ndarray,
    *,
    prior_residuals: float = 13.0,
    min_series: int = 30,
) -> np.ndarray:
    """Forecast sd combined with a pooled estimate from the series' group, against the noise of 13 residuals.

    Silver-Pyke-Thomas (section 5.7) estimate the sd of forecast errors of items with little data from the
    relation sd = c1 x forecast^c2 fitted across items; here it is fitted per group by least squares on logs
    (series with forecast, sd > 0 and at least 4 residuals), then combined with each series' own estimate as
    variances weighted by evidence: sd^2 = (n s_i^2 + n0 s_pooled^2) / (n + n0), n = residuals, n0 =
    ``prior_residuals``. Groups with fewer than ``min_series`` fitted series keep their own estimates.
    """
    forecast = np.asarray(forecast, dtype=np.float64)
    own = np.asarray(forecast_sd, dtype=np.float64)
    count = np.asarray(residual_count, dtype=np.float64)
    labels = np.asarray(groups).astype(str)
    out = own.copy()
    usable = (forecast > 0) & (own > 0) & (count >= 4) & np.isfinite(own)
    for label in np.unique(labels):
        members = labels == label
        fit = members & usable
        if fit.sum() < min_series:
            continue
        x, y = np.log(forecast[fit]), np.log(own[fit])
        slope, intercept = np.polyfit(x, y, 1)
        residual_variance = float(np.mean((y - (intercept + slope * x)) ** 2))
        rows = members & (forecast > 0)
        # exp(E[log sd]) is the median sd; the mean of sd^2 under a lognormal scatter adds exp(var)
        pooled_variance = np.exp(2 * (intercept + slope * np.log(forecast[rows])) + 2 * residual_variance)
        n = np.nan_to_num(count[rows])
        out[rows] = np.sqrt(
            (n * np.nan_to_num(own[rows]) ** 2 + prior_residuals * pooled_variance) / (n + prior_residuals)
        )
    return out
