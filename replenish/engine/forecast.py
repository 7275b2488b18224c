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
from .forecast_error import (
    BacktestMetrics,
    backtest_metrics,
    error_growth_at,
    horizon_error_growth,
    in_sample_naive_mae,
    pooled_forecast_sd,
)
from .forecast_methods import (
    CONTINUOUS_METHODS,
    CROSTON_SBA,
    GLOBAL_GBM,
    HOLT_DAMPED,
    HOLT_WINTERS,
    INTERMITTENT_METHODS,
    METHODS,
    NONE,
    SES,
    TSB,
    ZERO,
    BlockScores,
    ForecastSettings,
    score_methods,
)
from .global_model import fit_predict_global_model
from .panel import CleanDemand, chunk_bounds, clean_demand
from .seasonality import SeasonalIndex
from .smoothing import naive_forecasts

__all__ = [  # the methods and the error measures live in forecast_methods and forecast_error, named here too
    "CONTINUOUS_METHODS",
    "CROSTON_SBA",
    "GLOBAL_GBM",
    "HOLT_DAMPED",
    "HOLT_WINTERS",
    "INTERMITTENT_METHODS",
    "METHODS",
    "NONE",
    "SES",
    "TSB",
    "ZERO",
    "BacktestMetrics",
    "ForecastResult",
    "ForecastSettings",
    "backtest_metrics",
    "backtest_summary",
    "error_growth_at",
    "forecast_panel",
    "horizon_error_growth",
    "in_sample_naive_mae",
    "pooled_forecast_sd",
]


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


_METHOD_LABELS = [*METHODS, ZERO, NONE]  # the categories of the result's ``method`` column
_ZERO_CODE = _METHOD_LABELS.index(ZERO)
_NONE_CODE = _METHOD_LABELS.index(NONE)


@dataclass
class _GlobalFit:
    """The global model fitted on the fast movers: its backtest and next-period forecasts, one column a series."""

    fast: np.ndarray  # (n,) bool: the series the global model forecasts
    column: np.ndarray  # (n,) the series' column in ``forecasts`` (-1: not a fast mover)
    forecasts: np.ndarray | None = None
    model: HistGradientBoostingRegressor | None = None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Panel:
    """What every block of series reads: the cleaned demand, the classes and the global model's forecasts."""

    clean: CleanDemand
    labels: np.ndarray
    intermittent: np.ndarray
    continuous: np.ndarray
    seasonal_ok: np.ndarray
    backtest_start: int
    settings: ForecastSettings
    seasonal: SeasonalIndex | None
    global_fit: _GlobalFit

    @property
    def n_periods(self) -> int:
        return int(self.clean.demand_by_period.shape[0])


@dataclass
class _PanelOutput:
    """The result arrays, filled block by block."""

    chosen_method: np.ndarray
    forecast: np.ndarray
    forecast_sd: np.ndarray
    mase: np.ndarray
    bias: np.ndarray
    naive_mase: np.ndarray
    residual_count: np.ndarray
    horizon: np.ndarray
    backtest_forecast: np.ndarray
    backtest_season: np.ndarray | None
    mase_all: np.ndarray
    bias_all: np.ndarray
    rmse_all: np.ndarray

    @classmethod
    def allocate(cls, n_series: int, n_backtest: int, horizon_weeks: int, seasonal: bool) -> _PanelOutput:
        by_method = (n_series, len(METHODS))
        return cls(
            chosen_method=np.full(n_series, _NONE_CODE, dtype=np.int8),
            forecast=np.zeros(n_series),
            forecast_sd=np.zeros(n_series),
            mase=np.full(n_series, np.nan),
            bias=np.full(n_series, np.nan),
            naive_mase=np.full(n_series, np.nan),
            residual_count=np.zeros(n_series, dtype=np.int64),
            horizon=np.zeros((n_series, horizon_weeks), dtype=np.float32),
            backtest_forecast=np.full((n_backtest, n_series), np.nan, dtype=np.float32),
            backtest_season=np.ones((n_backtest, n_series), dtype=np.float32) if seasonal else None,
            mase_all=np.full(by_method, np.nan, dtype=np.float32),
            bias_all=np.full(by_method, np.nan, dtype=np.float32),
            rmse_all=np.full(by_method, np.nan, dtype=np.float32),
        )

    def result(self, panel: _Panel, timings: dict[str, float]) -> ForecastResult:
        frame = pd.DataFrame(
            {
                "method": pd.Categorical.from_codes(self.chosen_method, categories=_METHOD_LABELS),
                "forecast": self.forecast,
                "forecast_sd": self.forecast_sd,
                "mase": self.mase,
                "bias": self.bias,
                "naive_mase": self.naive_mase,
                "n_backtest_residuals": self.residual_count,
                "is_fast_mover": panel.global_fit.fast,
                "seasonal_eligible": panel.seasonal_ok,
            }
        )
        return ForecastResult(
            frame=frame,
            horizon=self.horizon,
            mase_by_method=pd.DataFrame(self.mase_all, columns=list(METHODS)),
            bias_by_method=pd.DataFrame(self.bias_all, columns=list(METHODS)),
            rmse_by_method=pd.DataFrame(self.rmse_all, columns=list(METHODS)),
            global_model=panel.global_fit.model,
            timings=timings,
            backtest_forecast=self.backtest_forecast,
            backtest_actual=panel.clean.demand_by_period[panel.backtest_start :],
            backtest_season=self.backtest_season,
        )


@dataclass
class _Choice:
    """The method chosen for each series of a block."""

    best: np.ndarray  # column in METHODS of the lowest backtest error (or the class default)
    has_score: np.ndarray  # the best method was scored
    usable: np.ndarray  # the best method gave a finite forecast for a forecastable class
    methods: np.ndarray  # code in _METHOD_LABELS of the method used (ZERO, NONE included)
    observed_no_demand: np.ndarray
    forecast: np.ndarray  # next-period forecast, non-negative, 0 where not usable


def _fit_global_model(
    clean: CleanDemand,
    labels: np.ndarray,
    backtest_start: int,
    settings: ForecastSettings,
    seasonal: SeasonalIndex | None,
    promo: np.ndarray | None,
    promo_next: np.ndarray | None,
) -> _GlobalFit:
    demand_by_period = clean.demand_by_period
    n_periods, n_series = demand_by_period.shape
    fit = _GlobalFit(fast=np.zeros(n_series, dtype=bool), column=np.full(n_series, -1, dtype=np.int64))
    if not settings.use_global_model or n_periods <= settings.backtest_periods:
        return fit
    fit.fast = _fast_mover_mask(demand_by_period, labels, clean.observed_periods, settings)
    fast_index = np.flatnonzero(fit.fast)
    if not fast_index.size:
        return fit
    fast_demand = demand_by_period[:, fast_index]
    if seasonal is not None:
        fast_demand = fast_demand / seasonal.for_series(fast_index, slice(0, n_periods))
    fit.forecasts, fit.model, model_timings = fit_predict_global_model(
        fast_demand,
        None if promo is None else np.ascontiguousarray(np.asarray(promo, dtype=bool)[fast_index].T),
        train_until=backtest_start,
        predict_from=backtest_start,
        week_of_year_start=settings.week_of_year_start,
        promo_next=None if promo_next is None else np.asarray(promo_next, dtype=np.float32)[fast_index],
        settings=settings.global_model,
    )
    if fit.model is None:
        fit.fast[:] = False
    else:
        fit.column[fast_index] = np.arange(fast_index.size)
        fit.timings = dict(model_timings)
    return fit


def _prepare_block(
    panel: _Panel, out: _PanelOutput, start: int, stop: int
) -> tuple[np.ndarray, np.ndarray | None, BlockScores]:
    """The block's demand the methods run on (deseasonalized with a seasonal index), its seasonal index (or
    None) and its empty scores; records the naive forecast's MASE."""
    backtest_start, n_periods = panel.backtest_start, panel.n_periods
    raw_block = np.ascontiguousarray(panel.clean.demand_by_period[:, start:stop])
    actual = raw_block[backtest_start:]
    scale = in_sample_naive_mae(raw_block, until=backtest_start)
    naive = naive_forecasts(raw_block, keep_from=backtest_start)
    out.naive_mase[start:stop] = backtest_metrics(actual, naive[:-1], scale).mase
    if panel.seasonal is None:
        return raw_block, None, BlockScores.empty(actual, scale)
    block_season = panel.seasonal.for_series(
        slice(start, stop), slice(0, n_periods + panel.settings.horizon_weeks)
    )
    block = np.ascontiguousarray(raw_block / block_season[:n_periods])
    return (
        block,
        block_season,
        BlockScores.empty(actual, scale, block_season[backtest_start : n_periods + 1]),
    )


def _score_methods(panel: _Panel, block: np.ndarray, scores: BlockScores, start: int, stop: int) -> None:
    global_fit = panel.global_fit
    global_rows = np.flatnonzero(global_fit.fast[start:stop])
    score_methods(
        block,
        scores,
        intermittent=panel.intermittent[start:stop],
        continuous=panel.continuous[start:stop],
        seasonal_ok=panel.seasonal_ok[start:stop],
        settings=panel.settings,
        keep_from=panel.backtest_start,
        global_rows=global_rows,
        global_one_step=None
        if global_fit.forecasts is None
        else global_fit.forecasts[:, global_fit.column[start + global_rows]],
    )


def _choose_methods(panel: _Panel, scores: BlockScores, start: int, stop: int) -> _Choice:
    """Lowest error among the evaluated (= eligible) methods, ties to the earlier method in METHODS."""
    rows = np.arange(stop - start)
    criterion = scores.rmse if panel.settings.selection_metric == "rmse" else scores.mase
    candidate = np.where(np.isnan(criterion) | np.isnan(scores.next_forecast), np.inf, criterion)
    best = candidate.argmin(axis=1)
    has_score = np.isfinite(candidate[rows, best])
    intermittent = panel.intermittent[start:stop]
    default_method = np.where(intermittent, METHODS.index(CROSTON_SBA), METHODS.index(SES))
    best = np.where(has_score, best, default_method)
    best_forecast = scores.next_forecast[rows, best]
    usable = np.isfinite(best_forecast) & (intermittent | panel.continuous[start:stop])
    observed_no_demand = (panel.labels[start:stop] == NO_DEMAND) & (
        panel.clean.observed_periods[start:stop] > 0
    )
    methods = np.where(observed_no_demand, _ZERO_CODE, np.where(usable, best, _NONE_CODE))
    return _Choice(
        best=best,
        has_score=has_score,
        usable=usable,
        methods=methods,
        observed_no_demand=observed_no_demand,
        forecast=np.where(usable, np.maximum(best_forecast, 0.0), 0.0),
    )


def _record_choice(
    panel: _Panel,
    out: _PanelOutput,
    scores: BlockScores,
    choice: _Choice,
    block_season: np.ndarray | None,
    start: int,
    stop: int,
) -> None:
    """The chosen method's forecast, forecast sd and backtest scores into the result arrays."""
    rows = np.arange(stop - start)
    best, usable = choice.best, choice.usable
    out.mase_all[start:stop] = scores.mase
    out.bias_all[start:stop] = scores.bias
    out.rmse_all[start:stop] = scores.rmse
    out.chosen_method[start:stop] = choice.methods
    if scores.one_step is not None and out.backtest_forecast.shape[0]:
        picked_path = scores.one_step[:, rows, np.where(usable, best, 0)]
        out.backtest_forecast[:, start:stop] = np.where(usable[None, :], picked_path, np.nan)
    if out.backtest_season is not None and block_season is not None:
        out.backtest_season[:, start:stop] = block_season[panel.backtest_start : panel.n_periods]
    out.forecast[start:stop] = choice.forecast
    chosen_rmse = np.nan_to_num(np.where(usable, scores.rmse[rows, best], np.nan))
    chosen_count = np.where(usable, scores.count[rows, best], 0)
    out.residual_count[start:stop] = chosen_count
    out.forecast_sd[start:stop] = np.where(
        chosen_count >= panel.settings.min_residuals_for_sd,
        chosen_rmse,
        np.maximum(chosen_rmse, np.sqrt(choice.forecast)),
    )
    scored = usable & choice.has_score
    out.mase[start:stop] = np.where(scored, scores.mase[rows, best], np.nan)
    out.bias[start:stop] = np.where(scored, scores.bias[rows, best], np.nan)
    zero = choice.observed_no_demand
    if zero.any():  # a series of observed zeros scores its zero forecast against the zeros
        zero_metrics = backtest_metrics(scores.actual, np.zeros_like(scores.actual), scores.scale)
        out.mase[start:stop] = np.where(zero, zero_metrics.mase, out.mase[start:stop])
        out.bias[start:stop] = np.where(zero, zero_metrics.bias, out.bias[start:stop])
        out.residual_count[start:stop] = np.where(zero, zero_metrics.count, out.residual_count[start:stop])


def _block_horizon(
    panel: _Panel, scores: BlockScores, choice: _Choice, block_season: np.ndarray | None
) -> np.ndarray:
    """(c, horizon_weeks) forecasts: the level flat (times the seasonal index), the trend methods' own paths."""
    horizon_weeks, n_periods = panel.settings.horizon_weeks, panel.n_periods
    future = slice(n_periods, n_periods + horizon_weeks)
    block_horizon = np.repeat(choice.forecast[:, None], horizon_weeks, axis=1).astype(np.float32)
    if block_season is not None:  # the level (next forecast / its index) times each horizon period's index
        block_horizon = (block_horizon / block_season[n_periods][:, None] * block_season[future].T).astype(
            np.float32
        )
    for name, (method_rows, paths) in scores.trend_horizons.items():
        picked = choice.methods[method_rows] == METHODS.index(name)
        if picked.any():
            method_paths = paths[:, picked]
            if block_season is not None:
                method_paths = method_paths * block_season[future, method_rows[picked]]
            block_horizon[method_rows[picked]] = np.maximum(method_paths.T, 0.0)
    return block_horizon


def _forecast_block(panel: _Panel, out: _PanelOutput, start: int, stop: int) -> None:
    block, block_season, scores = _prepare_block(panel, out, start, stop)
    _score_methods(panel, block, scores, start, stop)
    choice = _choose_methods(panel, scores, start, stop)
    _record_choice(panel, out, scores, choice, block_season, start, stop)
    out.horizon[start:stop] = _block_horizon(panel, scores, choice, block_season)


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
    n_periods, n_series = clean.demand_by_period.shape
    if seasonal is not None and seasonal.n_periods_total < n_periods + settings.horizon_weeks:
        raise ValueError("the seasonal index must cover the history and the forecast horizon")
    backtest_start = max(n_periods - settings.backtest_periods, 1) if n_periods > 1 else n_periods
    labels = np.asarray(pd.Series(demand_class).astype(str))
    intermittent, continuous = _class_codes(labels)
    seasonal_ok = (
        continuous & (clean.observed_periods == n_periods) & (n_periods >= 2 * settings.season_length)
    )
    started = time.perf_counter()
    global_fit = _fit_global_model(clean, labels, backtest_start, settings, seasonal, promo, promo_next)
    timings = {"global_model": round(time.perf_counter() - started, 3)}
    timings.update(
        {f"global_model.{step}": round(seconds, 3) for step, seconds in global_fit.timings.items()}
    )
    started = time.perf_counter()
    panel = _Panel(
        clean=clean,
        labels=labels,
        intermittent=intermittent,
        continuous=continuous,
        seasonal_ok=seasonal_ok,
        backtest_start=backtest_start,
        settings=settings,
        seasonal=seasonal,
        global_fit=global_fit,
    )
    out = _PanelOutput.allocate(
        n_series, n_periods - backtest_start, settings.horizon_weeks, seasonal is not None
    )
    for start, stop in chunk_bounds(n_series, settings.chunk_size):
        _forecast_block(panel, out, start, stop)
    timings["smoothing_and_backtest"] = round(time.perf_counter() - started, 3)
    return out.result(panel, timings)


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
