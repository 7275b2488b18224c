"""Reading one chunk of the plan (and the supplier statistics) into DataFrames."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import DecimalField, FloatField
from django.db.models.functions import Cast

from replenish import models as rm

from .. import detectors
from ..service.selectors import at_risk_lines
from .context import Chunk

OPEN_PO_STATUSES = ["open", "acknowledged", "partial"]
OPEN_PO_LINE_STATUSES = ["open", "accepted", "changed", "partial"]
OPEN_ORDER_STATUSES = ["open", "partial"]
OPEN_ORDER_LINE_STATUSES = ["open", "backordered"]


# --- reading into frames ------------------------------------------------------------------------------------------

PLAN_FIELDS = {
    "item_location_id": "item_location_id",
    "item_id": "item_location__item_id",
    "location_id": "item_location__location_id",
    "buyer_id": "item_location__buyer_id",
    "category": "item_location__item__category",
    "sku": "item_location__item__sku",
    "unit_cost": "item_location__item__unit_cost",
    "unit_price": "item_location__item__unit_price",
    "base_uom": "item_location__item__base_uom",
    "on_hand": "item_location__on_hand",
    "allocated": "item_location__allocated",
    "backordered": "item_location__backordered",
    "plan_id": "id",
    "abc": "abc",
    "xyz": "xyz",
    "demand_class": "demand_class",
    "forecast_weekly": "forecast_weekly",
    "forecast_sd_weekly": "forecast_sd_weekly",
    "mase": "mase",
    "lead_time_mean": "lead_time_mean",
    "lead_time_sd": "lead_time_sd",
    "lead_time_source": "lead_time_source",
    "lead_time_unstable": "lead_time_unstable",
    "reorder_point": "reorder_point",
    "safety_stock": "safety_stock",
    "order_up_to": "order_up_to",
    "inventory_position": "inventory_position",
    "stockout_probability": "stockout_probability",
    "projected_stockout_date": "projected_stockout_date",
    "flags": "flags",
}


PO_FIELDS = {
    "po_line_id": "id",
    "item_id": "item_id",
    "location_id": "order__location_id",
    "supplier_id": "order__supplier_id",
    "po_number": "order__number",
    "quantity_ordered": "quantity_ordered",
    "quantity_received": "quantity_received",
    "unit_cost": "unit_cost",
    "promised_date": "promised_date",
    "acknowledged_date": "acknowledged_date",
}
SO_FIELDS = {
    "line_id": "id",
    "line_number": "line_number",
    "item_id": "item_id",
    "location_id": "order__location_id",
    "order_number": "order__number",
    "customer": "order__customer__name",
    "tier": "order__customer__service_tier__code",
    "penalty_per_line": "order__customer__service_tier__penalty_per_late_line",
    "penalty_rate": "order__customer__service_tier__penalty_rate",
    "quantity_ordered": "quantity_ordered",
    "quantity_shipped": "quantity_shipped",
    "quantity_allocated": "quantity_allocated",
    "unit_price": "unit_price",
    "requested_ship_date": "requested_ship_date",
    "status": "status",
}


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def _days(values: pd.Series, as_of: date) -> np.ndarray:
    stamps = pd.to_datetime(values, errors="coerce")
    return ((stamps - pd.Timestamp(as_of)).dt.days).to_numpy(dtype=np.float64)


def _floats(frame: pd.DataFrame, *columns: str) -> None:
    for column in columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)


def _field(model, path: str):
    *joins, name = path.split("__")
    for join in joins:
        model = model._meta.get_field(join).related_model
    return model._meta.get_field(name)


def _values(qs, paths):
    """qs.values_list(*paths), where on PostgreSQL the decimal fields are read as double precision: the server casts
    each to the float nearest it, which is what float(Decimal) and so _floats gave, without a Decimal built for each
    value and converted again (a chunk reads a few hundred thousand of them)."""
    if connection.vendor != "postgresql":
        return qs.values_list(*paths)
    return qs.values_list(
        *(
            Cast(path, FloatField()) if isinstance(_field(qs.model, path), DecimalField) else path
            for path in paths
        )
    )


def _plan_rows(qs) -> list[tuple]:
    """The rows of `qs.values_list(*PLAN_FIELDS.values())`, read through the cursor on PostgreSQL: every value as
    Django's converters give it (psycopg's types need none) except the flags, a JSON document, decoded here once
    per distinct text (a chunk's 50,000 plans carry a handful of flag lists)."""
    query = _values(qs, PLAN_FIELDS.values())
    if connection.vendor != "postgresql":
        return list(query)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    at = list(PLAN_FIELDS).index("flags")
    decoded: dict = {}

    def flags(text):
        if text is None or not isinstance(text, str):
            return text
        if text not in decoded:
            decoded[text] = json.loads(text)
        return decoded[text]

    return [(*row[:at], flags(row[at]), *row[at + 1 :]) for row in rows]


def _open_lines(model, fields: dict[str, str], chunk: Chunk, item_ids, line_statuses, order_statuses):
    """The chunk's open lines of a purchase or sales order model (open line of an open order), as a frame."""
    qs = model.objects.filter(
        chunk.item_q("item", item_ids), status__in=line_statuses, order__status__in=order_statuses
    )
    return _frame(list(_values(qs, fields.values())), list(fields))


def _load_chunk(run: rm.PlanRun, chunk: Chunk, as_of: date) -> dict[str, pd.DataFrame]:
    plans = _frame(_plan_rows(rm.SkuPlan.objects.filter(chunk.il_q(), run=run)), list(PLAN_FIELDS))
    if plans.empty:
        return {"plans": plans}
    _floats(plans, "unit_cost", "unit_price", "on_hand", "allocated", "backordered", "mase")
    plans["flags"] = [list(f) if isinstance(f, list) else [] for f in plans["flags"]]
    plans["stockout_day"] = _days(plans["projected_stockout_date"], as_of)
    item_ids = sorted(set(plans["item_id"].tolist()))
    primary = _frame(
        list(
            _values(
                rm.SupplierItem.objects.filter(chunk.item_q("item", item_ids), is_primary=True),
                [
                    "item_id",
                    "supplier_id",
                    "purchase_uom",
                    "unit_cost",
                    "contracted_lead_time_days",
                    "moq",
                    "pack_size",
                ],
            )
        ),
        [
            "item_id",
            "supplier_id",
            "purchase_uom",
            "supplier_item_cost",
            "supplier_item_lead_time",
            "moq",
            "pack_size",
        ],
    )
    conversions = set(
        rm.UomConversion.objects.filter(chunk.item_q("item", item_ids)).values_list("item_id", "uom")
    )
    plans = plans.merge(primary, on="item_id", how="left")
    _floats(plans, "supplier_item_cost")
    plans["has_uom_conversion"] = [
        (int(i), str(u)) in conversions for i, u in zip(plans["item_id"], plans["purchase_uom"].fillna(""))
    ]
    key = {
        (int(i), int(loc)): int(il)
        for i, loc, il in zip(plans["item_id"], plans["location_id"], plans["item_location_id"])
    }

    recs = _frame(
        list(
            rm.Recommendation.objects.filter(chunk.il_q(), run=run).values_list(
                "id",
                "item_location_id",
                "action",
                "quantity",
                "due_date",
                "supplier_id",
                "source_location_id",
                "po_line_id",
                "new_date",
                "factors",
                "reason",
                "confidence",
            )
        ),
        [
            "recommendation_id",
            "item_location_id",
            "action",
            "quantity",
            "due_date",
            "rec_supplier_id",
            "source_location_id",
            "po_line_id",
            "new_date",
            "factors",
            "reason",
            "rec_confidence",
        ],
    )
    recs["due_day"] = _days(recs["due_date"], as_of)
    recs["new_day"] = _days(recs["new_date"], as_of)

    po = _open_lines(
        rm.PurchaseOrderLine, PO_FIELDS, chunk, item_ids, OPEN_PO_LINE_STATUSES, OPEN_PO_STATUSES
    )
    asn = _frame(
        list(
            rm.ShipmentLine.objects.filter(
                chunk.item_q("po_line__item", item_ids),
                shipment__status=rm.Shipment.Status.IN_TRANSIT,
            ).values_list("po_line_id", "shipment__expected_arrival", "shipment__number", "shipment_id")
        ),
        ["po_line_id", "asn_arrival", "asn_number", "asn_shipment_id"],
    )
    if len(asn):
        asn = asn.sort_values("asn_arrival", kind="stable").drop_duplicates("po_line_id", keep="last")
    po = (
        po.merge(asn, on="po_line_id", how="left")
        if len(po)
        else po.assign(asn_arrival=None, asn_number=None, asn_shipment_id=None)
    )
    po["item_location_id"] = [key.get((int(i), int(loc))) for i, loc in zip(po["item_id"], po["location_id"])]
    po = po[po["item_location_id"].notna()].copy()
    _floats(po, "unit_cost", "quantity_ordered", "quantity_received")
    po["quantity_open"] = np.maximum(po["quantity_ordered"] - po["quantity_received"], 0.0)
    po["promised_day"] = _days(po["promised_date"], as_of)
    po["acknowledged_day"] = _days(po["acknowledged_date"], as_of)
    po["asn_day"] = _days(po["asn_arrival"], as_of)

    so = _open_lines(
        rm.SalesOrderLine, SO_FIELDS, chunk, item_ids, OPEN_ORDER_LINE_STATUSES, OPEN_ORDER_STATUSES
    )
    so["item_location_id"] = [key.get((int(i), int(loc))) for i, loc in zip(so["item_id"], so["location_id"])]
    so = so[so["item_location_id"].notna()].copy()
    _floats(
        so,
        "penalty_per_line",
        "penalty_rate",
        "quantity_ordered",
        "quantity_shipped",
        "quantity_allocated",
        "unit_price",
    )
    so["quantity_open"] = np.maximum(so["quantity_ordered"] - so["quantity_shipped"], 0.0)
    so["quantity_unallocated"] = np.maximum(so["quantity_open"] - so["quantity_allocated"], 0.0)
    so["requested_day"] = _days(so["requested_ship_date"], as_of)
    so["backordered"] = so["status"].to_numpy() == "backordered"
    so["tiered"] = (so["penalty_per_line"].fillna(0) > 0) | (so["penalty_rate"].fillna(0) > 0)
    _with_service_queue(so, chunk)
    return {"plans": plans, "recs": recs, "po_lines": po, "so_lines": so}


def _with_service_queue(so: pd.DataFrame, chunk: Chunk) -> None:
    """Mark the order lines the customer-service queue holds as at risk (the one list of at-risk lines: the chunk
    synced it by order-line ATP just before), with the units their ATP leaves short."""
    live = dict(at_risk_lines(scope=chunk.il_q()).values_list("sales_order_line_id", "short_units"))
    so["service_at_risk"] = [int(i) in live for i in so["line_id"]]
    so["service_short_units"] = [float(live.get(int(i), 0)) for i in so["line_id"]]


# --- supplier statistics (reliability for automation; decline detection) ------------------------------------------


def supplier_statistics(as_of: date) -> pd.DataFrame:
    """Per supplier: receipts' lead time in the recent window vs the year before, on-time share, fill rates."""
    recent_start = as_of - timedelta(days=detectors.RECENT_DAYS)
    start = recent_start - timedelta(days=detectors.BASELINE_DAYS)
    pg = connection.vendor == "postgresql"
    days = (
        "(r.received_date - r.order_date)" if pg else "(julianday(r.received_date) - julianday(r.order_date))"
    )

    def param(d: date):
        return d if pg else d.isoformat()

    receipt_table = rm.Receipt._meta.db_table
    supplier_table = rm.Supplier._meta.db_table
    sql = f"""
        SELECT r.supplier_id,
               SUM(CASE WHEN r.received_date >= %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN r.received_date >= %s THEN {days} ELSE 0 END),
               SUM(CASE WHEN r.received_date >= %s THEN {days} * {days} ELSE 0 END),
               SUM(CASE WHEN r.received_date < %s THEN 1 ELSE 0 END),
               SUM(CASE WHEN r.received_date < %s THEN {days} ELSE 0 END),
               SUM(CASE WHEN r.received_date < %s THEN {days} * {days} ELSE 0 END),
               SUM(CASE WHEN {days} <= s.contracted_lead_time_days * 1.1 + 1 THEN 1 ELSE 0 END),
               COUNT(*)
        FROM {receipt_table} r JOIN {supplier_table} s ON s.id = r.supplier_id
        WHERE r.received_date >= %s AND r.received_date <= %s
        GROUP BY r.supplier_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [param(recent_start)] * 6 + [param(start), param(as_of)])
        rows = cursor.fetchall()
    columns = [
        "supplier_id",
        "n_recent",
        "sum_recent",
        "sq_recent",
        "n_base",
        "sum_base",
        "sq_base",
        "on_time",
        "n",
    ]
    frame = _frame(rows, columns)
    _floats(frame, *columns[1:])

    def mean_sd(n, total, squares):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(n > 0, total / n, np.nan)
            var = np.where(n > 1, (squares - n * mean**2) / (n - 1), np.nan)
        return mean, np.sqrt(np.maximum(var, 0.0))

    frame["recent_mean"], frame["recent_sd"] = mean_sd(
        frame["n_recent"], frame["sum_recent"], frame["sq_recent"]
    )
    frame["base_mean"], frame["base_sd"] = mean_sd(frame["n_base"], frame["sum_base"], frame["sq_base"])
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["reliability"] = np.where(frame["n"] > 0, frame["on_time"] / frame["n"], np.nan)
    fills = list(
        rm.PurchaseOrderLine.objects.filter(
            status__in=["received", "partial"], promised_date__gte=start, promised_date__lte=as_of
        ).values_list("order__supplier_id", "promised_date", "quantity_ordered", "quantity_received")
    )
    fill = _frame(fills, ["supplier_id", "promised_date", "ordered", "received"])
    if len(fill):
        _floats(fill, "ordered", "received")
        fill["recent"] = pd.to_datetime(fill["promised_date"]) >= pd.Timestamp(recent_start)
        sums = fill.pivot_table(
            index="supplier_id", columns="recent", values=["ordered", "received"], aggfunc="sum"
        )
        rate = pd.DataFrame({"supplier_id": sums.index})
        for flag, name in ((True, "fill_recent"), (False, "fill_base")):
            if ("ordered", flag) in sums.columns:
                rate[name] = (sums[("received", flag)] / sums[("ordered", flag)]).to_numpy()
        frame = frame.merge(rate, on="supplier_id", how="outer")
    for column in ("fill_recent", "fill_base"):
        if column not in frame:
            frame[column] = np.nan
    return frame
