"""Open purchase orders and open sales orders: one row per order line, headers upserted from the lines."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from replenish import models as m
from replenish.selectors import item_location_ids_for

from .apply import (
    _existing,
    _ext,
    _rows,
    _unknown,
    _update_fields,
    _upsert,
    base_quantities,
    resolve_items,
    resolve_locations,
)
from .validate import Problems


def _header_consistency(frame: pd.DataFrame, problems: Problems, number: str, columns: list[str]) -> None:
    """Rows of one order must agree on its header fields (supplier, location, dates ...)."""
    seen: dict = {}
    for row, values in zip(frame.index, frame[[number, *columns]].itertuples(index=False, name=None)):
        order, header = values[0], values[1:]
        if order not in seen:
            seen[order] = (row, header)
            continue
        first_row, first = seen[order]
        for column, a, b in zip(columns, first, header):
            if problems.at(row, column) or problems.at(first_row, column):
                continue  # an unreadable cell is reported once, not again as a disagreement
            if str(a) != str(b):
                problems.add(
                    row, column, f"order {order} has {column} '{b}' here but '{a}' in row {first_row}"
                )


def _not_before_order_date(frame, problems, column: str, label: str) -> None:
    """A problem on every row whose `column` date falls before its order date."""
    before = (
        frame[column].notna()
        & frame["order_date"].notna()
        & (pd.to_datetime(frame[column]) < pd.to_datetime(frame["order_date"]))
    )
    for row in frame.index[before.to_numpy()]:
        problems.add(
            row,
            column,
            f"{label} {frame.loc[row, column]} is before the order date {frame.loc[row, 'order_date']}",
        )


def prepare_open_purchase_orders(frame, ctx, problems):
    resolve_items(frame, ctx, problems)
    resolve_locations(frame, ctx, problems)
    frame["supplier_id"] = ctx.resolver.supplier_ids(frame["supplier"].astype(str))
    _unknown(problems, frame, frame["supplier_id"], "supplier", "supplier")
    base_quantities(frame, ctx, problems, ["quantity", "quantity_received"])
    _header_consistency(frame, problems, "po_number", ["supplier", "location", "order_date"])
    _not_before_order_date(frame, problems, "promised_date", "promised date")
    over = frame["quantity_received"].fillna(0) > frame["quantity"].fillna(0) * 2
    for row in frame.index[over.fillna(False).to_numpy()]:
        problems.add(
            row,
            "quantity_received",
            f"{frame.loc[row, 'quantity_received']} received is more than twice "
            f"the {frame.loc[row, 'quantity']} ordered",
        )


def apply_open_purchase_orders(frame, ctx):
    headers = frame.drop_duplicates("po_number")
    existing = _existing(m.PurchaseOrder, "number", headers["po_number"])
    orders = [
        m.PurchaseOrder(
            number=r["po_number"],
            supplier_id=int(r["supplier_id"]),
            location_id=int(r["location_id"]),
            order_date=r["order_date"],
            status=m.PurchaseOrder.Status.OPEN,
            source=ctx.source,
            external_id=r["po_number"],
        )
        for r in _rows(headers)
    ]
    _upsert(m.PurchaseOrder, orders, unique=["number"], update=["supplier", "location", "order_date"])
    order_ids = dict(
        m.PurchaseOrder.objects.filter(number__in=list(headers["po_number"])).values_list("number", "pk")
    )
    costs = _supplier_costs(frame)
    item_costs = dict(
        m.Item.objects.filter(pk__in=[int(i) for i in frame["item_id"].unique()]).values_list(
            "pk", "unit_cost"
        )
    )
    lines = []
    for r in _rows(frame):
        cost = (
            r["unit_cost"]
            if r["unit_cost"] is not None
            else costs.get((int(r["supplier_id"]), int(r["item_id"])), item_costs.get(int(r["item_id"])))
        )
        lines.append(
            m.PurchaseOrderLine(
                order_id=order_ids[r["po_number"]],
                line_number=int(r["line"]),
                item_id=int(r["item_id"]),
                quantity_ordered=int(r["quantity"]),
                quantity_received=int(r["quantity_received"] or 0),
                unit_cost=cost if cost is not None else Decimal(0),
                promised_date=r["promised_date"],
                status=r["status"],
                source=ctx.source,
                external_id=_ext(r, f"{r['po_number']}/{int(r['line'])}"),
            )
        )
    _upsert(
        m.PurchaseOrderLine,
        lines,
        unique=["order", "line_number"],
        update=_update_fields(
            ctx,
            {
                "sku": "item",
                "quantity": "quantity_ordered",
                "quantity_received": "quantity_received",
                "unit_cost": "unit_cost",
                "promised_date": "promised_date",
                "status": "status",
            },
        ),
    )
    ctx.item_location_ids |= item_location_ids_for(
        zip(frame["item_id"].astype(int), frame["location_id"].astype(int))
    )
    return {"orders": len(orders), "orders_created": len(orders) - len(existing), "lines": len(lines)}


def _supplier_costs(frame: pd.DataFrame) -> dict[tuple[int, int], Decimal]:
    items = [int(i) for i in frame["item_id"].dropna().unique()]
    costs = {}
    for start in range(0, len(items), 5_000):
        for s, i, c in m.SupplierItem.objects.filter(item_id__in=items[start : start + 5_000]).values_list(
            "supplier_id", "item_id", "unit_cost"
        ):
            costs[(s, i)] = c
    return costs


def prepare_open_sales_orders(frame, ctx, problems):
    resolve_items(frame, ctx, problems)
    resolve_locations(frame, ctx, problems)
    frame["customer_id"] = ctx.resolver.customer_ids(frame["customer"].astype(str))
    _unknown(problems, frame, frame["customer_id"], "customer", "customer")
    base_quantities(frame, ctx, problems, ["quantity", "quantity_shipped"])
    _header_consistency(frame, problems, "order_number", ["customer", "location", "order_date"])
    _not_before_order_date(frame, problems, "requested_date", "requested date")


def apply_open_sales_orders(frame, ctx):
    headers = frame.drop_duplicates("order_number")
    existing = _existing(m.SalesOrder, "number", headers["order_number"])
    orders = [
        m.SalesOrder(
            number=r["order_number"],
            customer_id=int(r["customer_id"]),
            location_id=int(r["location_id"]),
            order_date=r["order_date"],
            status=m.SalesOrder.Status.OPEN,
            source=ctx.source,
            external_id=r["order_number"],
        )
        for r in _rows(headers)
    ]
    _upsert(m.SalesOrder, orders, unique=["number"], update=["customer", "location", "order_date"])
    order_ids = dict(
        m.SalesOrder.objects.filter(number__in=list(headers["order_number"])).values_list("number", "pk")
    )
    prices = dict(
        m.Item.objects.filter(pk__in=[int(i) for i in frame["item_id"].unique()]).values_list(
            "pk", "unit_price"
        )
    )
    lines = [
        m.SalesOrderLine(
            order_id=order_ids[r["order_number"]],
            line_number=int(r["line"]),
            item_id=int(r["item_id"]),
            quantity_ordered=int(r["quantity"]),
            quantity_shipped=int(r["quantity_shipped"] or 0),
            unit_price=r["unit_price"] if r["unit_price"] is not None else prices[int(r["item_id"])],
            requested_ship_date=r["requested_date"],
            promised_ship_date=r["promised_date"],
            status=r["status"],
            source=ctx.source,
            external_id=_ext(r, f"{r['order_number']}/{int(r['line'])}"),
        )
        for r in _rows(frame)
    ]
    _upsert(
        m.SalesOrderLine,
        lines,
        unique=["order", "line_number"],
        update=_update_fields(
            ctx,
            {
                "sku": "item",
                "quantity": "quantity_ordered",
                "quantity_shipped": "quantity_shipped",
                "unit_price": "unit_price",
                "requested_date": "requested_ship_date",
                "promised_date": "promised_ship_date",
                "status": "status",
            },
        ),
    )
    ctx.item_location_ids |= item_location_ids_for(
        zip(frame["item_id"].astype(int), frame["location_id"].astype(int))
    )
    return {"orders": len(orders), "orders_created": len(orders) - len(existing), "lines": len(lines)}
