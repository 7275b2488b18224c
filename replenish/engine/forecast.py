"""Forecast selection by rolling-origin backtest, vectorized across the panel.

For every series each eligible method produces one-step-ahead forecasts over the last ``H`` periods (the
smoothing parameters are fixed, so running the recursion once gives exactly the rolling-origin one-step
forecasts; the global model is trained on periods before the window only). The method with the lowest RMSE
among those eligible for the series' demand class is kept. ``forecast_sd`` is the RMSE of that method's
backtest residuals (the lead-time demand uses it, as the design asks, not the raw history's sd).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

from .classify import ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND, SMOOTH
from .global_model import GlobalModelSettings, fit_predict_global_model
from .panel import CleanDemand, chunk_bounds, clean_demand
from .seasonality import SeasonalIndex
from .smoothing import (
    croston_sba_forecasts,
    holt_damped_forecasts,
    holt_winters_forecasts,
    naive_forecasts,
    ses_forecasts,
    tsb_forecasts,
)

CROSTON_SBA = "croston_sba"
TSB = "tsb"
SES = "ses"
HOLT_DAMPED = "holt_damped"
HOLT_WINTERS = "holt_winters"
GLOBAL_GBM = "global_gbm"
ZERO = "zero"  # observed history without any demand: forecast 0
NONE = "none"  # no observed history: no forecast can be made, 0 is used and flagged
METHODS = (CROSTON_SBA, TSB, SES, HOLT_DAMPED, HOLT_WINTERS, GLOBAL_GBM)  # order breaks MASE ties
INTERMITTENT_METHODS = frozenset({CROSTON_SBA, TSB, SES})
CONTINUOUS_METHODS = frozenset({SES, HOLT_DAMPED, HOLT_WINTERS, GLOBAL_GBM})


@dataclass(frozen=True)
class ForecastSettings:
    backtest_periods: int = 13
    horizon_weeks: int = 13
    season_length: int = 52
    ses_alpha: float = 0.15
    croston_alpha: float = 0.1
    tsb_alpha: float = 0.1
    tsb_beta: float = 0.1
    holt_alpha: float = 0.2
    holt_beta: float = 0.05
    holt_phi: float = 0.9
    holt_winters_alpha: float = 0.2
    holt_winters_beta: float = 0.01
    holt_winters_gamma: float = 0.15
    use_global_model: bool = True
    fast_mover_min_mean: float = 5.0  # weekly units: smooth series above this train and use the global model
    min_residuals_for_sd: int = 4
    # How the backtest picks a method per series: "rmse" (squared error, minimised by the mean) or "mase" (absolute
    # error, minimised by the median). The policy needs the mean demand; with right-skewed or intermittent demand the
    # median sits below the mean (a series with more than half zero weeks has median 0), so choosing by MAE picks
    # the lowest-level methods and biases the plan low (Kolassa 2016; the M5 competition scored by RMSSE for this
    # reason). Within one series RMSSE and RMSE rank methods alike. MASE is still reported.
    selection_metric: str = "rmse"
    week_of_year_start: int = 0  # week of year (0..51) of period 0, for the seasonal features
    chunk_size: int = (
        65_536  # series per block: state vectors of this size stay in cache (measured ~2x faster)
    )
    global_model: GlobalModelSettings = field(default_factory=GlobalModelSettings)


@dataclass
class ForecastResult:
    frame: pd.DataFrame  # one row per series, see forecast_panel
    horizon: np.ndarray  # (n, horizon_weeks) float32 weekly forecasts of the chosen method
    mase_by_method: pd.DataFrame  # (n, methods) MASE of every evaluated method, NaN where not evaluated
    bias_by_method: pd.DataFrame
    # (n, methods) RMSE of every evaluated method (the selection criterion by default), NaN where not evaluated
    rmse_by_method: pd.DataFrame | None = None
    global_model: HistGradientBoostingRegressor | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: global model, smoothing + backtest
    # (backtest periods, n) the chosen method's one-step forecasts over the backtest window (NaN: none) and the
    # actual demand of those periods, for the error over longer horizons (``horizon_error_growth``)
    backtest_forecast: np.ndarray | None = None
    backtest_actual: np.ndarray | None = None
    backtest_season: np.ndarray | None = (
        None  # (backtest periods, n) seasonal index of those periods, or None
    )


@dataclass(frozen=True)
class BacktestMetrics:
    mase: np.ndarray
    bias: np.ndarray
    rmse: np.ndarray
    count: np.ndarray


@dataclass
class _BlockScores:
    """Backtest results of every method for one block of series, (c, methods) each (NaN = not evaluated)."""

    actual: np.ndarray
    scale: np.ndarray
    mase: np.ndarray
    bias: np.ndarray
    rmse: np.ndarray
    count: np.ndarray
    next_forecast: np.ndarray
    trend_horizons: dict[str, tuple[np.ndarray, np.ndarray]]
    # (backtest periods + 1, c) seasonal index of the scored periods and the next one; None = no seasonality
    season: np.ndarray | None = None
    one_step: np.ndarray | None = None  # (backtest periods, c, methods) the scored one-step forecasts

    @classmethod
    def empty(cls, actual: np.ndarray, scale: np.ndarray, season: np.ndarray | None = None) -> _BlockScores:
        shape = (actual.shape[1], len(METHODS))
        return cls(
            season=season,
            one_step=np.full((actual.shape[0], *shape), np.nan, dtype=np.float32),
            actual=actual,
            scale=scale,
            mase=np.full(shape, np.nan),
            bias=np.full(shape, np.nan),
            rmse=np.full(shape, np.nan),
            count=np.zeros(shape, dtype=np.int64),
            next_forecast=np.full(shape, np.nan),
            trend_horizons={},
        )

    def score(self, name: str, rows: np.ndarray, one_step: np.ndarray) -> None:
        """Record the backtest of method ``name`` on block rows ``rows`` from its one-step forecasts.

        With a seasonal index the method ran on deseasonalized demand: its forecasts are reseasonalized here, so
        the backtest (MASE, bias, RMSE) scores the forecast actually used against the raw demand.
        """
        if self.season is not None:
            one_step = one_step * self.season[:, rows]
        one_step = np.maximum(one_step, np.float32(0))  # demand is non-negative (NaN propagates)
        metrics = backtest_metrics(self.actual[:, rows], one_step[:-1], self.scale[rows])
        column = METHODS.index(name)
        self.mase[rows, column] = metrics.mase
        self.bias[rows, column] = metrics.bias
        self.rmse[rows, column] = metrics.rmse
        self.count[rows, column] = metrics.count
        self.next_forecast[rows, column] = one_step[-1]
        if self.one_step is not None:
            self.one_step[:, rows, column] = one_step[:-1]


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


def _class_codes(demand_class: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(pd.Series(demand_class).astype(str))
    intermittent = np.isin(labels, [INTERMITTENT, LUMPY])
    continuous = np.isin(labels, [SMOOTH, ERRATIC])
    return intermittent, continuous


def _fast_mover_mask(
    demand_by_period: np.ndarray, labels: np.ndarray, observed_periods: np.ndarray, settings: ForecastSettings
) -> np.ndarray:
    smooth = labels == SMOOTH
    mean_demand = np.zeros(labels.shape[0])
    index = np.flatnonzero(smooth)
    for start, stop in chunk_bounds(index.shape[0], settings.chunk_size):
        block = demand_by_period[:, index[start:stop]]
        mean_demand[index[start:stop]] = np.nansum(block, axis=0, dtype=np.float64) / np.maximum(
            observed_periods[index[start:stop]], 1
        )
    min_history = settings.backtest_periods + 26
    return smooth & (mean_demand >= settings.fast_mover_min_mean) & (observed_periods >= min_history)


def forecast_panel(
    demand: CleanDemand | np.ndarray,
    demand_class: pd.Series | np.ndarray,
    *,
    promo: np.ndarray | None = None,
    promo_next: np.ndarray | None = None,
    settings: ForecastSettings | None = None,
    seasonal: SeasonalIndex | None = None,
) -> ForecastResult:
    """Backtest every eligible method per series, choose by the lowest RMSE (``settings.selection_metric``),
    forecast the next periods.

    ``seasonal`` (optional) is a pooled seasonal index covering the history and the next ``horizon_weeks``
    periods (``seasonality.pooled_seasonal_indices``): every method then runs on the deseasonalized demand
    y_t / index_t and its forecasts are multiplied back by the index of the period forecast (classical
    multiplicative decomposition, FPP3 section 3.4), so ``forecast`` is next period's seasonal forecast and
    ``horizon`` follows the seasonal profile.

    ``demand`` is the (n, T) panel (or an already cleaned panel), ``demand_class`` the Syntetos-Boylan class per
    series, ``promo`` an optional (n, T) bool promotion flag, ``promo_next`` (n,) the flag for the next period.

    Eligible methods: intermittent/lumpy -> Croston-SBA, TSB, SES; smooth/erratic -> SES, damped Holt,
    Holt-Winters (fully observed series with T >= 2 seasons) and the global model (fast movers).
    Result ``frame`` columns: method, forecast (next-period weekly mean), forecast_sd (weekly RMSE of the chosen
    method's one-step backtest residuals; max(RMSE, sqrt(forecast)) Poisson floor when fewer than
    ``min_residuals_for_sd`` residuals), mase, bias, naive_mase, n_backtest_residuals, is_fast_mover,
    seasonal_eligible.
    """
    settings = settings or ForecastSettings()
    clean = demand if isinstance(demand, CleanDemand) else clean_demand(demand)
    demand_by_period = clean.demand_by_period
    n_periods, n_series = demand_by_period.shape
    if seasonal is not None and seasonal.n_periods_total < n_periods + settings.horizon_weeks:
        raise ValueError("the seasonal index must cover the history and the forecast horizon")
    backtest_start = max(n_periods - settings.backtest_periods, 1) if n_periods > 1 else n_periods
    labels = np.asarray(pd.Series(demand_class).astype(str))
    intermittent, continuous = _class_codes(labels)
    seasonal_ok = (
        continuous & (clean.observed_periods == n_periods) & (n_periods >= 2 * settings.season_length)
    )
    fast = np.zeros(n_series, dtype=bool)
    global_forecasts = None
    global_column = np.full(n_series, -1, dtype=np.int64)
    model = None
    started = time.perf_counter()
    if settings.use_global_model and n_periods > settings.backtest_periods:
        fast = _fast_mover_mask(demand_by_period, labels, clean.observed_periods, settings)
        fast_index = np.flatnonzero(fast)
        if fast_index.size:
            fast_demand = demand_by_period[:, fast_index]
            if seasonal is not None:
                fast_demand = fast_demand / seasonal.for_series(fast_index, slice(0, n_periods))
            global_forecasts, model, model_timings = fit_predict_global_model(
                fast_demand,
                None if promo is None else np.ascontiguousarray(np.asarray(promo, dtype=bool)[fast_index].T),
                train_until=backtest_start,
                predict_from=backtest_start,
                week_of_year_start=settings.week_of_year_start,
                promo_next=None
                if promo_next is None
                else np.asarray(promo_next, dtype=np.float32)[fast_index],
                settings=settings.global_model,
            )
            if model is None:
                fast[:] = False
            else:
                global_column[fast_index] = np.arange(fast_index.size)

    timings = {"global_model": round(time.perf_counter() - started, 3)}
    if model is not None:
        timings.update({f"global_model.{step}": round(seconds, 3) for step, seconds in model_timings.items()})
    started = time.perf_counter()
    horizon_weeks = settings.horizon_weeks
    method_position = {name: i for i, name in enumerate(METHODS)}
    mase_all = np.full((n_series, len(METHODS)), np.nan, dtype=np.float32)
    bias_all = np.full((n_series, len(METHODS)), np.nan, dtype=np.float32)
    rmse_all = np.full((n_series, len(METHODS)), np.nan, dtype=np.float32)
    method_labels = [*METHODS, ZERO, NONE]
    zero_code, none_code = method_labels.index(ZERO), method_labels.index(NONE)
    chosen_method = np.full(n_series, none_code, dtype=np.int8)
    forecast = np.zeros(n_series)
    forecast_sd = np.zeros(n_series)
    mase = np.full(n_series, np.nan)
    bias = np.full(n_series, np.nan)
    naive_mase = np.full(n_series, np.nan)
    residual_count = np.zeros(n_series, dtype=np.int64)
    horizon = np.zeros((n_series, horizon_weeks), dtype=np.float32)
    n_backtest = n_periods - backtest_start
    backtest_forecast = np.full((n_backtest, n_series), np.nan, dtype=np.float32)
    backtest_season = None if seasonal is None else np.ones((n_backtest, n_series), dtype=np.float32)

    for start, stop in chunk_bounds(n_series, settings.chunk_size):
        raw_block = np.ascontiguousarray(demand_by_period[:, start:stop])
        width = stop - start
        actual = raw_block[backtest_start:]
        scale = in_sample_naive_mae(raw_block, until=backtest_start)
        naive = naive_forecasts(raw_block, keep_from=backtest_start)
        naive_mase[start:stop] = backtest_metrics(actual, naive[:-1], scale).mase
        block_season = None
        block = raw_block
        if seasonal is not None:
            block_season = seasonal.for_series(slice(start, stop), slice(0, n_periods + horizon_weeks))
            block = np.ascontiguousarray(raw_block / block_season[:n_periods])
        scores = _BlockScores.empty(
            actual, scale, None if block_season is None else block_season[backtest_start : n_periods + 1]
        )
        score = scores.score
        block_intermittent = np.flatnonzero(intermittent[start:stop])
        block_continuous = np.flatnonzero(continuous[start:stop])
        block_any = np.flatnonzero(intermittent[start:stop] | continuous[start:stop])
        if block_intermittent.size:
            sub = block[:, block_intermittent]
            score(
                CROSTON_SBA,
                block_intermittent,
                croston_sba_forecasts(sub, alpha=settings.croston_alpha, keep_from=backtest_start),
            )
            score(
                TSB,
                block_intermittent,
                tsb_forecasts(
                    sub, alpha=settings.tsb_alpha, beta=settings.tsb_beta, keep_from=backtest_start
                ),
            )
        if block_any.size:
            score(
                SES,
                block_any,
                ses_forecasts(block[:, block_any], alpha=settings.ses_alpha, keep_from=backtest_start),
            )
        if block_continuous.size:
            one_step, paths = holt_damped_forecasts(
                block[:, block_continuous],
                alpha=settings.holt_alpha,
                beta=settings.holt_beta,
                phi=settings.holt_phi,
                keep_from=backtest_start,
                horizon=horizon_weeks,
            )
            score(HOLT_DAMPED, block_continuous, one_step)
            scores.trend_horizons[HOLT_DAMPED] = (block_continuous, paths)
        block_seasonal = np.flatnonzero(seasonal_ok[start:stop])
        if block_seasonal.size:
            one_step, paths = holt_winters_forecasts(
                block[:, block_seasonal],
                alpha=settings.holt_winters_alpha,
                beta=settings.holt_winters_beta,
                gamma=settings.holt_winters_gamma,
                season_length=settings.season_length,
                keep_from=backtest_start,
                horizon=horizon_weeks,
            )
            score(HOLT_WINTERS, block_seasonal, one_step)
            scores.trend_horizons[HOLT_WINTERS] = (block_seasonal, paths)
        block_fast = np.flatnonzero(fast[start:stop])
        if block_fast.size and global_forecasts is not None:
            score(GLOBAL_GBM, block_fast, global_forecasts[:, global_column[start + block_fast]])

        mase_all[start:stop] = scores.mase
        bias_all[start:stop] = scores.bias
        rmse_all[start:stop] = scores.rmse
        next_forecast, rmse, count = scores.next_forecast, scores.rmse, scores.count
        # choose: lowest error among the evaluated (= eligible) methods, ties to the earlier method in METHODS
        criterion = scores.rmse if settings.selection_metric == "rmse" else scores.mase
        candidate = np.where(np.isnan(criterion) | np.isnan(next_forecast), np.inf, criterion)
        best = candidate.argmin(axis=1)
        has_score = np.isfinite(candidate[np.arange(width), best])
        default_method = np.where(
            intermittent[start:stop], method_position[CROSTON_SBA], method_position[SES]
        )
        best = np.where(has_score, best, default_method)
        rows = np.arange(width)
        best_forecast = next_forecast[rows, best]
        usable = np.isfinite(best_forecast) & (intermittent[start:stop] | continuous[start:stop])
        block_methods = np.where(usable, best, none_code)
        observed_no_demand = (labels[start:stop] == NO_DEMAND) & (clean.observed_periods[start:stop] > 0)
        block_methods = np.where(observed_no_demand, zero_code, block_methods)
        chosen_method[start:stop] = block_methods
        if scores.one_step is not None and n_backtest:
            chosen = np.where(usable, best, 0)
            picked_path = scores.one_step[:, rows, chosen]
            backtest_forecast[:, start:stop] = np.where(usable[None, :], picked_path, np.nan)
        if backtest_season is not None and block_season is not None:
            backtest_season[:, start:stop] = block_season[backtest_start:n_periods]
        best_forecast = np.where(usable, np.maximum(best_forecast, 0.0), 0.0)
        forecast[start:stop] = best_forecast
        chosen_rmse = np.where(usable, rmse[rows, best], np.nan)
        chosen_count = np.where(usable, count[rows, best], 0)
        residual_count[start:stop] = chosen_count
        floor = np.sqrt(best_forecast)
        forecast_sd[start:stop] = np.where(
            chosen_count >= settings.min_residuals_for_sd,
            np.nan_to_num(chosen_rmse),
            np.maximum(np.nan_to_num(chosen_rmse), floor),
        )
        mase[start:stop] = np.where(usable & has_score, scores.mase[rows, best], np.nan)
        bias[start:stop] = np.where(usable & has_score, scores.bias[rows, best], np.nan)
        if observed_no_demand.any():  # a series of observed zeros scores its zero forecast against the zeros
            zero_metrics = backtest_metrics(actual, np.zeros_like(actual), scale)
            mase[start:stop] = np.where(observed_no_demand, zero_metrics.mase, mase[start:stop])
            bias[start:stop] = np.where(observed_no_demand, zero_metrics.bias, bias[start:stop])
            residual_count[start:stop] = np.where(
                observed_no_demand, zero_metrics.count, residual_count[start:stop]
            )
        block_horizon = np.repeat(best_forecast[:, None], horizon_weeks, axis=1).astype(np.float32)
        if (
            block_season is not None
        ):  # the level (next forecast / its index) times each horizon period's index
            future_season = block_season[n_periods : n_periods + horizon_weeks].T
            block_horizon = (block_horizon / block_season[n_periods][:, None] * future_season).astype(
                np.float32
            )
        for name, (method_rows, paths) in scores.trend_horizons.items():
            picked = block_methods[method_rows] == method_position[name]
            if picked.any():
                method_paths = paths[:, picked]
                if block_season is not None:
                    method_paths = (
                        method_paths
                        * block_season[n_periods : n_periods + horizon_weeks, method_rows[picked]]
                    )
                block_horizon[method_rows[picked]] = np.maximum(method_paths.T, 0.0)
        horizon[start:stop] = block_horizon

    timings["smoothing_and_backtest"] = round(time.perf_counter() - started, 3)
    frame = pd.DataFrame(
        {
            "method": pd.Categorical.from_codes(chosen_method, categories=method_labels),
            "forecast": forecast,
            "forecast_sd": forecast_sd,
            "mase": mase,
            "bias": bias,
            "naive_mase": naive_mase,
            "n_backtest_residuals": residual_count,
            "is_fast_mover": fast,
            "seasonal_eligible": seasonal_ok,
        }
    )
    return ForecastResult(
        frame=frame,
        horizon=horizon,
        mase_by_method=pd.DataFrame(mase_all, columns=list(METHODS)),
        bias_by_method=pd.DataFrame(bias_all, columns=list(METHODS)),
        rmse_by_method=pd.DataFrame(rmse_all, columns=list(METHODS)),
        global_model=model,
        timings=timings,
        backtest_forecast=backtest_forecast,
        backtest_actual=demand_by_period[backtest_start:],
        backtest_season=backtest_season,
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
        origins = np.arange(0, n_periods - k + 1)
        complete = (cum_valid[origins + k] - cum_valid[origins]) == k
        predicted = level[origins] * (cum_index[origins + k] - cum_index[origins])
        error = (cum_actual[origins + k] - cum_actual[origins]) - predicted
        error = np.where(complete, error, np.nan)
        count = complete.sum(axis=0)
        with np.errstate(invalid="ignore"):
            mse[k - 1] = np.where(count > 0, np.nansum(error**2, axis=0) / np.maximum(count, 1), np.nan)
    labels = pd.Series(np.asarray(groups).astype(str))
    columns = {}
    scored = np.isfinite(mse[0]) & (mse[0] > 0)
    for k in range(1, max_weeks + 1):
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(scored & np.isfinite(mse[k - 1]), mse[k - 1] / (k * mse[0]), np.nan)
        columns[k] = pd.Series(ratio).groupby(labels).agg(["mean", "count"])
    out = pd.DataFrame({k: np.sqrt(frame["mean"]) for k, frame in columns.items()})
    counts = pd.DataFrame({k: frame["count"] for k, frame in columns.items()})
    out = out.where((counts >= min_series) & np.isfinite(out), 1.0)
    return out


def error_growth_at(growth: pd.DataFrame, groups: np.ndarray, weeks: np.ndarray) -> np.ndarray:
    """R at each series' horizon in weeks (linear between whole weeks; 1 below a week; the last column beyond)."""
    labels = np.asarray(groups).astype(str)
    table = growth.reindex(pd.Index(np.unique(labels))).fillna(1.0)
    values = table.loc[labels].to_numpy(dtype=np.float64)  # (n, K)
    n_weeks = values.shape[1]
    weeks = np.clip(np.nan_to_num(np.asarray(weeks, dtype=np.float64)), 1.0, float(n_weeks))
    low = np.floor(weeks).astype(np.int64)
    high = np.minimum(low + 1, n_weeks)
    rows = np.arange(len(labels))
    fraction = weeks - low
    return values[rows, low - 1] * (1 - fraction) + values[rows, high - 1] * fraction


def backtest_summary(result: ForecastResult, demand_class: pd.Series | np.ndarray) -> pd.DataFrame:
    """Backtest accuracy by demand class and method against the naive forecast.

    One row per (demand_class, method) where ``method`` is each evaluated method or "selected" (the per-series
    choice), plus rows with demand_class "all". Columns: n_series, mase_mean, mase_median, naive_mase_mean,
    naive_mase_median, share_beating_naive (MASE strictly below the naive MASE on the same series), bias_mean.
    """
    labels = pd.Series(np.asarray(pd.Series(demand_class).astype(str)), name="demand_class")
    naive = result.frame["naive_mase"].to_numpy()
    pieces = {"selected": (result.frame["mase"].to_numpy(), result.frame["bias"].to_numpy())}
    for name in METHODS:
        pieces[name] = (
            result.mase_by_method[name].to_numpy(dtype=np.float64),
            result.bias_by_method[name].to_numpy(dtype=np.float64),
        )
    records = []
    for method_name, (method_mase, method_bias) in pieces.items():
        scored = np.isfinite(method_mase) & np.isfinite(naive)
        if not scored.any():
            continue
        frame = pd.DataFrame(
            {
                "demand_class": labels[scored].to_numpy(),
                "mase": method_mase[scored],
                "naive_mase": naive[scored],
                "bias": method_bias[scored],
                "beats_naive": method_mase[scored] < naive[scored],
            }
        )
        for class_label, group in [("all", frame), *frame.groupby("demand_class", observed=True)]:
            records.append(
                {
                    "demand_class": class_label,
                    "method": method_name,
                    "n_series": len(group),
                    "mase_mean": group["mase"].mean(),
                    "mase_median": group["mase"].median(),
                    "naive_mase_mean": group["naive_mase"].mean(),
                    "naive_mase_median": group["naive_mase"].median(),
                    "share_beating_naive": group["beats_naive"].mean(),
                    "bias_mean": group["bias"].mean(),
                }
            )
    return pd.DataFrame.from_records(records)


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
