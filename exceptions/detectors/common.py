"""Shared pieces of the detectors: type names, output columns, the chunk they read, frame helpers."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from replenish.engine import value as v

STOCKOUT_RISK = "stockout_risk"
REORDER_DUE = "reorder_due"
INBOUND_LATE = "inbound_late"
ORDER_AT_RISK = "order_at_risk"
EXCESS = "excess"
SUPPLIER_DECLINE = "supplier_decline"
MASTER_DATA = "master_data"

SUPPLY_ACTIONS = v.SUPPLY_ACTIONS
EXCESS_ACTIONS = v.EXCESS_ACTIONS

# One row per detection: who, when, the inputs of the value (replenish.engine.value.compose) and the facts.
VALUE_INPUTS = [
    "lost_margin",
    "order_exposure",
    "tier_penalties",
    "holding_cost",
    "feasibility",
    "action_cost",
]
DETECTION_COLUMNS = [
    "type",
    "item_location_id",
    "supplier_id",
    "recommendation_id",
    "due_day",
    "stockout_day",
    *VALUE_INPUTS,
    "expected_short_units",
    "named_short_units",
    "unit_margin",
    "horizon_days",
    "basis",
    "facts",
    "summary",
    "has_asn",
    "shipment_id",
]


@dataclass
class Chunk:
    """What every detector reads: the chunk's plans (with derived figures), recommendations, PO and order lines."""

    plans: pd.DataFrame
    recs: pd.DataFrame
    po_lines: pd.DataFrame
    so_lines: pd.DataFrame
    as_of: pd.Timestamp
    settings: v.ValueSettings
    assigned: pd.DataFrame = field(default_factory=pd.DataFrame)
    late: pd.DataFrame = field(default_factory=pd.DataFrame)
    stockout_mask: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def _num(frame: pd.DataFrame, column: str, default: float = np.nan) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), default, dtype=np.float64)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _fmt(value: float, decimals: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "?"
    return f"{value:,.{decimals}f}"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in DETECTION_COLUMNS})


def _derived(plans: pd.DataFrame, settings: v.ValueSettings = v.DEFAULT_SETTINGS) -> pd.DataFrame:
    """Per SKU-location figures shared by the detectors (vectorized): daily demand, unit margin, demand over the
    decision horizon (lead time + review period) and the expected short units at the current position."""
    p = plans.reset_index(drop=True).copy()
    p["daily"] = np.maximum(np.nan_to_num(_num(p, "forecast_weekly")), 0.0) / 7.0
    p["unit_margin"] = np.maximum(
        np.nan_to_num(_num(p, "unit_price")) - np.nan_to_num(_num(p, "unit_cost")), 0.0
    )
    lead = np.nan_to_num(_num(p, "lead_time_mean"), nan=14.0)
    mean, sd = v.horizon_demand(
        _num(p, "forecast_weekly"), _num(p, "forecast_sd_weekly"), lead, _num(p, "lead_time_sd"), settings
    )
    p["horizon_days"] = v.decision_horizon_days(lead, settings)
    p["ltd_mean"], p["ltd_sd"] = mean, sd
    p["short_h"] = v.expected_short_units(np.nan_to_num(_num(p, "inventory_position")), mean, sd)
    p["p_stockout"] = np.clip(np.nan_to_num(_num(p, "stockout_probability")), 0.0, 1.0)
    return p


def _finish(frame: pd.DataFrame, kind: str, **columns) -> pd.DataFrame:
    """Detection rows of one kind: the frame's identifiers plus the given columns, every column present."""
    out = pd.DataFrame({"type": kind, "item_location_id": frame["item_location_id"].to_numpy()})
    out["supplier_id"] = frame["supplier_id"].to_numpy() if "supplier_id" in frame else np.nan
    out["recommendation_id"] = _num(frame, "recommendation_id")
    out["stockout_day"] = _num(frame, "stockout_day")
    out["horizon_days"] = _num(frame, "horizon_days")
    out["unit_margin"] = _num(frame, "unit_margin", 0.0)
    defaults = {"has_asn": False, "shipment_id": np.nan, "feasibility": 1.0, "named_short_units": 0.0}
    defaults |= {name: 0.0 for name in VALUE_INPUTS if name != "feasibility"}
    for name, value in {**defaults, **columns}.items():
        out[name] = value
    for name in DETECTION_COLUMNS:
        if name not in out:
            out[name] = np.nan
    return out[DETECTION_COLUMNS]


def _day_text(day: float, as_of) -> str:
    if day is None or not math.isfinite(day):
        return "beyond the horizon"
    return _day_name(as_of, int(day))


@functools.lru_cache(maxsize=4096)
def _day_name(as_of, days: int) -> str:
    """A day's short name (a chunk names the same few hundred days tens of thousands of times)."""
    return (as_of + pd.Timedelta(days=days)).strftime("%a %d %b")
