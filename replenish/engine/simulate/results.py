"""Ratios derived from the summed measures, for series, classes, totals or any grouping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import SUM_COLUMNS, ArrayLike


def _derive_ratios(frame: pd.DataFrame, measured_days: int, days_per_year: float) -> pd.DataFrame:
    def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
        return (num / den.where(den > 0)).astype(float)

    frame = frame.copy()
    frame["unit_fill_rate"] = ratio(frame["filled_on_time_units"], frame["demand_units"])
    frame["line_fill_rate"] = ratio(frame["filled_lines"], frame["demand_lines"])
    frame["stockout_day_rate"] = ratio(frame["stockout_days"], frame["series_days"])
    frame["stockout_week_rate"] = ratio(frame["stockout_weeks"], frame["series_weeks"])
    frame["avg_on_hand_units"] = frame["on_hand_unit_days"] / measured_days
    frame["avg_on_hand_value"] = frame["on_hand_value_days"] / measured_days
    # Inventory turns at cost: annualised cost of goods sold / average inventory value.
    frame["turns"] = ratio(frame["cogs"] * days_per_year / measured_days, frame["avg_on_hand_value"])
    frame["exception_day_rate"] = ratio(frame["exception_days"], frame["series_days"])
    frame["cycle_service_level"] = 1.0 - ratio(frame["stockout_cycles"], frame["replenishment_cycles"])
    return frame


def aggregate(
    per_series: pd.DataFrame, by: ArrayLike, *, measured_days: int, days_per_year: float = 365.0
) -> pd.DataFrame:
    """Sum the per-series measures over any grouping (e.g. ABC class, demand class) and derive the ratios as
    `SimulationResult.per_class` does; index = the group labels (sorted)."""
    labels = np.asarray(by)
    if labels.shape != (len(per_series),):
        raise ValueError(f"by must have one label per series ({len(per_series)})")
    grouped = per_series.loc[:, list(SUM_COLUMNS)].groupby(labels, sort=True).sum(min_count=1)
    return _derive_ratios(grouped, measured_days, days_per_year)
