"""Supplier performance decline: lead-time drift and fill-rate drop, with the exposure in money."""

from __future__ import annotations

import numpy as np
import pandas as pd

from replenish.engine import value as v

from .common import _derived, _num

# Supplier decline: recent window vs the year before it (receipts), thresholds on the drift.
RECENT_DAYS = 91
BASELINE_DAYS = 365
MIN_RECENT_RECEIPTS = 5
MIN_BASELINE_RECEIPTS = 10
LEAD_TIME_DRIFT_RATIO = 1.2  # recent mean lead time at least 20 % above the baseline ...
LEAD_TIME_DRIFT_DAYS = 2.0  # ... and at least two days longer
FILL_RATE_DROP = 0.05  # fill rate five points below the baseline


# --- supplier performance decline (supplier level, over the whole network) -----------------------------------------


def supplier_decline(stats_frame: pd.DataFrame) -> pd.DataFrame:
    """Suppliers whose recent lead time drifted up or whose fill rate dropped.

    `stats_frame`: supplier_id, n_recent, recent_mean, recent_sd, n_base, base_mean, base_sd, fill_recent, fill_base.
    Returns the declining suppliers with drift_days, recent/baseline figures and a reason list.
    """
    s = stats_frame.copy()
    recent = _num(s, "recent_mean")
    base = _num(s, "base_mean")
    enough = (_num(s, "n_recent") >= MIN_RECENT_RECEIPTS) & (_num(s, "n_base") >= MIN_BASELINE_RECEIPTS)
    drift = enough & (recent >= LEAD_TIME_DRIFT_RATIO * base) & (recent - base >= LEAD_TIME_DRIFT_DAYS)
    fill_recent, fill_base = _num(s, "fill_recent"), _num(s, "fill_base")
    fill_drop = (
        np.isfinite(fill_recent) & np.isfinite(fill_base) & (fill_recent <= fill_base - FILL_RATE_DROP)
    )
    s["lead_time_drift"] = drift
    s["fill_drop"] = fill_drop
    s["drift_days"] = np.where(drift, recent - base, 0.0)
    s["fill_shortfall"] = np.where(fill_drop, fill_base - fill_recent, 0.0)
    return s[drift | fill_drop].reset_index(drop=True)


def supplier_exposure(
    plans: pd.DataFrame,
    declining: pd.DataFrame,
    po_lines: pd.DataFrame,
    settings: v.ValueSettings = v.DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Per declining supplier, within one chunk: extra expected short units (and their margin) if the recent lead
    time and fill rate hold, from the loss function at the plan's position (longer lead time) plus the open PO
    quantity that the lower fill rate would not deliver."""
    columns = ["supplier_id", "delta_short", "lost_margin", "sku_locations", "open_units", "fill_short"]
    if plans.empty or declining.empty:
        return pd.DataFrame(columns=columns)
    p = _derived(plans, settings)
    p = p.merge(
        declining[["supplier_id", "drift_days", "recent_sd", "fill_shortfall"]], on="supplier_id", how="inner"
    )
    if p.empty:
        return pd.DataFrame(columns=columns)
    position = np.nan_to_num(_num(p, "inventory_position"))
    lead = np.nan_to_num(_num(p, "lead_time_mean"))
    lead_sd = np.nan_to_num(_num(p, "lead_time_sd"))
    new_sd = np.fmax(lead_sd, np.nan_to_num(_num(p, "recent_sd")))
    mean2, sd2 = v.horizon_demand(
        _num(p, "forecast_weekly"),
        _num(p, "forecast_sd_weekly"),
        lead + _num(p, "drift_days"),
        new_sd,
        settings,
    )
    delta = np.maximum(v.expected_short_units(position, mean2, sd2) - p["short_h"].to_numpy(), 0.0)
    p["delta_short"] = delta
    open_units = pd.Series(dtype=float)
    if po_lines is not None and len(po_lines):
        open_units = po_lines.groupby("item_location_id")["quantity_open"].sum()
    p["open_units"] = p["item_location_id"].map(open_units).fillna(0.0).to_numpy() if len(open_units) else 0.0
    p["fill_short"] = p["open_units"] * _num(p, "fill_shortfall")
    p["lost_margin"] = (p["delta_short"] + p["fill_short"]) * p["unit_margin"]
    grouped = p.groupby("supplier_id").agg(
        delta_short=("delta_short", "sum"),
        lost_margin=("lost_margin", "sum"),
        sku_locations=("item_location_id", "size"),
        open_units=("open_units", "sum"),
        fill_short=("fill_short", "sum"),
    )
    return grouped.reset_index()[columns]
