"""Linking each recommendation to one exception, and pricing its action (cost and feasibility)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from replenish.engine import value as v

from .common import EXCESS, EXCESS_ACTIONS, INBOUND_LATE, REORDER_DUE, STOCKOUT_RISK, SUPPLY_ACTIONS, _num


def _assign_recommendations(recs: pd.DataFrame, stockout_ids: set, late_ids: set) -> pd.DataFrame:
    """Which exception type each recommendation belongs to (one exception per recommendation)."""
    if recs is None or recs.empty:
        return pd.DataFrame(columns=["recommendation_id", "item_location_id", "type", "action"])
    il = recs["item_location_id"].to_numpy()
    action = recs["action"].to_numpy()
    in_stockout = np.isin(il, list(stockout_ids))
    in_late = np.isin(il, list(late_ids))
    target = np.full(len(recs), "", dtype=object)
    supply = np.isin(action, SUPPLY_ACTIONS)
    target[supply] = np.where(in_stockout[supply], STOCKOUT_RISK, REORDER_DUE)
    expedite = action == "expedite"
    target[expedite & in_late] = INBOUND_LATE
    target[np.isin(action, EXCESS_ACTIONS)] = EXCESS
    preference = {"expedite": 0, "transfer": 1, "purchase_order": 2, "cancel": 0, "defer": 1}
    frame = recs.assign(type=target, _pref=[preference.get(a, 9) for a in action])
    frame = frame[frame["type"] != ""]
    # The stockout exception takes the preferred supply action; a second supply action of the SKU-location (say an
    # expedite and a new PO) goes to reorder due; anything beyond is left unlinked.
    frame = frame.sort_values(["item_location_id", "type", "_pref", "recommendation_id"], kind="stable")
    first = ~frame.duplicated(["item_location_id", "type"])
    spill = frame[~first & (frame["type"] == STOCKOUT_RISK)].assign(type=REORDER_DUE)
    frame = pd.concat([frame[first], spill], ignore_index=True)
    frame = frame.sort_values(["item_location_id", "type", "_pref"], kind="stable")
    frame = frame[~frame.duplicated(["item_location_id", "type"])]
    return frame.drop(columns="_pref")


def action_terms(rows: pd.DataFrame, settings: v.ValueSettings) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Action cost, feasibility and their basis for rows carrying rec_* and plan columns (value module)."""
    n = len(rows)
    action = (
        rows["rec_action"].fillna("").to_numpy(dtype=object)
        if "rec_action" in rows
        else np.full(n, "", object)
    )
    quantity = np.nan_to_num(_num(rows, "rec_quantity"))
    unit_cost = np.nan_to_num(_num(rows, "unit_cost"))
    line_cost = _num(rows, "rec_line_unit_cost")
    line_cost = np.where(np.isfinite(line_cost), line_cost, unit_cost)
    due = np.maximum(np.nan_to_num(_num(rows, "rec_due_day")), 0.0)
    lead = np.nan_to_num(_num(rows, "lead_time_mean"), nan=14.0)
    lead_sd = np.nan_to_num(_num(rows, "lead_time_sd"))
    new_day = _num(rows, "rec_new_day")
    transfer_days = np.nan_to_num(_num(rows, "rec_transfer_days"), nan=2.0)
    stockout = _num(rows, "stockout_day")
    # the demand a day's delay loses once the action lands after the stockout (value.delay_short_units): the plan's
    # daily demand, derived once per chunk (detectors.common._derived)
    daily = np.nan_to_num(_num(rows, "daily"))

    goods = quantity * np.where(action == v.EXPEDITE, line_cost, unit_cost)
    cost = v.action_cost(action, goods, settings)
    is_po, is_exp, is_tr = action == v.PURCHASE_ORDER, action == v.EXPEDITE, action == v.TRANSFER
    arrival = np.full(n, np.nan)
    arrival[is_po] = due[is_po] + lead[is_po]
    arrival[is_exp] = np.where(np.isfinite(new_day[is_exp]), new_day[is_exp], due[is_exp] + lead[is_exp])
    arrival[is_tr] = due[is_tr] + transfer_days[is_tr]
    arrival_sd = np.where(is_po | is_exp, lead_sd, settings.min_arrival_sd_days)
    feasibility = np.where(
        np.isin(action, SUPPLY_ACTIONS), v.arrival_feasibility(stockout, arrival, arrival_sd, settings), 1.0
    )
    basis = []
    for i in range(n):
        entry: dict = {}
        if is_exp[i]:
            entry = {
                "expedite_fee_flat": settings.expedite_fee_flat,
                "expedite_fee_rate": settings.expedite_fee_rate,
            }
        elif is_tr[i]:
            entry = {
                "transfer_freight_flat": settings.transfer_freight_flat,
                "transfer_freight_rate": settings.transfer_freight_rate,
            }
        elif is_po[i]:
            entry = {"ordering_cost": settings.ordering_cost}
        if action[i] in SUPPLY_ACTIONS:
            entry.update(
                {
                    "goods_value": round(float(goods[i]), 2),
                    "arrival_day": None if not np.isfinite(arrival[i]) else round(float(arrival[i]), 2),
                    "arrival_sd_days": round(float(max(arrival_sd[i], settings.min_arrival_sd_days)), 3),
                    "stockout_day": None if not np.isfinite(stockout[i]) else float(stockout[i]),
                    "daily_demand": round(float(daily[i]), 4),
                }
            )
        basis.append(entry)
    return cost, feasibility, basis


def _with_recs(frame: pd.DataFrame, assigned: pd.DataFrame, kind: str) -> pd.DataFrame:
    mine = assigned[assigned["type"] == kind].drop(columns=["type"])
    mine = mine.rename(
        columns={c: f"rec_{c}" for c in mine.columns if c not in ("item_location_id", "recommendation_id")}
    )
    return frame.merge(mine, on="item_location_id", how="left")
