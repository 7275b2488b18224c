"""Order lines at risk, late inbound lines and master-data faults, per SKU-location."""

from __future__ import annotations

import numpy as np
import pandas as pd

from replenish.engine import value as v
from replenish.engine.confidence import clean_flag

from .common import _num


def _orders_at_risk(plans: pd.DataFrame, so_lines: pd.DataFrame) -> pd.DataFrame:
    """Per SKU-location: open order lines at risk within the decision horizon (their unallocated units, the margin of
    those units at each line's own price, tier penalties, counts), and the tiered customers' lines at risk."""
    columns = [
        "item_location_id",
        "margin",
        "penalties",
        "lines",
        "units",
        "tiered_lines",
        "tiered_margin",
        "tiered_penalties",
        "tiered_units",
        "backordered_tiered",
        "first_day",
        "customers",
    ]
    if so_lines is None or so_lines.empty:
        return pd.DataFrame(columns=columns)
    lines = so_lines.merge(
        plans[["item_location_id", "horizon_days", "stockout_day", "unit_cost"]],
        on="item_location_id",
        how="inner",
    )
    unallocated = _num(lines, "quantity_unallocated")
    requested = _num(lines, "requested_day")
    backordered = lines["backordered"].to_numpy(dtype=bool)
    horizon = np.nan_to_num(_num(lines, "horizon_days"), nan=15.0)
    # At risk within the horizon: unallocated and backordered, or due before replenishment can arrive.
    at_risk = (unallocated > 0) & (backordered | (requested <= horizon))
    # A tiered customer's line is at risk for the order-at-risk detector exactly when the customer-service queue holds
    # it (`service_at_risk`: a live CustomerServiceTask, written by the order-line ATP in exceptions.workflows.atp
    # for this chunk just before it was read): one list of at-risk lines, counted here and listed there.
    tiered = lines["tiered"].to_numpy(dtype=bool)
    flagged = lines["service_at_risk"] if "service_at_risk" in lines else pd.Series(False, index=lines.index)
    tiered_risk = tiered & flagged.fillna(False).to_numpy(dtype=bool)
    parts = v.order_line_parts(
        units=unallocated,
        unit_price=_num(lines, "unit_price"),
        unit_cost=np.nan_to_num(_num(lines, "unit_cost")),
        penalty_per_line=np.where(tiered, _num(lines, "penalty_per_line"), 0.0),
        penalty_rate=np.where(tiered, _num(lines, "penalty_rate"), 0.0),
    )
    margin, penalty = parts["order_exposure"], parts["tier_penalties"]
    # the tiered lines the queue holds are valued on the units their ATP leaves short, as the queue values them
    short = np.where(
        tiered_risk,
        np.nan_to_num(_num(lines, "service_short_units")) if "service_short_units" in lines else 0.0,
        0.0,
    )
    tiered_parts = v.order_line_parts(
        units=short,
        unit_price=_num(lines, "unit_price"),
        unit_cost=np.nan_to_num(_num(lines, "unit_cost")),
        penalty_per_line=_num(lines, "penalty_per_line"),
        penalty_rate=_num(lines, "penalty_rate"),
    )
    value = unallocated * _num(lines, "unit_price")
    lines = lines.assign(
        _risk=at_risk,
        _tiered_risk=tiered_risk,
        _value=value,
        _margin=margin,
        _penalty=penalty,
        _units=unallocated,
        _short=short,
        _tiered_margin=tiered_parts["order_exposure"],
        _tiered_penalty=tiered_parts["tier_penalties"],
        _backordered_tiered=tiered_risk & backordered,
        _requested=requested,
    )
    risky = lines[lines["_risk"] | lines["_tiered_risk"]]
    if risky.empty:
        return pd.DataFrame(columns=columns)
    g = risky.assign(
        margin=np.where(risky["_risk"], risky["_margin"], 0.0),
        penalties=np.where(risky["_risk"], risky["_penalty"], 0.0),
        lines=risky["_risk"].astype(int),
        units=np.where(risky["_risk"], risky["_units"], 0.0),
        tiered_lines=risky["_tiered_risk"].astype(int),
        tiered_margin=np.where(risky["_tiered_risk"], risky["_tiered_margin"], 0.0),
        tiered_penalties=np.where(risky["_tiered_risk"], risky["_tiered_penalty"], 0.0),
        tiered_units=np.where(risky["_tiered_risk"], risky["_short"], 0.0),
        backordered_tiered=risky["_backordered_tiered"].astype(int),
        first_day=np.where(risky["_tiered_risk"], risky["_requested"], np.inf),
    ).groupby("item_location_id", sort=False)
    summary = g.agg(
        margin=("margin", "sum"),
        penalties=("penalties", "sum"),
        lines=("lines", "sum"),
        units=("units", "sum"),
        tiered_lines=("tiered_lines", "sum"),
        tiered_margin=("tiered_margin", "sum"),
        tiered_penalties=("tiered_penalties", "sum"),
        tiered_units=("tiered_units", "sum"),
        backordered_tiered=("backordered_tiered", "sum"),
        first_day=("first_day", "min"),
    ).reset_index()
    tiered_rows = risky[risky["_tiered_risk"]]
    names = (
        tiered_rows.groupby("item_location_id", sort=False)["customer"]
        .agg(lambda s: ", ".join(sorted(set(map(str, s)))[:3]))
        .rename("customers")
    )
    details = _line_details(tiered_rows)
    return summary.merge(names, on="item_location_id", how="left").merge(
        details, on="item_location_id", how="left"
    )


def _line_details(rows: pd.DataFrame) -> pd.DataFrame:
    """Per SKU-location: the tiered order lines at risk (what a re-promise writes to), at most 20."""
    detail: dict[int, list[dict]] = {}
    numbers = rows["line_number"] if "line_number" in rows else pd.Series(np.nan, index=rows.index)
    orders = rows["order_number"] if "order_number" in rows else pd.Series("", index=rows.index)
    for il, line, number, order, units, requested in zip(
        rows["item_location_id"].tolist(),
        rows["line_id"].tolist(),
        numbers.tolist(),
        orders.tolist(),
        rows["_short"].tolist(),
        rows["_requested"].tolist(),
    ):
        entries = detail.setdefault(il, [])
        if len(entries) < 20:
            entries.append(
                {
                    "sales_order_line_id": int(line),
                    "order_number": str(order),
                    "line": None if pd.isna(number) else int(number),
                    "units": float(units),
                    "requested_day": float(requested),
                }
            )
    return pd.DataFrame({"item_location_id": list(detail), "order_lines": list(detail.values())})


FAULT_LABELS = {
    "missing_lead_time": "no lead time (no receipts, no contract)",
    "no_supplier": "no primary supplier",
    "uom_mismatch": "purchase unit without a conversion to the base unit",
    "zero_cost": "zero unit cost",
}


def _master_data_faults(p: pd.DataFrame) -> list[list[str]]:
    """The faults of each plan's master data, in FAULT_LABELS' order of checking; each rule over the whole chunk at
    once (a fault is rare: the lists are built for the few rows that have one)."""
    source = p["lead_time_source"].fillna("").astype(str).to_numpy()
    supplier = _num(p, "supplier_id")
    purchase_uom = p.get("purchase_uom", pd.Series([""] * len(p))).fillna("").astype(str).to_numpy()
    base_uom = p.get("base_uom", pd.Series([""] * len(p))).fillna("").astype(str).to_numpy()
    has_conversion = (
        p.get("has_uom_conversion", pd.Series([True] * len(p))).fillna(False).to_numpy(dtype=bool)
    )
    cost = _num(p, "unit_cost")
    supplier_cost = _num(p, "supplier_item_cost")
    flagged: dict[tuple, bool] = {}  # a chunk's plans carry a handful of distinct flag lists
    for row in p["flags"]:
        key = tuple(row or ())
        if key not in flagged:
            flagged[key] = "zero_cost" in {clean_flag(f) for f in key}
    no_supplier = ~np.isfinite(supplier)
    rules = {
        "missing_lead_time": source == "default",
        "no_supplier": no_supplier,
        "uom_mismatch": ~no_supplier
        & (purchase_uom != "")
        & (base_uom != "")
        & (purchase_uom != base_uom)
        & ~has_conversion,
        "zero_cost": (np.isfinite(cost) & (np.nan_to_num(cost, nan=1.0) <= 0))
        | (np.isfinite(supplier_cost) & (np.nan_to_num(supplier_cost, nan=1.0) <= 0))
        | np.array([flagged[tuple(row or ())] for row in p["flags"]], dtype=bool),
    }
    result: list[list[str]] = [[] for _ in range(len(p))]
    for name, found in rules.items():
        for i in np.flatnonzero(found).tolist():
            result[i].append(name)
    return result


def late_line_frame(p: pd.DataFrame, po_lines: pd.DataFrame) -> pd.DataFrame:
    """The open PO lines whose ASN or acknowledged date is after the date they are needed, one row each.

    Need date = the promised date, or the projected stockout if that comes first (the line is what the plan counted
    on to prevent it). Adds _effective, _need, _late_days, _source ("ASN" / "acknowledgement"), _has_asn.
    """
    if po_lines is None or po_lines.empty:
        return pd.DataFrame()
    lines = po_lines.merge(
        p[["item_location_id"]].assign(stockout_day=_num(p, "stockout_day")), on="item_location_id"
    )
    if lines.empty:
        return lines
    asn = _num(lines, "asn_day")
    ack = _num(lines, "acknowledged_day")
    effective = np.fmax(asn, ack)  # the later of the two known dates (NaN ignored)
    promised = _num(lines, "promised_day")
    stockout = _num(lines, "stockout_day")
    need = np.where(np.isfinite(stockout), np.fmin(promised, np.maximum(stockout, 0.0)), promised)
    late = np.isfinite(effective) & (effective > need) & (_num(lines, "quantity_open") > 0)
    return lines.assign(
        _effective=effective,
        _need=need,
        _late_days=effective - need,
        _source=np.where(
            np.isfinite(asn) & (asn >= np.nan_to_num(ack, nan=-np.inf)), "ASN", "acknowledgement"
        ),
        _has_asn=np.isfinite(asn),
    )[late]


def _late_lines(p: pd.DataFrame, po_lines: pd.DataFrame) -> pd.DataFrame:
    """Per SKU-location: the late lines (late_line_frame): the worst line's figures and the list of late lines."""
    columns = [
        "item_location_id",
        "late_days",
        "late_units",
        "late_line_units",
        "late_po_number",
        "late_effective_day",
        "late_need_day",
        "late_source",
        "late_has_asn",
        "late_lines",
        "late_po_line_id",
    ]
    lines = late_line_frame(p, po_lines)
    if lines.empty:
        return pd.DataFrame(columns=columns)
    lines = lines.sort_values(["item_location_id", "_late_days"], ascending=[True, False], kind="stable")
    detail: dict[int, list[dict]] = {}
    suppliers = lines["supplier_id"].tolist() if "supplier_id" in lines else [None] * len(lines)
    for il, line, number, quantity, promised_day, effective_day, need_day, days_late, source, supplier in zip(
        lines["item_location_id"].tolist(),
        lines["po_line_id"].tolist(),
        lines["po_number"].tolist(),
        lines["quantity_open"].tolist(),
        lines["promised_day"].tolist(),
        lines["_effective"].tolist(),
        lines["_need"].tolist(),
        lines["_late_days"].tolist(),
        lines["_source"].tolist(),
        suppliers,
    ):
        entries = detail.setdefault(il, [])
        if len(entries) < 5:
            entries.append(
                {
                    "po_line_id": int(line),
                    "po_number": str(number),
                    "quantity": float(quantity),
                    "promised_day": float(promised_day),
                    "effective_day": float(effective_day),
                    "need_day": float(need_day),
                    "days_late": float(days_late),
                    "source": source,
                    "supplier_id": None if supplier is None or pd.isna(supplier) else int(supplier),
                }
            )
    worst = lines.drop_duplicates("item_location_id", keep="first").set_index("item_location_id")
    units = lines.groupby("item_location_id", sort=False)["quantity_open"].sum()
    result = pd.DataFrame(
        {
            "late_days": worst["_late_days"],
            "late_units": units,
            "late_line_units": worst["quantity_open"],
            "late_po_number": worst["po_number"],
            "late_effective_day": worst["_effective"],
            "late_need_day": worst["_need"],
            "late_source": worst["_source"],
            "late_has_asn": worst["_has_asn"],
            "late_po_line_id": worst["po_line_id"],
        }
    )
    result["late_lines"] = [detail.get(il, []) for il in result.index]
    return result.reset_index(names="item_location_id")[columns]


def next_arrival_day(p: pd.DataFrame, po_lines: pd.DataFrame) -> pd.Series:
    """Per SKU-location: the first day open supply lands (ASN, else acknowledgement, else promised date; a past
    date counts as today), or NaN without open supply: the date a re-promise can give."""
    if po_lines is None or po_lines.empty:
        return pd.Series(dtype=float)
    asn, ack, promised = (
        _num(po_lines, "asn_day"),
        _num(po_lines, "acknowledged_day"),
        _num(po_lines, "promised_day"),
    )
    day = np.where(np.isfinite(asn), asn, np.where(np.isfinite(ack), ack, promised))
    lines = pd.DataFrame(
        {"item_location_id": po_lines["item_location_id"].to_numpy(), "day": np.maximum(day, 0.0)}
    )
    lines = lines[(_num(po_lines, "quantity_open") > 0) & np.isfinite(day)]
    return lines.groupby("item_location_id")["day"].min()
