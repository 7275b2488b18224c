"""Shared pieces of the detectors: type names, output columns, frame helpers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scoring import (
    expected_shortage,
    lead_time_demand,
)

STOCKOUT_RISK = "stockout_risk"
REORDER_DUE = "reorder_due"
INBOUND_LATE = "inbound_late"
ORDER_AT_RISK = "order_at_risk"
EXCESS = "excess"
SUPPLIER_DECLINE = "supplier_decline"
MASTER_DATA = "master_data"

SUPPLY_ACTIONS = ("expedite", "transfer", "purchase_order")
EXCESS_ACTIONS = ("defer", "cancel")

DETECTION_COLUMNS = [
    "type",
    "item_location_id",
    "supplier_id",
    "recommendation_id",
    "due_day",
    "stockout_day",
    "expected_short_units",
    "unit_margin",
    "lost_margin",
    "revenue_at_risk",
    "tier_penalties",
    "action_cost",
    "feasibility",
    "working_capital",
    "basis",
    "facts",
    "summary",
    "has_asn",
]


def _num(frame: pd.DataFrame, column: str, default: float = np.nan) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), default, dtype=np.float64)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _fmt(value: float, decimals: int = 0) -> str:
    if value is None or not np.isfinite(value):
        return "?"
    text = f"{value:,.{decimals}f}"
    return text


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in DETECTION_COLUMNS})


def _derived(plans: pd.DataFrame) -> pd.DataFrame:
    """Per SKU-location figures shared by the detectors (vectorized)."""
    p = plans.reset_index(drop=True).copy()
    p["daily"] = np.maximum(np.nan_to_num(_num(p, "forecast_weekly")), 0.0) / 7.0
    p["unit_margin"] = np.maximum(
        np.nan_to_num(_num(p, "unit_price")) - np.nan_to_num(_num(p, "unit_cost")), 0.0
    )
    mean, sd = lead_time_demand(
        _num(p, "forecast_weekly"),
        _num(p, "forecast_sd_weekly"),
        _num(p, "lead_time_mean"),
        _num(p, "lead_time_sd"),
    )
    p["ltd_mean"], p["ltd_sd"] = mean, sd
    p["short_lt"] = expected_shortage(np.nan_to_num(_num(p, "inventory_position")), mean, sd)
    p["p_stockout"] = np.clip(np.nan_to_num(_num(p, "stockout_probability")), 0.0, 1.0)
    return p


def _finish(frame: pd.DataFrame, kind: str, **columns) -> pd.DataFrame:
    out = pd.DataFrame({"type": kind, "item_location_id": frame["item_location_id"].to_numpy()})
    out["supplier_id"] = frame["supplier_id"].to_numpy() if "supplier_id" in frame else np.nan
    out["recommendation_id"] = (
        frame["recommendation_id"].to_numpy() if "recommendation_id" in frame else np.full(len(frame), np.nan)
    )
    out["stockout_day"] = _num(frame, "stockout_day")
    out["has_asn"] = False
    out["lost_margin"] = np.nan
    out["working_capital"] = 0.0
    for name, value in columns.items():
        out[name] = value
    for name in DETECTION_COLUMNS:
        if name not in out:
            out[name] = np.nan
    return out[DETECTION_COLUMNS]


def _day_text(day: float, as_of) -> str:
    if day is None or not np.isfinite(day):
        return "beyond the horizon"
    return (as_of + pd.Timedelta(days=int(day))).strftime("%a %d %b")
