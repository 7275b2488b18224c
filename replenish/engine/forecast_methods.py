"""The candidate forecast methods: their names, their settings, and the backtest of each on a block of series.

Split from ``forecast`` (which re-exports these names and chooses among the methods): every eligible method runs
once over the block, its one-step forecasts are reseasonalized and scored against the demand (``BlockScores``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .forecast_error import backtest_metrics
from .global_model import GlobalModelSettings
from .smoothing import (
    croston_sba_forecasts,
    holt_damped_forecasts,
    holt_winters_forecasts,
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
class BlockScores:
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
    def empty(cls, actual: np.ndarray, scale: np.ndarray, season: np.ndarray | None = None) -> BlockScores:
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


def score_methods(
    block: np.ndarray,
    scores: BlockScores,
    *,
    intermittent: np.ndarray,
    continuous: np.ndarray,
    seasonal_ok: np.ndarray,
    settings: ForecastSettings,
    keep_from: int,
    global_rows: np.ndarray | None = None,
    global_one_step: np.ndarray | None = None,
) -> None:
    """Backtest every method eligible for each series of the block (masks over its columns) into ``scores``.

    Intermittent/lumpy -> Croston-SBA, TSB, SES; smooth/erratic -> SES, damped Holt, Holt-Winters (``seasonal_ok``)
    and the global model, whose one-step forecasts for block rows ``global_rows`` are given.
    """
    _score_intermittent_methods(block, scores, np.flatnonzero(intermittent), settings, keep_from)
    any_rows = np.flatnonzero(intermittent | continuous)
    if any_rows.size:
        scores.score(
            SES, any_rows, ses_forecasts(block[:, any_rows], alpha=settings.ses_alpha, keep_from=keep_from)
        )
    _score_trend_methods(
        block, scores, np.flatnonzero(continuous), np.flatnonzero(seasonal_ok), settings, keep_from
    )
    if global_rows is not None and global_rows.size and global_one_step is not None:
        scores.score(GLOBAL_GBM, global_rows, global_one_step)


def _score_intermittent_methods(
    block: np.ndarray, scores: BlockScores, rows: np.ndarray, settings: ForecastSettings, keep_from: int
) -> None:
    if not rows.size:
        return
    sub = block[:, rows]
    scores.score(
        CROSTON_SBA, rows, croston_sba_forecasts(sub, alpha=settings.croston_alpha, keep_from=keep_from)
    )
    scores.score(
        TSB, rows, tsb_forecasts(sub, alpha=settings.tsb_alpha, beta=settings.tsb_beta, keep_from=keep_from)
    )


def _score_trend_methods(
    block: np.ndarray,
    scores: BlockScores,
    rows: np.ndarray,
    seasonal_rows: np.ndarray,
    settings: ForecastSettings,
    keep_from: int,
) -> None:
    horizon_weeks = settings.horizon_weeks
    if rows.size:
        one_step, paths = holt_damped_forecasts(
            block[:, rows],
            alpha=settings.holt_alpha,
            beta=settings.holt_beta,
            phi=settings.holt_phi,
            keep_from=keep_from,
            horizon=horizon_weeks,
        )
        scores.score(HOLT_DAMPED, rows, one_step)
        scores.trend_horizons[HOLT_DAMPED] = (rows, paths)
    if seasonal_rows.size:
        one_step, paths = holt_winters_forecasts(
            block[:, seasonal_rows],
            alpha=settings.holt_winters_alpha,
            beta=settings.holt_winters_beta,
            gamma=settings.holt_winters_gamma,
            season_length=settings.season_length,
            keep_from=keep_from,
            horizon=horizon_weeks,
        )
        scores.score(HOLT_WINTERS, seasonal_rows, one_step)
        scores.trend_horizons[HOLT_WINTERS] = (seasonal_rows, paths)
