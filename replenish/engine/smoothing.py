"""Exponential-smoothing family and intermittent-demand recursions, vectorized across series.

Every function takes the demand panel in *time-major* layout ``demand_by_period`` of shape (T, m) (NaN =
unobserved period) and runs the recursion with one Python iteration per period, each iteration a handful of
numpy operations over all m series.

They return the one-step-ahead forecasts ``one_step`` of shape (T + 1 - keep_from, m), float32: row ``j`` is the
forecast *for* period ``keep_from + j`` made at the end of the previous period, and the last row (period T) is
the forecast for the next, not yet observed, period. Before a series is initialised the forecast is NaN; an
unobserved period leaves the state unchanged. Forecasts are not clipped here.
"""

from __future__ import annotations

import numpy as np

FloatArray = np.ndarray


def _output(n_periods: int, n_series: int, keep_from: int) -> FloatArray:
    if not 0 <= keep_from <= n_periods:
        raise ValueError(f"keep_from must be within [0, {n_periods}], got {keep_from}")
    return np.full((n_periods + 1 - keep_from, n_series), np.nan, dtype=np.float32)


def _first_observed(demand_by_period: FloatArray) -> np.ndarray:
    """Index of each series' first observed (non-NaN) period, T when none."""
    n_periods = demand_by_period.shape[0]
    weights = np.arange(n_periods, 0, -1, dtype=np.int32)[:, None]
    return n_periods - (~np.isnan(demand_by_period) * weights).max(axis=0, initial=0)


def naive_forecasts(demand_by_period: FloatArray, *, keep_from: int = 0) -> FloatArray:
    """Naive (random-walk) one-step forecast: the last observed value (the MASE benchmark, Hyndman 2006)."""
    n_periods, n_series = demand_by_period.shape
    out = _output(n_periods, n_series, keep_from)
    last = np.full(n_series, np.nan, dtype=np.float32)
    for t in range(n_periods):
        if t >= keep_from:
            out[t - keep_from] = last
        actual = demand_by_period[t]
        last = np.where(np.isnan(actual), last, actual)
    out[-1] = last
    return out


def ses_forecasts(demand_by_period: FloatArray, *, alpha: float, keep_from: int = 0) -> FloatArray:
    """Simple exponential smoothing (Brown 1959; Hyndman & Athanasopoulos, FPP3 section 8.1).

    level_t = level_{t-1} + alpha * (y_t - level_{t-1}); forecast_{t+1} = level_t; level initialised to the first
    observation.
    """
    n_periods, n_series = demand_by_period.shape
    out = _output(n_periods, n_series, keep_from)
    level = np.full(n_series, np.nan, dtype=np.float32)
    alpha32 = np.float32(alpha)
    for t in range(n_periods):
        if t >= keep_from:
            out[t - keep_from] = level
        actual = demand_by_period[t]
        updated = level + alpha32 * (actual - level)
        # NaN in `updated` means either no level yet (take the observation) or no observation (keep the level)
        level = np.where(np.isnan(updated), np.where(np.isnan(level), actual, level), updated)
    out[-1] = level
    return out


def holt_damped_forecasts(
    demand_by_period: FloatArray,
    *,
    alpha: float,
    beta: float,
    phi: float,
    keep_from: int = 0,
    horizon: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Holt's linear method with additive damped trend (Gardner & McKenzie 1985; FPP3 section 8.2).

    forecast_{t|t-1} = l_{t-1} + phi * b_{t-1}
    l_t = forecast + alpha * (y_t - forecast)
    b_t = beta * (l_t - l_{t-1}) + (1 - beta) * phi * b_{t-1}
    h-step forecast: l_T + (phi + phi^2 + ... + phi^h) * b_T. Initialised with l = first observation, b = 0.
    Returns (one_step, horizon_forecasts of shape (horizon, m)).
    """
    n_periods, n_series = demand_by_period.shape
    out = _output(n_periods, n_series, keep_from)
    level = np.full(n_series, np.nan, dtype=np.float32)
    trend = np.zeros(n_series, dtype=np.float32)
    alpha32, beta32, phi32 = np.float32(alpha), np.float32(beta), np.float32(phi)
    for t in range(n_periods):
        fitted = level + phi32 * trend
        if t >= keep_from:
            out[t - keep_from] = fitted
        actual = demand_by_period[t]
        observed = ~np.isnan(actual)
        initialised = ~np.isnan(level)
        new_level = fitted + alpha32 * (actual - fitted)
        new_trend = beta32 * (new_level - level) + (np.float32(1) - beta32) * phi32 * trend
        update = observed & initialised
        start = observed & ~initialised
        level = np.where(update, new_level, np.where(start, actual, level))
        trend = np.where(update, new_trend, trend)
    out[-1] = level + phi32 * trend
    damping_sums = np.cumsum(phi ** np.arange(1, horizon + 1, dtype=np.float64)).astype(np.float32)
    horizon_forecasts = level[None, :] + damping_sums[:, None] * trend[None, :]
    return out, horizon_forecasts


def holt_winters_forecasts(
    demand_by_period: FloatArray,
    *,
    alpha: float,
    beta: float,
    gamma: float,
    season_length: int = 52,
    keep_from: int = 0,
    horizon: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Additive Holt-Winters (Winters 1960; FPP3 section 8.3, additive seasonality).

    forecast_{t|t-1} = l_{t-1} + b_{t-1} + s_{t-m}
    l_t = alpha * (y_t - s_{t-m}) + (1 - alpha) * (l_{t-1} + b_{t-1})
    b_t = beta * (l_t - l_{t-1}) + (1 - beta) * b_{t-1}
    s_t = gamma * (y_t - l_t) + (1 - gamma) * s_{t-m}
    Initialised on the first season only (no look-ahead into the backtest window): l = mean of the first m
    periods, s_j = y_j - l, b = 0. Forecasts for the first season are NaN. Callers pass fully observed series
    with T >= 2m; an unobserved period leaves the state unchanged.
    Returns (one_step, horizon_forecasts of shape (horizon, m)): h-step = l_T + h * b_T + s_{T+h-m}.
    """
    n_periods, n_series = demand_by_period.shape
    out = _output(n_periods, n_series, keep_from)
    if n_periods < season_length:
        return out, np.full((horizon, n_series), np.nan, dtype=np.float32)
    first_season = demand_by_period[:season_length]
    level = np.nanmean(first_season, axis=0).astype(np.float32)
    seasonal = (first_season - level[None, :]).astype(np.float32)
    seasonal = np.where(np.isnan(seasonal), np.float32(0), seasonal)
    trend = np.zeros(n_series, dtype=np.float32)
    alpha32, beta32, gamma32 = np.float32(alpha), np.float32(beta), np.float32(gamma)
    one = np.float32(1)
    for t in range(season_length, n_periods):
        season_index = t % season_length
        previous_seasonal = seasonal[season_index]
        if t >= keep_from:
            out[t - keep_from] = level + trend + previous_seasonal
        actual = demand_by_period[t]
        observed = ~np.isnan(actual)
        new_level = alpha32 * (actual - previous_seasonal) + (one - alpha32) * (level + trend)
        new_trend = beta32 * (new_level - level) + (one - beta32) * trend
        new_seasonal = gamma32 * (actual - new_level) + (one - gamma32) * previous_seasonal
        level = np.where(observed, new_level, level)
        trend = np.where(observed, new_trend, trend)
        seasonal[season_index] = np.where(observed, new_seasonal, previous_seasonal)
    out[-1] = level + trend + seasonal[n_periods % season_length]
    steps = np.arange(1, horizon + 1)
    season_rows = (n_periods + steps - 1) % season_length
    horizon_forecasts = (
        level[None, :] + steps[:, None].astype(np.float32) * trend[None, :] + seasonal[season_rows]
    )
    return out, horizon_forecasts.astype(np.float32)


def croston_sba_forecasts(demand_by_period: FloatArray, *, alpha: float, keep_from: int = 0) -> FloatArray:
    """Croston (1972) with the Syntetos-Boylan (2005) bias correction (SBA).

    At a period with positive demand y_t, after q periods since the previous demand (q counts observed periods,
    1 for consecutive demands):
        z_t = z + alpha * (y_t - z)   (demand size)     p_t = p + alpha * (q - p)   (inter-demand interval)
    Otherwise z and p are unchanged. Forecast per period = (1 - alpha / 2) * z / p.
    Initialised at the first positive demand with z = y and p = number of observed periods up to and including
    it. Before that first demand (but after the first observation) the forecast is 0.
    """
    n_periods, n_series = demand_by_period.shape
    out = _output(n_periods, n_series, keep_from)
    first_observed = _first_observed(demand_by_period)
    # state starts at 0 with a gain of 1, so the first demand sets z = y and p = q exactly; the gain then
    # drops to alpha. Unobserved periods read as y = 0 with gain 0 (fmax(NaN, 0) = 0), i.e. no update.
    size = np.zeros(n_series, dtype=np.float32)
    interval = np.zeros(n_series, dtype=np.float32)
    gain_rate = np.ones(n_series, dtype=np.float32)
    initialised = np.zeros(n_series, dtype=bool)
    periods_since_demand = np.zeros(n_series, dtype=np.float32)
    alpha32 = np.float32(alpha)
    sba_factor = np.float32(1.0 - alpha / 2.0)
    zero = np.float32(0)

    def estimate(t: int) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = sba_factor * size / interval
        return np.where(initialised, value, np.where(first_observed < t, zero, np.nan))

    for t in range(n_periods):
        if t >= keep_from:
            out[t - keep_from] = estimate(t)
        actual = demand_by_period[t]
        periods_since_demand += actual == actual  # observed
        positive = actual > 0
        gain = positive * gain_rate
        size += gain * (np.fmax(actual, zero) - size)
        interval += gain * (periods_since_demand - interval)
        periods_since_demand *= ~positive
        gain_rate = np.where(positive, alpha32, gain_rate)
        initialised |= positive
    out[-1] = estimate(n_periods)
    return out


def tsb_forecasts(
    demand_by_period: FloatArray, *, alpha: float, beta: float, keep_from: int = 0
) -> FloatArray:
    """Teunter, Syntetos & Babai (2011) method: the demand probability is updated every period.

    Every observed period after initialisation:
        pi_t = pi + beta * (1[y_t > 0] - pi)          (probability of a demand occurring)
        z_t = z + alpha * (y_t - z)  only when y_t > 0 (demand size)
    Forecast per period = pi * z. Initialised at the first positive demand with z = y and pi = 1 / (number of
    observed periods up to and including it). Before that first demand (after the first observation): 0.
    """
    n_periods, n_series = demand_by_period.shape
    out = _output(n_periods, n_series, keep_from)
    first_observed = _first_observed(demand_by_period)
    size = np.zeros(n_series, dtype=np.float32)
    probability = np.zeros(n_series, dtype=np.float32)
    size_gain_rate = np.ones(n_series, dtype=np.float32)  # 1 until the first demand sets z = y, then alpha
    initialised = np.zeros(n_series, dtype=bool)
    periods_until_first = np.zeros(n_series, dtype=np.float32)
    alpha32, beta32 = np.float32(alpha), np.float32(beta)
    zero = np.float32(0)

    def estimate(t: int) -> np.ndarray:
        return np.where(initialised, probability * size, np.where(first_observed < t, zero, np.nan))

    for t in range(n_periods):
        if t >= keep_from:
            out[t - keep_from] = estimate(t)
        actual = demand_by_period[t]
        observed = actual == actual
        positive = actual > 0
        # pi <- pi + beta (1[y > 0] - pi) on every observed period after initialisation
        probability += (beta32 * (positive - probability)) * (observed & initialised)
        size += (positive * size_gain_rate) * (np.fmax(actual, zero) - size)
        not_initialised = ~initialised
        periods_until_first += observed & not_initialised
        first = positive & not_initialised
        if first.any():
            probability = np.where(first, np.float32(1) / np.maximum(periods_until_first, 1), probability)
        size_gain_rate = np.where(positive, alpha32, size_gain_rate)
        initialised |= positive
    out[-1] = estimate(n_periods)
    return out
