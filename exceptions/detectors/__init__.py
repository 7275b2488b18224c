"""Detectors: set-based rules over one chunk of the plan (pure pandas/numpy; no Django), one function each.

Inputs are DataFrames built by `exceptions.refresh` (dates are float day offsets from the as-of date, NaN = none):

- plans: one row per SKU-location with its SkuPlan figures, item money figures, primary supplier and master data.
- recs: the run's Recommendation rows.  - po_lines: open PO lines with their ASN.  - so_lines: open order lines.

`detect_chunk` prepares a `Chunk` (derived figures, which recommendation goes to which detection) and runs every
detector of `DETECTORS`; each returns rows of `DETECTION_COLUMNS` carrying the inputs of the value at stake (the
benefit parts, the action's cost and its feasibility: see replenish.engine.value) and the facts behind it. Each
engine recommendation is linked to exactly one detection, so approving two exceptions can never post the same
action twice: expedite -> inbound late (else stockout, else reorder); purchase order / transfer -> stockout (else
reorder due); defer / cancel -> excess.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from replenish.engine import value as v
from replenish.engine.confidence import clean_flag

from .actions import _assign_recommendations, _with_recs, action_terms
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
    Chunk,
    _day_text,
    _derived,
    _empty,
    _finish,
    _fmt,
    _num,
)
from .lines import (
    FAULT_LABELS,
    _late_lines,
    _master_data_faults,
    _orders_at_risk,
    late_line_frame,
    next_arrival_day,
)
from .supplier import BASELINE_DAYS, RECENT_DAYS, supplier_decline, supplier_exposure

__all__ = [
    "BASELINE_DAYS",
    "DETECTION_COLUMNS",
    "DETECTORS",
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

REC_COLUMNS = [
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


# --- shortage: stockout within the horizon, reorder point reached -------------------------------------------------


def _shortage(c: Chunk, kind: str, rows: pd.DataFrame) -> pd.DataFrame | None:
    rows = _with_recs(rows, c.assigned, kind)
    if rows.empty:
        return None
    cost, feasible, basis = action_terms(rows, c.settings)
    weight = rows["p_stockout"].to_numpy()
    named_units = rows["units"].to_numpy() * weight
    shortage = v.shortage_parts(
        short_units=rows["short_h"].to_numpy(),
        unit_margin=rows["unit_margin"].to_numpy(),
        named_short_units=named_units,
        named_margin=rows["margin"].to_numpy() * weight,
        named_penalties=rows["penalties"].to_numpy() * weight,
    )
    due = np.where(np.isfinite(_num(rows, "rec_due_day")), _num(rows, "rec_due_day"), 0.0)
    if kind == STOCKOUT_RISK:
        text = "Runs out {s} ({d} days), within the {lt}-day lead time: position {ip} against a reorder point of {rop}."
    else:
        text = "Position {ip} is at or near the reorder point {rop} (lead time {lt} days); projected stockout {s}."
    summaries = [
        text.format(s=_day_text(s, c.as_of), d=_fmt(s), lt=_fmt(lt), ip=_fmt(ip), rop=_fmt(rop))
        for s, lt, ip, rop in zip(
            _num(rows, "stockout_day"),
            _num(rows, "lead_time_mean"),
            _num(rows, "inventory_position"),
            _num(rows, "reorder_point"),
        )
    ]
    facts = [
        {
            "horizon_demand_mean": round(float(m), 2),
            "horizon_demand_sd": round(float(s), 2),
            "stockout_probability": round(float(w), 4),
            "order_lines_at_risk": int(n),
            "order_units_at_risk": float(u),
        }
        for m, s, w, n, u in zip(rows["ltd_mean"], rows["ltd_sd"], weight, rows["lines"], rows["units"])
    ]
    for b, w in zip(basis, weight):
        b["stockout_probability"] = round(float(w), 6)
    return _finish(
        rows,
        kind,
        due_day=np.maximum(due, 0.0),
        expected_short_units=rows["short_h"].to_numpy(),
        named_short_units=named_units,
        lost_margin=shortage["lost_margin"],
        order_exposure=shortage["order_exposure"],
        tier_penalties=shortage["tier_penalties"],
        action_cost=cost,
        feasibility=feasible,
        basis=basis,
        facts=facts,
        summary=summaries,
    )


def detect_stockout(c: Chunk) -> pd.DataFrame | None:
    return _shortage(c, STOCKOUT_RISK, c.plans[c.stockout_mask])


def detect_reorder_due(c: Chunk) -> pd.DataFrame | None:
    mine = c.assigned[c.assigned["type"] == REORDER_DUE] if len(c.assigned) else c.assigned
    if mine.empty:
        return None
    return _shortage(c, REORDER_DUE, c.plans[c.plans["item_location_id"].isin(mine["item_location_id"])])


# --- inbound late ---------------------------------------------------------------------------------------------------


def detect_inbound_late(c: Chunk) -> pd.DataFrame | None:
    if c.late.empty:
        return None
    rows = _with_recs(c.plans.merge(c.late, on="item_location_id", how="inner"), c.assigned, INBOUND_LATE)
    cost, feasible, basis = action_terms(rows, c.settings)
    days_late = rows["late_days"].to_numpy(dtype=np.float64)
    late_units = rows["late_units"].to_numpy(dtype=np.float64)
    short = v.late_inbound_short_units(
        late_units, rows["daily"].to_numpy(), days_late, rows["p_stockout"].to_numpy()
    )
    summaries = [
        f"PO {num} ({_fmt(q)} units) now arrives {_day_text(eff, c.as_of)} by {src}, {_fmt(d)} days after it is "
        f"needed on {_day_text(need, c.as_of)}."
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
        for lines, u, d in zip(rows["late_lines"], late_units, days_late)
    ]
    for b, d, u, w in zip(basis, days_late, late_units, rows["p_stockout"].to_numpy()):
        b.update({"days_late": float(d), "late_units": float(u), "stockout_probability": round(float(w), 6)})
    out = _finish(
        rows,
        INBOUND_LATE,
        due_day=np.maximum(np.nan_to_num(rows["late_need_day"].to_numpy(dtype=np.float64)) - 1, 0),
        expected_short_units=short,
        lost_margin=short * rows["unit_margin"].to_numpy(),
        action_cost=cost,
        feasibility=feasible,
        basis=basis,
        facts=facts,
        summary=summaries,
    )
    out["has_asn"] = rows["late_has_asn"].to_numpy(dtype=bool)
    return out


def detect_late_shipments(c: Chunk) -> pd.DataFrame | None:
    """One row per late PO line on an ASN in transit (transportation's view, assembled per shipment by the
    refresh): the margin of the demand it leaves unserved while late."""
    lines = late_line_frame(c.plans, c.po_lines)
    if lines.empty or "asn_shipment_id" not in lines:
        return None
    lines = lines[lines["_has_asn"].to_numpy(dtype=bool) & lines["asn_shipment_id"].notna().to_numpy()]
    if lines.empty:
        return None
    rows = lines.merge(
        c.plans[["item_location_id", "daily", "p_stockout", "unit_margin", "horizon_days"]],
        on="item_location_id",
    )
    days_late = rows["_late_days"].to_numpy(dtype=np.float64)
    units = rows["quantity_open"].to_numpy(dtype=np.float64)
    short = v.late_inbound_short_units(
        units, rows["daily"].to_numpy(), days_late, rows["p_stockout"].to_numpy()
    )
    facts = [
        {
            "po_line_id": int(line),
            "po_number": str(number),
            "asn_number": str(asn),
            "quantity": float(q),
            "days_late": float(d),
            "need_day": float(need),
            "arrival_day": float(eff),
        }
        for line, number, asn, q, d, need, eff in zip(
            rows["po_line_id"],
            rows["po_number"],
            rows["asn_number"],
            units,
            days_late,
            rows["_need"],
            rows["_effective"],
        )
    ]
    out = _finish(
        rows,
        INBOUND_LATE,
        due_day=np.maximum(np.nan_to_num(rows["_need"].to_numpy(dtype=np.float64)) - 1, 0),
        expected_short_units=short,
        lost_margin=short * rows["unit_margin"].to_numpy(),
        basis=[{"days_late": float(d), "late_units": float(u)} for d, u in zip(days_late, units)],
        facts=facts,
        summary=[
            f"PO {f['po_number']} ({_fmt(f['quantity'])} units) on ASN {f['asn_number']} arrives "
            f"{_day_text(f['arrival_day'], c.as_of)}, {_fmt(f['days_late'])} days after it is needed."
            for f in facts
        ],
    )
    out["has_asn"] = True
    out["shipment_id"] = rows["asn_shipment_id"].to_numpy(dtype=np.float64)
    return out


# --- open orders of tiered customers at risk ------------------------------------------------------------------------


def detect_order_at_risk(c: Chunk) -> pd.DataFrame | None:
    rows = c.plans[c.plans["tiered_lines"] > 0]
    if rows.empty:
        return None
    summaries = [
        f"{int(n)} order line{'s' if n != 1 else ''} of tiered customers ({cust}) at risk: {_fmt(u)} units, "
        f"{int(b)} already backordered; first due {_day_text(first, c.as_of)}."
        for n, cust, u, b, first in zip(
            rows["tiered_lines"],
            rows["customers"].fillna(""),
            rows["tiered_units"],
            rows["backordered_tiered"],
            rows["first_day"],
        )
    ]
    # the date the lines can be promised: the next supply to land, else a new order's lead time
    arrival = rows["item_location_id"].map(next_arrival_day(c.plans, c.po_lines)).to_numpy(dtype=np.float64)
    promise = np.where(np.isfinite(arrival), arrival, np.nan_to_num(_num(rows, "lead_time_mean"), nan=14.0))
    facts = [
        {
            "tiered_lines": int(n),
            "tiered_units": float(u),
            "backordered_lines": int(b),
            "order_lines": lines if isinstance(lines, list) else [],
            "promise_day": float(np.ceil(day)),
        }
        for n, u, b, lines, day in zip(
            rows["tiered_lines"],
            rows["tiered_units"],
            rows["backordered_tiered"],
            rows["order_lines"],
            promise,
        )
    ]
    return _finish(
        rows,
        ORDER_AT_RISK,
        due_day=np.maximum(np.nan_to_num(rows["first_day"].to_numpy(dtype=np.float64)), 0),
        expected_short_units=rows["tiered_units"].to_numpy(),
        named_short_units=rows["tiered_units"].to_numpy(),
        order_exposure=rows["tiered_margin"].to_numpy(),
        tier_penalties=rows["tiered_penalties"].to_numpy(),
        basis=[{"weight": 1.0} for _ in range(len(rows))],
        facts=facts,
        summary=summaries,
    )


# --- excess ---------------------------------------------------------------------------------------------------------


def detect_excess(c: Chunk) -> pd.DataFrame | None:
    p, s = c.plans, c.settings
    no_history = np.array(
        ["no_history" in {clean_flag(f) for f in (row or [])} for row in p["flags"]], dtype=bool
    )
    units_all = v.excess_units(
        _num(p, "inventory_position"), _num(p, "order_up_to"), _num(p, "forecast_weekly"), s
    )
    # Dead stock without any forecast is left to the excess rule of the engine (a defer/cancel recommendation).
    by_rule = (units_all > 0) & ~no_history & (np.nan_to_num(_num(p, "forecast_weekly")) > 0)
    mine = c.assigned[c.assigned["type"] == EXCESS] if len(c.assigned) else c.assigned
    rows = p[by_rule | p["item_location_id"].isin(mine.get("item_location_id", []))]
    if rows.empty:
        return None
    rows = _with_recs(rows, c.assigned, EXCESS)
    position, order_up_to = (
        np.nan_to_num(_num(rows, "inventory_position")),
        np.nan_to_num(_num(rows, "order_up_to")),
    )
    weekly = np.maximum(np.nan_to_num(_num(rows, "forecast_weekly")), 0.0)
    rec_q = np.nan_to_num(_num(rows, "rec_quantity"))
    action = (
        rows["rec_action"].fillna("").to_numpy(dtype=object)
        if "rec_action" in rows
        else np.full(len(rows), "")
    )
    has_action = np.isin(action, EXCESS_ACTIONS)
    units = v.excess_units(position, order_up_to, weekly, s)
    units = np.where(units > 0, units, np.floor(np.minimum(rec_q, np.maximum(position - order_up_to, 0.0))))
    unit_cost = np.nan_to_num(_num(rows, "unit_cost"))
    cover = v.weeks_of_cover(units, weekly)
    released = np.where(has_action, np.minimum(units, rec_q), 0.0)
    defer_days = np.nan_to_num(_num(rows, "rec_new_day") - _num(rows, "rec_line_promised_day"))
    horizon_weeks = _num(rows, "horizon_days") / 7.0
    # Acting on a PO line avoids the holding cost of the units it stops; with nothing to stop, what waiting one
    # decision horizon costs is the holding of the excess over that horizon.
    avoided = np.where(
        has_action,
        v.excess_action_holding(action, released, unit_cost, cover, defer_days, s),
        v.holding_cost(units, unit_cost, np.minimum(horizon_weeks, cover), s)["holding_cost"],
    )
    money = v.holding_cost(units, unit_cost, cover, s)
    summaries = [
        f"Position {_fmt(ip)} is {_fmt(u)} units above the order-up-to level {_fmt(out)} plus "
        f"{_fmt(s.excess_weeks)} weeks of demand: {_fmt(cap, 2)} of capital, {_fmt(w, 0)} weeks of cover"
        + (f"; acting stops {_fmt(r)} of them." if act else "; no open PO line to stop.")
        for ip, u, out, cap, w, r, act in zip(
            position, units, order_up_to, money["capital"], cover, released, has_action
        )
    ]
    line_due = _num(rows, "rec_line_promised_day")
    due = np.where(has_action, np.clip(np.nan_to_num(line_due - 2.0, nan=7.0), 0.0, 7.0), 14.0)
    basis = [
        {
            "excess_units": float(u),
            "unit_cost": round(float(cost), 4),
            "capital": round(float(cap), 2),
            "weeks_of_cover": None if not np.isfinite(w) else round(float(w), 2),
            "holding_rate": s.holding_rate,
            "obsolescence_share": s.obsolescence_share,
            "holding_over_cover": round(float(hc), 2),
            "released_units": float(r),
            "defer_days": float(d) if act == v.DEFER else None,
            "action": act or None,
        }
        for u, cost, cap, w, hc, r, d, act in zip(
            units, unit_cost, money["capital"], cover, money["holding_cost"], released, defer_days, action
        )
    ]
    return _finish(
        rows,
        EXCESS,
        due_day=due,
        holding_cost=avoided,
        basis=basis,
        facts=[
            {"excess_units": float(u), "capital": round(float(cap), 2)}
            for u, cap in zip(units, money["capital"])
        ],
        summary=summaries,
    )


# --- master-data faults ---------------------------------------------------------------------------------------------


def detect_master_data(c: Chunk) -> pd.DataFrame | None:
    faults = _master_data_faults(c.plans)
    has_fault = np.array([bool(f) for f in faults], dtype=bool)
    if not has_fault.any():
        return None
    rows = c.plans[has_fault]
    fault_lists = [f for f in faults if f]
    # The margin of the demand planned through the faulty record over the decision horizon.
    flowing = np.nan_to_num(rows["ltd_mean"].to_numpy())
    return _finish(
        rows,
        MASTER_DATA,
        due_day=7.0,
        expected_short_units=0.0,
        lost_margin=flowing * rows["unit_margin"].to_numpy(),
        basis=[{"horizon_demand_mean": round(float(m), 3)} for m in flowing],
        facts=[{"faults": f} for f in fault_lists],
        summary=[f"Master-data fault: {', '.join(FAULT_LABELS[x] for x in f)}." for f in fault_lists],
    )


Detector = Callable[[Chunk], "pd.DataFrame | None"]
DETECTORS: dict[str, Detector] = {
    STOCKOUT_RISK: detect_stockout,
    REORDER_DUE: detect_reorder_due,
    INBOUND_LATE: detect_inbound_late,
    "late_shipment": detect_late_shipments,
    ORDER_AT_RISK: detect_order_at_risk,
    EXCESS: detect_excess,
    MASTER_DATA: detect_master_data,
}


def _prepare(plans, recs, po_lines, so_lines, as_of, settings: v.ValueSettings) -> Chunk:
    """Derived figures, late lines, orders at risk, and which recommendation each detection takes."""
    p = _derived(plans, settings)
    stockout = _num(p, "stockout_day")
    lead = np.nan_to_num(_num(p, "lead_time_mean"), nan=14.0)
    is_stockout = np.isfinite(stockout) & (stockout <= np.ceil(lead))
    late = _late_lines(p, po_lines)
    recs = recs.copy() if recs is not None else pd.DataFrame()
    if len(recs):
        lines = po_lines.set_index("po_line_id") if len(po_lines) else pd.DataFrame(columns=["unit_cost"])
        recs["line_unit_cost"] = recs["po_line_id"].map(lines["unit_cost"]) if len(lines) else np.nan
        recs["line_promised_day"] = recs["po_line_id"].map(lines["promised_day"]) if len(lines) else np.nan
        recs["transfer_days"] = [
            (f or {}).get("transfer_days", np.nan) if isinstance(f, dict) else np.nan for f in recs["factors"]
        ]
    stockout_ids = set(p.loc[is_stockout, "item_location_id"].tolist())
    late_ids = set(late["item_location_id"].tolist()) if len(late) else set()
    assigned = _assign_recommendations(recs, stockout_ids, late_ids)
    columns = [*REC_COLUMNS, "line_promised_day"]
    assigned = assigned.reindex(columns=columns) if len(assigned) else pd.DataFrame(columns=columns)
    orders = _orders_at_risk(p, so_lines)
    p = p.merge(orders, on="item_location_id", how="left")
    for column in (
        "margin",
        "penalties",
        "lines",
        "units",
        "tiered_lines",
        "tiered_margin",
        "tiered_penalties",
    ):
        p[column] = np.nan_to_num(_num(p, column))
    mask = p["item_location_id"].isin(stockout_ids).to_numpy()
    return Chunk(p, recs, po_lines, so_lines, pd.Timestamp(as_of), settings, assigned, late, mask)


def detect_chunk(
    *,
    plans: pd.DataFrame,
    recs: pd.DataFrame,
    po_lines: pd.DataFrame,
    so_lines: pd.DataFrame,
    as_of,
    settings: v.ValueSettings = v.DEFAULT_SETTINGS,
    detectors: dict[str, Detector] | None = None,
) -> pd.DataFrame:
    """Every SKU-location-level detection of one chunk, from each detector of the registry."""
    if plans.empty:
        return _empty()
    chunk = _prepare(plans, recs, po_lines, so_lines, as_of, settings)
    pieces = [
        frame
        for detect in (detectors or DETECTORS).values()
        if (frame := detect(chunk)) is not None and len(frame)
    ]
    return pd.concat(pieces, ignore_index=True) if pieces else _empty()
