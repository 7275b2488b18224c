"""Demand classification (Syntetos-Boylan) and ABC/XYZ segmentation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .panel import chunk_bounds

SMOOTH = "smooth"
ERRATIC = "erratic"
INTERMITTENT = "intermittent"
LUMPY = "lumpy"
NO_DEMAND = "no_demand"
DEMAND_CLASSES = (SMOOTH, ERRATIC, INTERMITTENT, LUMPY, NO_DEMAND)

# Syntetos, Boylan & Croston (2005), "On the categorization of demand patterns", JORS 56:495-503.
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


def _time_major_blocks(values: np.ndarray, chunk_size: int):
    """Yield (start, stop, block) with block the (T, c) float32 time-major slice of series start..stop.

    A (n, T) view of a time-major array (the engine's own layout) is sliced without a transposing copy.
    """
    n_series = values.shape[0]
    time_major = values.T
    for start, stop in chunk_bounds(n_series, chunk_size):
        if time_major.flags.c_contiguous:
            block = np.ascontiguousarray(time_major[:, start:stop], dtype=np.float32)
        else:
            block = np.ascontiguousarray(np.asarray(values[start:stop], dtype=np.float32).T)
        yield start, stop, block


def _first_index(flags: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 0 of a (T, c) bool array (T when none); faster than argmax(axis=0)."""
    n_periods = flags.shape[0]
    weights = np.arange(n_periods, 0, -1, dtype=np.int32)[:, None]
    return n_periods - (flags * weights).max(axis=0, initial=0)


def _last_index(flags: np.ndarray) -> np.ndarray:
    """Index of the last True along axis 0 (-1 when none)."""
    weights = np.arange(1, flags.shape[0] + 1, dtype=np.int32)[:, None]
    return (flags * weights).max(axis=0, initial=0) - 1


def classify_demand(
    demand: np.ndarray,
    *,
    adi_cutoff: float = ADI_CUTOFF,
    cv2_cutoff: float = CV2_CUTOFF,
    chunk_size: int = 65_536,
) -> pd.DataFrame:
    """Syntetos-Boylan (2005) demand classes for a (n, T) panel; NaN periods are ignored.

    ADI is the mean interval, in observed periods, between successive non-zero demands:
    ``(last non-zero index - first non-zero index) / (non-zero count - 1)``, indices counted over observed
    periods only (a NaN hole does not lengthen an interval).
    CV2 is the squared coefficient of variation of the non-zero demand sizes (sample variance, ddof=1, as in the
    R package tsintermittent's ``idclass``).

    - smooth: ADI < 1.32 and CV2 < 0.49      - erratic: ADI < 1.32 and CV2 >= 0.49
    - intermittent: ADI >= 1.32 and CV2 < 0.49  - lumpy: ADI >= 1.32 and CV2 >= 0.49

    A series with fewer than two non-zero periods has no interval: "intermittent" if it has one non-zero
    period, "no_demand" if none (ADI and CV2 are NaN for those).
    Returns a DataFrame with columns ``adi``, ``cv2``, ``demand_class`` (categorical), ``nonzero_periods``.
    """
    values = np.asarray(demand)
    if values.ndim != 2:
        raise ValueError("demand must be 2-D (n_series, n_periods)")
    n_series, n_periods = values.shape
    adi = np.full(n_series, np.nan)
    cv2 = np.full(n_series, np.nan)
    nonzero_count = np.zeros(n_series, dtype=np.int64)
    for start, stop, block in _time_major_blocks(values, chunk_size):
        positive = block > 0  # NaN compares False: unobserved periods are ignored
        count = positive.sum(axis=0)
        sizes = np.fmax(block, np.float32(0))  # == where(positive, block, 0), NaN -> 0
        size_sum = sizes.sum(axis=0, dtype=np.float64)
        size_sq_sum = np.einsum("tc,tc->c", sizes, sizes, dtype=np.float64)
        first = _first_index(positive)
        last = _last_index(positive)
        # intervals are counted in observed periods: a hole (NaN) inside the history does not lengthen them
        observed = ~np.isnan(block)
        holes = np.flatnonzero((count >= 2) & (observed.sum(axis=0) < (n_periods - _first_index(observed))))
        if holes.size:
            rank = np.cumsum(observed[:, holes], axis=0, dtype=np.int32)
            first[holes] = rank[first[holes], np.arange(holes.size)]
            last[holes] = rank[last[holes], np.arange(holes.size)]
        has_interval = count >= 2
        safe_count = np.maximum(count, 1)
        mean_size = size_sum / safe_count
        with np.errstate(invalid="ignore", divide="ignore"):
            block_adi = np.where(has_interval, (last - first) / np.maximum(count - 1, 1), np.nan)
            sample_var = (size_sq_sum - count * mean_size**2) / np.maximum(count - 1, 1)
            block_cv2 = np.where(has_interval, np.maximum(sample_var, 0.0) / mean_size**2, np.nan)
        adi[start:stop] = block_adi
        cv2[start:stop] = block_cv2
        nonzero_count[start:stop] = count
    has_interval = nonzero_count >= 2
    long_interval = adi >= adi_cutoff
    variable_size = cv2 >= cv2_cutoff
    labels = np.select(
        [
            ~has_interval & (nonzero_count == 1),
            ~has_interval,
            ~long_interval & ~variable_size,
            ~long_interval & variable_size,
            long_interval & ~variable_size,
        ],
        [DEMAND_CLASSES.index(name) for name in (INTERMITTENT, NO_DEMAND, SMOOTH, ERRATIC, INTERMITTENT)],
        default=DEMAND_CLASSES.index(LUMPY),
    )
    return pd.DataFrame(
        {
            "adi": adi,
            "cv2": cv2,
            "demand_class": pd.Categorical.from_codes(labels, categories=DEMAND_CLASSES),
            "nonzero_periods": nonzero_count,
        }
    )


def weekly_demand_cv(demand: np.ndarray, *, chunk_size: int = 65_536) -> np.ndarray:
    """Coefficient of variation (population sd / mean) of weekly demand over observed periods, zeros included.

    A series with zero mean (or no observation) gets +inf, i.e. the most variable XYZ class.
    """
    values = np.asarray(demand)
    n_series = values.shape[0]
    cv = np.full(n_series, np.inf)
    for start, stop, block in _time_major_blocks(values, chunk_size):
        observed = ~np.isnan(block)
        count = observed.sum(axis=0)
        filled = np.fmax(block, np.float32(0))  # NaN -> 0 (and any negative, as the cleaning does)
        safe = np.maximum(count, 1)
        mean = filled.sum(axis=0, dtype=np.float64) / safe
        var = np.maximum(np.einsum("tc,tc->c", filled, filled, dtype=np.float64) / safe - mean**2, 0.0)
        ok = (count > 0) & (mean > 0)
        cv[start:stop] = np.where(ok, np.sqrt(var) / np.where(ok, mean, 1.0), np.inf)
    return cv


def abc_xyz(
    revenue: np.ndarray,
    cv: np.ndarray,
    *,
    a_cutoff: float = 0.80,
    b_cutoff: float = 0.95,
    x_cutoff: float = 0.5,
    y_cutoff: float = 1.0,
) -> pd.DataFrame:
    """ABC by cumulative revenue share and XYZ by coefficient of variation of weekly demand.

    ABC (Pareto analysis): sort by revenue, descending. A series is "A" when the cumulative share of the series
    ranked before it is below ``a_cutoff`` (so A is the smallest top set reaching 80 % of revenue), "B" when that
    share is below ``b_cutoff``, "C" otherwise. Zero, negative or NaN revenue is always "C".
    XYZ: "X" when cv < ``x_cutoff``, "Y" when cv < ``y_cutoff``, "Z" otherwise (NaN cv is "Z").
    """
    revenue_values = np.asarray(revenue, dtype=np.float64)
    cv_values = np.asarray(cv, dtype=np.float64)
    positive_revenue = np.where(np.isfinite(revenue_values) & (revenue_values > 0), revenue_values, 0.0)
    total = positive_revenue.sum()
    abc = np.full(revenue_values.shape[0], 2, dtype=np.int8)  # codes of A, B, C
    if total > 0:
        order = np.argsort(-positive_revenue, kind="stable")
        share_before = (np.cumsum(positive_revenue[order]) - positive_revenue[order]) / total
        ranked = np.where(share_before < a_cutoff, 0, np.where(share_before < b_cutoff, 1, 2))
        abc[order] = np.where(positive_revenue[order] > 0, ranked, 2)
    xyz = np.where(cv_values < x_cutoff, 0, np.where(cv_values < y_cutoff, 1, 2)).astype(np.int8)
    return pd.DataFrame(
        {
            "abc": pd.Categorical.from_codes(abc, categories=["A", "B", "C"]),
            "xyz": pd.Categorical.from_codes(xyz, categories=["X", "Y", "Z"]),
        }
    )
