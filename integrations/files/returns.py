"""Customer returns (RMA lines): each names the sales order (and line) the goods were sold on. A return for an
unknown order, a SKU not on that order, or more units than the line ordered is refused with the row and column."""

from __future__ import annotations

from django.utils import timezone

from replenish import models as m
from replenish.returns.models import ReturnLine

from .apply import _counts, _ext, _rows, _upsert, resolve_items, resolve_locations


def prepare_returns(frame, ctx, problems):
    resolve_items(frame, ctx, problems)
    if "location" in ctx.present and frame["location"].notna().any():
        resolve_locations(frame, ctx, problems)
    orders = {
        o.number: o for o in m.SalesOrder.objects.filter(number__in=set(frame["order"].dropna().astype(str)))
    }
    lines: dict[tuple[int, int], list[m.SalesOrderLine]] = {}
    for line in m.SalesOrderLine.objects.filter(order__in=list(orders.values())):
        lines.setdefault((line.order_id, line.item_id), []).append(line)
    frame["sales_order_line_id"] = None
    frame["order_location_id"] = None
    for row in frame.index:
        number = str(frame.loc[row, "order"])
        order = orders.get(number)
        if order is None:
            problems.add(
                row, "order", f"unknown sales order '{number}': a return must name the order it was sold on"
            )
            continue
        item_id = frame.loc[row, "item_id"]
        if item_id is None or item_id != item_id:  # unknown SKU, already reported
            continue
        candidates = lines.get((order.pk, int(item_id)), [])
        wanted = frame.loc[row, "order_line"]
        if wanted == wanted and wanted is not None:
            candidates = [x for x in candidates if x.line_number == int(wanted)]
        if not candidates:
            problems.add(row, "sku", f"order {number} has no line for SKU {frame.loc[row, 'sku']}")
            continue
        line = candidates[0]
        quantity = frame.loc[row, "quantity"]
        if quantity == quantity and quantity is not None and int(quantity) > line.quantity_ordered:
            problems.add(
                row,
                "quantity",
                f"returns {int(quantity)} units but order {number} line {line.line_number} "
                f"sold {line.quantity_ordered}",
            )
            continue
        frame.loc[row, "sales_order_line_id"] = line.pk
        frame.loc[row, "order_location_id"] = order.location_id


def apply_returns(frame, ctx):
    today = timezone.localdate()
    keys = [f"{r['rma']}/{int(r['line'])}" for r in _rows(frame)]
    existing = set(
        ReturnLine.objects.filter(source=ctx.source, external_id__in=keys).values_list(
            "external_id", flat=True
        )
    )
    rows = []
    for r in _rows(frame):
        location = r.get("location_id")
        rows.append(
            ReturnLine(
                source=ctx.source,
                external_id=_ext({"external_id": None}, f"{r['rma']}/{int(r['line'])}"),
                rma=r["rma"],
                line_number=int(r["line"]),
                sales_order_line_id=int(r["sales_order_line_id"]),
                item_id=int(r["item_id"]),
                location_id=int(
                    location if location == location and location is not None else r["order_location_id"]
                ),
                quantity=int(r["quantity"]),
                condition=r["condition"],
                reason=r.get("reason") or "",
                received_date=r.get("received_date") or today,
                updated_at=timezone.now(),
            )
        )
    _upsert(
        ReturnLine,
        rows,
        unique=["source", "external_id"],
        update=["quantity", "condition", "reason", "received_date"],
    )
    ctx.item_location_ids.update(
        m.ItemLocation.objects.filter(
            item_id__in={x.item_id for x in rows}, location_id__in={x.location_id for x in rows}
        ).values_list("pk", flat=True)
    )
    return _counts(len(rows), len(existing))
