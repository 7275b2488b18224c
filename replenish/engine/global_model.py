"""Global gradient-boosting forecaster for the fast movers (one model across all of them).

A single scikit-learn ``HistGradientBoostingRegressor`` learns one-step-ahead weekly demand from lags, rolling
means and standard deviation, week-of-year (sin/cos) and the promotion flag. Each series is scaled by its mean
demand over the training periods so that one model fits series of different sizes; predictions are multiplied
back. The model is trained only on periods before the backtest window, so the backtest is out of sample.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

try:  # installed with scikit-learn (one of its dependencies)
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

FloatArray = np.ndarray

FEATURE_NAMES = (
    "lag_1",
    "lag_2",
    "lag_3",
    "lag_4",
    "lag_52",
    "rolling_mean_4",
    "rolling_mean_13",
    "rolling_sd_13",
    "week_sin",
    "week_cos",
    "promo",
    "promo_lag_1",
)
MIN_TARGET_PERIOD = 13  # the longest rolling window: earlier periods have too little history to learn from


@dataclass(frozen=True)
class GlobalModelSettings:
    max_training_rows: int = 200_000
    # 30 trees x 15 leaves at rate 0.25: backtest MASE 0.7767 on the synthetic panel against 0.7759 for
    # 100 x 31 at 0.1; prediction time is proportional to the trees and dominates at 900k series
    max_iter: int = 30
    learning_rate: float = 0.25
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 40
    random_state: int = 0
    # OpenMP threads for fit/predict. Measured on the 2-core box with other processes busy: 1 thread fits 200k
    # rows in ~1 s every time, 2 threads took 0.9 s idle but 10-15 s under contention (threads spin at barriers).
    n_threads: int | None = 1
    # prediction is one parallel region per tree over all rows, so it does not suffer the same way
    n_threads_predict: int | None = 2


def _thread_limit(n_threads: int | None) -> AbstractContextManager:
    if n_threads is None or threadpool_limits is None:
        return nullcontext()
    return threadpool_limits(limits=n_threads, user_api="openmp")


def _cumulative_over_time(values: np.ndarray) -> np.ndarray:
    """(T + 1, m) float64 running sums along time, row 0 = 0. One add per period: np.cumsum(axis=0) walks the
    array column by column and measured ~15x slower on (104, 120k)."""
    cumulative = np.zeros((values.shape[0] + 1, values.shape[1]))
    for t in range(values.shape[0]):
        np.add(cumulative[t], values[t], out=cumulative[t + 1])
    return cumulative


class _PanelFeatures:
    """Feature builder over the time-major (T, m) block of fast movers, gathering (period, series) pairs.

    Rolling windows come from cumulative sums along time (axis 0 of the time-major layout, one vectorized add
    per period).
    """

    def __init__(
        self, demand_by_period: FloatArray, promo_by_period: np.ndarray, scale: FloatArray, week_start: int
    ):
        self.n_periods = demand_by_period.shape[0]
        self.demand = (demand_by_period / scale[None, :].astype(np.float32)).astype(np.float32)
        observed = ~np.isnan(self.demand)
        filled = np.where(observed, self.demand, np.float32(0))
        self.cumulative = _cumulative_over_time(filled)
        self.cumulative_sq = _cumulative_over_time(np.square(filled))
        self.cumulative_count = _cumulative_over_time(observed)
        self.promo = promo_by_period
        self.week_of_year_start = week_start

    def _lag(self, rows: np.ndarray, periods: np.ndarray, lag: int, out: np.ndarray) -> None:
        source = periods - lag
        valid = source >= 0
        out[:] = np.nan
        out[valid] = self.demand[source[valid], rows[valid]]

    def _window(self, rows: np.ndarray, periods: np.ndarray, width: int) -> tuple[FloatArray, FloatArray]:
        begin = np.maximum(periods - width, 0)
        count = self.cumulative_count[periods, rows] - self.cumulative_count[begin, rows]
        total = self.cumulative[periods, rows] - self.cumulative[begin, rows]
        total_sq = self.cumulative_sq[periods, rows] - self.cumulative_sq[begin, rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, total / count, np.nan)
            sd = np.sqrt(np.maximum(np.where(count > 0, total_sq / count, np.nan) - mean**2, 0.0))
        return mean, sd

    def build(
        self, rows: np.ndarray, periods: np.ndarray, promo_next: np.ndarray | None = None
    ) -> FloatArray:
        """Features (columns FEATURE_NAMES) for predicting period ``periods`` of series ``rows``.

        ``periods`` may equal T, the next period, whose promotion flag comes from ``promo_next``.
        """
        features = np.empty((rows.shape[0], len(FEATURE_NAMES)), dtype=np.float32)
        for column, lag in enumerate((1, 2, 3, 4, 52)):
            self._lag(rows, periods, lag, features[:, column])
        features[:, 5], _ = self._window(rows, periods, 4)
        features[:, 6], features[:, 7] = self._window(rows, periods, 13)
        angle = 2 * np.pi * ((self.week_of_year_start + periods) % 52) / 52.0
        features[:, 8] = np.sin(angle)
        features[:, 9] = np.cos(angle)
        in_history = periods < self.n_periods
        features[:, 10] = 0.0
        features[in_history, 10] = self.promo[periods[in_history], rows[in_history]]
        if promo_next is not None:
            features[~in_history, 10] = promo_next[rows[~in_history]]
        has_before = (periods >= 1) & (periods - 1 < self.n_periods)
        features[:, 11] = 0.0
        features[has_before, 11] = self.promo[periods[has_before] - 1, rows[has_before]]
        return features

    def build_periods(self, first: int, last: int, promo_next: np.ndarray | None = None) -> FloatArray:
        """Features of every series for each period in [first, last], period-major (the rows of period p are
        ``(p - first) * m ... + m``): the same values as ``build`` with whole-row slices instead of gathers."""
        n_series = self.demand.shape[1]
        periods = range(first, last + 1)
        features = np.empty((len(periods), n_series, len(FEATURE_NAMES)), dtype=np.float32)
        for step, period in enumerate(periods):
            block = features[step]
            for column, lag in enumerate((1, 2, 3, 4, 52)):
                block[:, column] = self.demand[period - lag] if period - lag >= 0 else np.nan
            for column, width in ((5, 4), (6, 13)):
                begin = max(period - width, 0)
                count = self.cumulative_count[period] - self.cumulative_count[begin]
                total = self.cumulative[period] - self.cumulative[begin]
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(count > 0, total / count, np.nan)
                    block[:, column] = mean
                    if width == 13:
                        total_sq = self.cumulative_sq[period] - self.cumulative_sq[begin]
                        mean_sq = np.where(count > 0, total_sq / count, np.nan)
                        block[:, 7] = np.sqrt(np.maximum(mean_sq - mean**2, 0.0))
            angle = 2 * np.pi * ((self.week_of_year_start + period) % 52) / 52.0
            block[:, 8] = np.sin(angle)
            block[:, 9] = np.cos(angle)
            if period < self.n_periods:
                block[:, 10] = self.promo[period]
            else:
                block[:, 10] = 0.0 if promo_next is None else promo_next
            block[:, 11] = self.promo[period - 1] if 1 <= period <= self.n_periods else 0.0
        return features.reshape(len(periods) * n_series, len(FEATURE_NAMES))

    def target(self, rows: np.ndarray, periods: np.ndarray) -> FloatArray:
        return self.demand[periods, rows]


def fit_predict_global_model(
    demand_by_period: FloatArray,
    promo_by_period: np.ndarray | None,
    *,
    train_until: int,
    predict_from: int,
    week_of_year_start: int = 0,
    promo_next: np.ndarray | None = None,
    settings: GlobalModelSettings | None = None,
) -> tuple[FloatArray, HistGradientBoostingRegressor | None, dict[str, float]]:
    """Train on periods [13, train_until) of the fast movers and predict periods [predict_from, T].

    ``demand_by_period`` (T, m) time-major float with NaN unobserved, ``promo_by_period`` (T, m) bool or None.
    Returns one-step forecasts of shape (T + 1 - predict_from, m) in the same convention as the smoothing
    recursions, clipped at 0, the fitted model (None when there was nothing to learn from: forecasts NaN) and
    the seconds spent per step.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    settings = settings or GlobalModelSettings()
    n_periods, n_series = demand_by_period.shape
    out = np.full((n_periods + 1 - predict_from, n_series), np.nan, dtype=np.float32)
    if n_series == 0 or train_until <= MIN_TARGET_PERIOD:
        return out, None, timings
    training_block = demand_by_period[:train_until]
    observed_count = (~np.isnan(training_block)).sum(axis=0)
    training_sum = np.nansum(training_block, axis=0, dtype=np.float64)
    scale = training_sum / np.maximum(observed_count, 1)
    scale = np.where((observed_count > 0) & (scale > 0), scale, 1.0)
    if promo_by_period is None:
        promo_by_period = np.zeros((n_periods, n_series), dtype=bool)
    features = _PanelFeatures(demand_by_period, promo_by_period, scale, week_of_year_start)
    rng = np.random.default_rng(settings.random_state)
    candidate_periods = train_until - MIN_TARGET_PERIOD
    n_candidates = n_series * candidate_periods
    n_rows = min(settings.max_training_rows, n_candidates)
    flat = (
        rng.choice(n_candidates, size=n_rows, replace=False) if n_rows < n_candidates else np.arange(n_rows)
    )
    rows = flat // candidate_periods
    periods = flat % candidate_periods + MIN_TARGET_PERIOD
    target = features.target(rows, periods)
    keep = ~np.isnan(target)
    if keep.sum() < 100:
        return out, None, timings
    model = HistGradientBoostingRegressor(
        loss="squared_error",
        max_iter=settings.max_iter,
        learning_rate=settings.learning_rate,
        max_leaf_nodes=settings.max_leaf_nodes,
        min_samples_leaf=settings.min_samples_leaf,
        early_stopping=False,
        random_state=settings.random_state,
    )
    timings["features"] = time.perf_counter() - started
    started = time.perf_counter()
    training_features = features.build(rows[keep], periods[keep])
    # a feature with no value at all in training (lag 52 on a short history) carries nothing: make it constant
    # (scikit-learn's binning rejects an all-NaN column)
    unusable = np.isnan(training_features).all(axis=0)
    training_features[:, unusable] = 0.0
    with _thread_limit(settings.n_threads):
        model.fit(training_features, target[keep])
    timings["fit"] = time.perf_counter() - started
    started = time.perf_counter()
    n_steps = n_periods + 1 - predict_from
    prediction_features = features.build_periods(predict_from, n_periods, promo_next)
    prediction_features[:, unusable] = 0.0
    timings["prediction_features"] = time.perf_counter() - started
    started = time.perf_counter()
    with _thread_limit(settings.n_threads_predict):
        predicted = model.predict(prediction_features)
    timings["predict"] = time.perf_counter() - started
    out[:] = (np.maximum(predicted, 0.0).reshape(n_steps, n_series) * scale[None, :]).astype(np.float32)
    return out, model, timings
