"""Seasonal indices pooled by group (e.g. product category), estimated from the panel's history.

A single SKU-location rarely has enough history (or volume) to estimate 52 weekly seasonal indices of its own;
items of one category share the category's seasonal profile, so the profile is estimated once per category from
the category's aggregate demand and applied multiplicatively to each member (the "group seasonal index" of
Withycombe 1989 and Dalhart 1974; Hyndman & Athanasopoulos, FPP3 section 12.1 on aggregated seasonality).

Per group, on the aggregate y_t of its fully observed members over the history (t = 0 .. T-1):
- the ratio to the group mean, y_t / mean(y), is regressed by least squares on an intercept, a linear trend and
  ``harmonics`` Fourier pairs cos / sin(2 pi k t / m), k = 1..K (m = season length): a smoothed 52-week profile
  (the Fourier form of FPP3 section 7.4), the trend term keeping a drifting level out of the profile;
- the harmonic coefficients are shrunk toward zero (index toward 1) by the positive-part James-Stein factor
  w = max(0, 1 - noise / signal), signal = sum of squared harmonic coefficients, noise = its expectation under
  no seasonality, 2K x (residual variance x 2 / T): a short or noisy history gets a flat profile;
- index_t = 1 + w x (harmonic part at t) / intercept, evaluated for the history's periods and the coming
  ``horizon`` periods (t = T .. T + horizon - 1), clipped into [min_index, max_index].
The index averages 1 over a season, so deseasonalized demand y_t / index_t keeps the series' level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SeasonalitySettings:
    enabled: bool = True
    season_length: int = 52
    harmonics: int = 2  # Fourier pairs of the smoothed profile
    min_history_periods: int = 52  # a group needs at least one full season of fully observed history
    min_group_series: int = 5  # fewer fully observed members: no pooled profile (index 1)
    min_index: float = 0.2
    max_index: float = 5.0


@dataclass
class SeasonalIndex:
    """Seasonal index per group and period: ``table[code, t]`` for t = 0 .. T + horizon - 1; code -1 = none."""

    codes: np.ndarray  # (n,) int, -1 = no group (index 1)
    table: np.ndarray  # (n_groups + 1, T + horizon) float32; the last row is all ones (code -1)
    groups: list[str]
    shrinkage: np.ndarray  # (n_groups,) the James-Stein factor w applied to each group's profile

    def for_series(self, rows: slice | np.ndarray, periods: slice) -> np.ndarray:
        """Time-major (periods, series) indices of the given series."""
        return self.table[self.codes[rows]][:, periods].T

    @property
    def n_periods_total(self) -> int:
        return int(self.table.shape[1])


def fourier_design(periods: np.ndarray, season_length: int, harmonics: int) -> np.ndarray:
    """Columns cos(2 pi k t / m), sin(2 pi k t / m) for k = 1..harmonics (shape (len(periods), 2K))."""
    t = np.asarray(periods, dtype=np.float64)[:, None]
    k = np.arange(1, harmonics + 1, dtype=np.float64)[None, :]
    angle = 2.0 * np.pi * k * t / season_length
    return np.concatenate([np.cos(angle), np.sin(angle)], axis=1)


def group_profile(
    aggregate: np.ndarray, *, horizon: int, settings: SeasonalitySettings
) -> tuple[np.ndarray, float]:
    """(index for t = 0 .. T + horizon - 1, shrinkage factor) of one group's aggregate demand (T,)."""
    aggregate = np.asarray(aggregate, dtype=np.float64)
    n_periods = aggregate.shape[0]
    ones = np.ones(n_periods + horizon)
    mean = aggregate.mean() if n_periods else 0.0
    if n_periods < settings.min_history_periods or not mean > 0 or settings.harmonics < 1:
        return ones, 0.0
    ratio = aggregate / mean
    t = np.arange(n_periods, dtype=np.float64)
    harmonic = fourier_design(t, settings.season_length, settings.harmonics)
    design = np.column_stack([np.ones(n_periods), t - t.mean(), harmonic])
    coefficients, *_ = np.linalg.lstsq(design, ratio, rcond=None)
    residual = ratio - design @ coefficients
    dof = max(n_periods - design.shape[1], 1)
    residual_variance = float(residual @ residual) / dof
    beta = coefficients[2:]
    signal = float(beta @ beta)
    noise = beta.size * residual_variance * 2.0 / n_periods
    shrink = max(0.0, 1.0 - noise / signal) if signal > 0 else 0.0
    intercept = coefficients[0]
    if not intercept > 0:
        return ones, 0.0
    all_t = np.arange(n_periods + horizon, dtype=np.float64)
    seasonal = fourier_design(all_t, settings.season_length, settings.harmonics) @ beta
    index = 1.0 + shrink * seasonal / intercept
    return np.clip(index, settings.min_index, settings.max_index), shrink


def pooled_seasonal_indices(
    demand_by_period: np.ndarray,
    groups: pd.Series | np.ndarray | None,
    *,
    horizon: int,
    settings: SeasonalitySettings | None = None,
) -> SeasonalIndex | None:
    """Seasonal index per series' group from the (T, n) time-major panel; None when there are no groups.

    Only members observed in every period of the history enter their group's aggregate (a member starting late
    would put a step in it); a missing / empty group label means no pooled seasonality for that series.
    """
    settings = settings or SeasonalitySettings()
    if groups is None or not settings.enabled:
        return None
    labels = pd.Series(np.asarray(groups, dtype=object))
    missing = labels.isna() | (labels.astype(str).str.strip() == "")
    codes, uniques = pd.factorize(labels.where(~missing), sort=True)
    if len(uniques) == 0:
        return None
    n_periods, _ = demand_by_period.shape
    n_groups = len(uniques)
    fully_observed = ~np.isnan(demand_by_period).any(axis=0)
    member = (codes >= 0) & fully_observed
    table = np.ones((n_groups + 1, n_periods + horizon), dtype=np.float32)
    shrinkage = np.zeros(n_groups)
    counts = np.bincount(codes[member], minlength=n_groups)
    # aggregate per group and period: one matrix product with the (n, groups) membership of the members
    aggregate = np.zeros((n_periods, n_groups))
    member_rows = np.flatnonzero(member)
    for start in range(0, member_rows.size, 65_536):
        rows = member_rows[start : start + 65_536]
        block = demand_by_period[:, rows].astype(np.float64)
        np.add.at(aggregate.T, codes[rows], block.T)
    for code in range(n_groups):
        if counts[code] < settings.min_group_series:
            continue
        index, shrink = group_profile(aggregate[:, code], horizon=horizon, settings=settings)
        table[code] = index
        shrinkage[code] = shrink
    codes = np.where(codes >= 0, codes, n_groups)  # the ones row
    return SeasonalIndex(
        codes=codes.astype(np.int64), table=table, groups=[str(u) for u in uniques], shrinkage=shrinkage
    )
