"""Detectors: set-based rules over one chunk of the plan (pure pandas/numpy; no Django).

Inputs are DataFrames built by `exceptions.refresh` (dates are float day offsets from the as-of date, NaN = none):

- plans: one row per SKU-location with its SkuPlan figures, item money figures, primary supplier and master data.
- recs: the run's Recommendation rows.  - po_lines: open PO lines with their ASN.  - so_lines: open order lines.

`detect_chunk` returns one row per (type, SKU-location) with the inputs of the value at stake (see scoring.py) and
the facts behind it. Each engine recommendation is linked to exactly one exception, so approving two exceptions can
never post the same action twice: expedite -> inbound late (else stockout, else reorder); purchase order / transfer
-> stockout (else reorder due); defer / cancel -> excess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scoring import DEFAULT_SETTINGS, ScoringSettings, clean_flag
from .actions import _action_terms, _assign_recommendations, _with_recs
from .common import (
    DETECTION_COLUMNS,
    EXCESS,
    EXCESS_ACTIONS,
    INBOUND_LATE,
    MASTER_DATA,
    ORDER_AT_RISK,
    REORDER_DUE,
    STOCKOUT_RISK,
    SUPPLIER_DECLINE,
    SUPPLY_ACTIONS,
    _day_text,
    _derived,
    _empty,
    _finish,
    _fmt,
    _num,
)
from .lines import FAULT_LABELS, _late_lines, _master_data_faults, _orders_at_risk
from .supplier import BASELINE_DAYS, RECENT_DAYS, supplier_decline, supplier_exposure

__all__ = [
    "BASELINE_DAYS",
    "DETECTION_COLUMNS",
    "EXCESS",
    "FAULT_LABELS",
    "INBOUND_LATE",
    "MASTER_DATA",
    "ORDER_AT_RISK",
    "RECENT_DAYS",
    "REORDER_DUE",
    "STOCKOUT_RISK",
    "SUPPLIER_DECLINE",
    "SUPPLY_ACTIONS",
    "detect_chunk",
    "supplier_decline",
    "supplier_exposure",
]


def detect_chunk(
    *,
    plans: pd.DataFrame,
    recs: pd.DataFrame,
    po_lines: pd.DataFrame,
    so_lines: pd.DataFrame,
    as_of,
    settings: ScoringSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Every SKU-location-level exception of one chunk."""
    if plans.empty:
        return _empty()
    as_of = pd.Timestamp(as_of)
    p = _derived(plans)
    stockout = _num(p, "stockout_day")
    lead = np.nan_to_num(_num(p, "lead_time_mean"), nan=14.0)
    position = np.nan_to_num(_num(p, "inventory_position"))
    order_up_to = np.nan_to_num(_num(p, "order_up_to"))
    weekly = np.maximum(np.nan_to_num(_num(p, "forecast_weekly")), 0.0)

    # -- which SKU-locations hold which condition ----------------------------------------------------------------
    is_stockout = np.isfinite(stockout) & (stockout <= np.ceil(lead))
    late = _late_lines(p, po_lines)
    late_ids = set(late["item_location_id"].tolist()) if len(late) else set()
    excess_level = order_up_to + settings.excess_weeks * weekly
    no_history = np.array(
        ["no_history" in {clean_flag(f) for f in (row or [])} for row in p["flags"]], dtype=bool
    )
    # Dead stock without any forecast is left to the excess rule of the engine (a defer/cancel recommendation).
    is_excess_rule = (position > excess_level) & ~no_history & (weekly > 0)
    rec_excess_ids = (
        set(recs.loc[recs["action"].isin(EXCESS_ACTIONS), "item_location_id"]) if len(recs) else set()
    )
    stockout_ids = set(p.loc[is_stockout, "item_location_id"].tolist())
    excess_ids = set(p.loc[is_excess_rule, "item_location_id"].tolist()) | rec_excess_ids
    recs = recs.copy() if recs is not None else pd.DataFrame()
    if len(recs):
        line_cost = po_lines.set_index("po_line_id")["unit_cost"] if len(po_lines) else pd.Series(dtype=float)
        recs["line_unit_cost"] = recs["po_line_id"].map(line_cost) if len(line_cost) else np.nan
        recs["transfer_days"] = [
            (f or {}).get("transfer_days", np.nan) if isinstance(f, dict) else np.nan for f in recs["factors"]
        ]
    assigned = _assign_recommendations(recs, stockout_ids, late_ids)
    rec_columns = [
        "recommendation_id",
        "item_location_id",
        "type",
        "action",
        "quantity",
        "due_day",
        "new_day",
        "line_unit_cost",
        "transfer_days",
        "po_line_id",
    ]
    po_promised = (
        po_lines.set_index("po_line_id")["promised_day"]
        if po_lines is not None and len(po_lines)
        else pd.Series(dtype=float)
    )
    assigned = assigned[rec_columns] if len(assigned) else pd.DataFrame(columns=rec_columns)
    orders = _orders_at_risk(p.assign(stockout_day=stockout), so_lines)
    p = p.merge(orders, on="item_location_id", how="left")
    for column in ("revenue", "penalties", "tiered_lines", "tiered_revenue", "tiered_penalties", "lines"):
        p[column] = np.nan_to_num(_num(p, column))
    pieces = []

    # -- stockout within lead time, and reorder point reached (a supply recommendation without that risk) --------
    for kind in (STOCKOUT_RISK, REORDER_DUE):
        if kind == STOCKOUT_RISK:
            rows = p[is_stockout]
            rows = _with_recs(rows, assigned, kind)
        else:
            mine = assigned[assigned["type"] == REORDER_DUE]
            rows = _with_recs(p[p["item_location_id"].isin(mine["item_location_id"])], assigned, kind)
        if rows.empty:
            continue
        cost, feasible, basis = _action_terms(rows, settings)
        weight = rows["p_stockout"].to_numpy()
        due = np.where(np.isfinite(_num(rows, "rec_due_day")), _num(rows, "rec_due_day"), 0.0)
        summaries = [
            (
                f"Runs out {_day_text(s, as_of)} ({_fmt(s)} days), within the {_fmt(lt)}-day lead time: position "
                f"{_fmt(ip)} against a reorder point of {_fmt(rop)}."
                if kind == STOCKOUT_RISK
                else f"Position {_fmt(ip)} is at or near the reorder point {_fmt(rop)} (lead time {_fmt(lt)} days); "
                f"projected stockout {_day_text(s, as_of)}."
            )
            for s, lt, ip, rop in zip(
                _num(rows, "stockout_day"),
                _num(rows, "lead_time_mean"),
                _num(rows, "inventory_position"),
                _num(rows, "reorder_point"),
            )
        ]
        facts = [
            {
                "lead_time_demand_mean": round(float(m), 2),
                "lead_time_demand_sd": round(float(s), 2),
                "stockout_probability": round(float(w), 4),
                "order_lines_at_risk": int(n),
                "order_revenue_at_risk_unweighted": round(float(r), 2),
                "penalties_unweighted": round(float(pe), 2),
            }
            for m, s, w, n, r, pe in zip(
                rows["ltd_mean"], rows["ltd_sd"], weight, rows["lines"], rows["revenue"], rows["penalties"]
            )
        ]
        for b, w in zip(basis, weight):
            b["stockout_probability"] = round(float(w), 6)
        pieces.append(
            _finish(
                rows,
                kind,
                due_day=np.maximum(due, 0.0),
                expected_short_units=rows["short_lt"].to_numpy(),
                unit_margin=rows["unit_margin"].to_numpy(),
                revenue_at_risk=rows["revenue"].to_numpy() * weight,
                tier_penalties=rows["penalties"].to_numpy() * weight,
                action_cost=cost,
                feasibility=feasible,
                basis=basis,
                facts=facts,
                summary=summaries,
            )
        )

    # -- inbound shipment late -----------------------------------------------------------------------------------
    if len(late):
        rows = p.merge(late, on="item_location_id", how="inner")
        rows = _with_recs(rows, assigned, INBOUND_LATE)
        cost, feasible, basis = _action_terms(rows, settings)
        daily = rows["daily"].to_numpy()
        days_late = rows["late_days"].to_numpy(dtype=np.float64)
        short = np.minimum(rows["late_units"].to_numpy(dtype=np.float64), daily * days_late)
        summaries = [
            f"PO {num} ({_fmt(q)} units) now arrives {_day_text(eff, as_of)} by {src}, {_fmt(d)} days after it is "
            f"needed on {_day_text(need, as_of)}."
            for num, q, eff, src, d, need in zip(
                rows["late_po_number"],
                rows["late_line_units"],
                rows["late_effective_day"],
                rows["late_source"],
                days_late,
                rows["late_need_day"],
            )
        ]
        facts = [
            {"lines": lines, "late_units": float(u), "days_late": float(d)}
            for lines, u, d in zip(rows["late_lines"], rows["late_units"], days_late)
        ]
        for b, d, u in zip(basis, days_late, rows["late_units"].to_numpy(dtype=np.float64)):
            b.update({"days_late": float(d), "late_units": float(u)})
        out = _finish(
            rows,
            INBOUND_LATE,
            due_day=np.maximum(np.nan_to_num(rows["late_need_day"].to_numpy(dtype=np.float64)) - 1, 0),
            expected_short_units=short,
            unit_margin=rows["unit_margin"].to_numpy(),
            revenue_at_risk=0.0,
            tier_penalties=0.0,
            action_cost=cost,
            feasibility=feasible,
            basis=basis,
            facts=facts,
            summary=summaries,
        )
        out["has_asn"] = rows["late_has_asn"].to_numpy(dtype=bool)
        pieces.append(out)

    # -- open orders of tiered customers at risk -----------------------------------------------------------------
    rows = p[p["tiered_lines"] > 0]
    if len(rows):
        summaries = [
            f"{int(n)} order line{'s' if n != 1 else ''} of tiered customers ({cust}) at risk: {_fmt(u)} units, "
            f"{int(b)} already backordered; first due {_day_text(first, as_of)}."
            for n, cust, u, b, first in zip(
                rows["tiered_lines"],
                rows["customers"].fillna(""),
                rows["tiered_units"],
                rows["backordered_tiered"],
                rows["first_day"],
            )
        ]
        facts = [
            {"tiered_lines": int(n), "tiered_units": float(u), "backordered_lines": int(b)}
            for n, u, b in zip(rows["tiered_lines"], rows["tiered_units"], rows["backordered_tiered"])
        ]
        pieces.append(
            _finish(
                rows,
                ORDER_AT_RISK,
                due_day=np.maximum(np.nan_to_num(rows["first_day"].to_numpy(dtype=np.float64)), 0),
                expected_short_units=0.0,
                unit_margin=rows["unit_margin"].to_numpy(),
                revenue_at_risk=rows["tiered_revenue"].to_numpy(),
                tier_penalties=rows["tiered_penalties"].to_numpy(),
                action_cost=0.0,
                feasibility=1.0,
                basis=[{"weight": 1.0} for _ in range(len(rows))],
                facts=facts,
                summary=summaries,
            )
        )

    # -- excess / overstock --------------------------------------------------------------------------------------
    rows = p[p["item_location_id"].isin(excess_ids)]
    if len(rows):
        rows = _with_recs(rows, assigned, EXCESS)
        level = _num(rows, "order_up_to") + settings.excess_weeks * np.maximum(
            np.nan_to_num(_num(rows, "forecast_weekly")), 0
        )
        position_r = np.nan_to_num(_num(rows, "inventory_position"))
        units = np.maximum(position_r - level, 0.0)
        rec_q = np.nan_to_num(_num(rows, "rec_quantity"))
        has_action = (
            rows["rec_action"].isin(EXCESS_ACTIONS).to_numpy()
            if "rec_action" in rows
            else np.zeros(len(rows), bool)
        )
        fallback = np.minimum(rec_q, np.maximum(position_r - np.nan_to_num(_num(rows, "order_up_to")), 0.0))
        units = np.floor(np.where(units > 0, units, fallback))
        unit_cost = np.nan_to_num(_num(rows, "unit_cost"))
        # The capital acting frees: a deferred or cancelled PO line keeps min(excess, line) x cost out of stock;
        # without an action only the carrying cost of the excess (a year at the holding rate) is at stake.
        released = np.where(has_action, np.minimum(units, rec_q), 0.0)
        capital = np.where(has_action, released * unit_cost, units * unit_cost * settings.holding_rate)
        summaries = [
            f"Position {_fmt(ip)} is {_fmt(u)} units above the order-up-to level {_fmt(out)} plus "
            f"{_fmt(settings.excess_weeks)} weeks of demand: {_fmt(u * c, 2)} of working capital tied up"
            + (
                f"; acting keeps {_fmt(r * c, 2)} of it free."
                if act
                else f"; carrying it costs {_fmt(u * c * settings.holding_rate, 2)} a year."
            )
            for ip, u, out, c, r, act in zip(
                position_r, units, _num(rows, "order_up_to"), unit_cost, released, has_action
            )
        ]
        # Defer or cancel before the line ships: two days before it is due in, within a week at most.
        line_due = (
            rows["rec_po_line_id"].map(po_promised)
            if "rec_po_line_id" in rows
            else pd.Series(np.nan, index=rows.index)
        )
        line_due = pd.to_numeric(line_due, errors="coerce").to_numpy(dtype=np.float64)
        due = np.where(has_action, np.clip(np.nan_to_num(line_due - 2.0, nan=7.0), 0.0, 7.0), 14.0)
        pieces.append(
            _finish(
                rows,
                EXCESS,
                due_day=due,
                expected_short_units=0.0,
                unit_margin=rows["unit_margin"].to_numpy(),
                revenue_at_risk=0.0,
                tier_penalties=0.0,
                action_cost=0.0,
                feasibility=1.0,
                working_capital=capital,
                basis=[
                    {
                        "excess_units": float(u),
                        "unit_cost": round(float(c), 4),
                        "excess_weeks": settings.excess_weeks,
                        "released_units": float(r),
                        "holding_rate": None if act else settings.holding_rate,
                        "tied_up": round(float(u * c), 2),
                    }
                    for u, c, r, act in zip(units, unit_cost, released, has_action)
                ],
                facts=[
                    {"excess_units": float(u), "excess_level": round(float(lv), 2)}
                    for u, lv in zip(units, level)
                ],
                summary=summaries,
            )
        )

    # -- master-data faults --------------------------------------------------------------------------------------
    faults = _master_data_faults(p)
    has_fault = np.array([bool(f) for f in faults])
    if has_fault.any():
        rows = p[has_fault]
        fault_lists = [f for f in faults if f]
        revenue = np.nan_to_num(rows["ltd_mean"].to_numpy()) * np.nan_to_num(_num(rows, "unit_price"))
        pieces.append(
            _finish(
                rows,
                MASTER_DATA,
                due_day=7.0,
                expected_short_units=0.0,
                unit_margin=rows["unit_margin"].to_numpy(),
                revenue_at_risk=revenue,
                tier_penalties=0.0,
                action_cost=0.0,
                feasibility=1.0,
                basis=[
                    {"lead_time_demand_mean": round(float(m), 3), "unit_price": round(float(pr), 4)}
                    for m, pr in zip(rows["ltd_mean"], np.nan_to_num(_num(rows, "unit_price")))
                ],
                facts=[{"faults": f} for f in fault_lists],
                summary=[f"Master-data fault: {', '.join(FAULT_LABELS[x] for x in f)}." for f in fault_lists],
            )
        )

    if not pieces:
        return _empty()
    return pd.concat(pieces, ignore_index=True)
