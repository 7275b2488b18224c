"""Approved actions as Tryton documents, each idempotent through a reference kept in Tryton.

| action | in Tryton |
|---|---|
| `create_po` | a purchase (supplier, warehouse, lines with quantity, unit price, delivery date), left in the state of `DISTOPS_TRYTON_PO_STATE` (draft or quotation); its `reference` is the idempotency key, so a retried posting finds the purchase it made |
| `change_po`, `expedite_request` | the line's delivery date (an editable line: its own date; a processed one: the planned date of the moves still to come) and/or its quantity; the key is written in the line's note |
| `cancel_po` | a line not processed yet gets quantity 0 (it keeps its place, so line numbers stay); a processed line's moves still to come are cancelled and ignored; Tryton refuses to cancel what was received |
| `transfer_order` | an internal shipment between the warehouses' storage zones, waiting, with the key as its reference |
| `set_order_point` | the order point (min, target) of the item at the warehouse, created if missing |

What Tryton's states do not allow is an `ErpRejected` with the reason (a permanent refusal: the outbox records it as
the outcome, it does not retry). The answer's `record` names the Tryton document: model, id, state, number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..base import ErpRejected, PostResult
from . import conf
from .client import TrytonClient
from .translate_orders import line_order

EDITABLE = ("draft", "quotation", "confirmed")


def _one(client: TrytonClient, model: str, field: str, value, what: str, extra: list | None = None) -> dict:
    rows = client.search_read(model, [(field, "=", value), *(extra or [])], fields=["id"], limit=1)
    if not rows:
        raise ErpRejected(f"Tryton has no {what} '{value}'")
    return rows[0]


def _date(value, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ErpRejected(f"{what} '{value}' is not a date (YYYY-MM-DD)") from exc


def _purchase_record(client: TrytonClient, purchase_id: int) -> dict:
    row = client.search_read("purchase.purchase", [("id", "=", purchase_id)], fields=["state", "number"])[0]
    return {
        "model": "purchase.purchase",
        "id": row["id"],
        "state": row["state"],
        "number": row["number"] or "",
    }


def _result(record: dict, *, duplicate: bool, document: bool = False) -> PostResult:
    return PostResult(
        transaction_id=f"{record['model']},{record['id']}",
        duplicate=duplicate,
        document_number=record.get("number", "") if document else "",
        status=200 if duplicate else 201,
        body={"record": record, "duplicate": duplicate},
        record=record,
    )


def _lines_of(body: dict) -> list[dict]:
    if body.get("lines"):
        return list(body["lines"])
    if body.get("sku") and body.get("quantity"):
        return [
            {
                "sku": body["sku"],
                "quantity": body["quantity"],
                "due_date": body.get("due_date") or body.get("date"),
                "unit_cost": body.get("unit_cost"),
            }
        ]
    raise ErpRejected("create_po needs lines (or a sku and a quantity)")


def create_po(client: TrytonClient, body: dict, key: str) -> PostResult:
    found = client.search_read("purchase.purchase", [("reference", "=", key)], fields=["state"], limit=1)
    if (
        found
    ):  # a retried posting: the purchase made the first time (finished if the first attempt died midway)
        if found[0]["state"] == "draft" and conf.po_state() == "quotation":
            client.model("purchase.purchase", "quote", [found[0]["id"]])
        return _result(_purchase_record(client, found[0]["id"]), duplicate=True, document=True)
    party = client.search_read(
        "party.party", [("code", "=", body.get("supplier"))], fields=["addresses"], limit=1
    )
    if not party:
        raise ErpRejected(f"Tryton has no supplier with code '{body.get('supplier')}'")
    warehouse = _one(
        client, "stock.location", "code", body.get("location"), "warehouse", [("type", "=", "warehouse")]
    )
    lines = []
    for n, line in enumerate(_lines_of(body), start=1):
        quantity = line.get("quantity")
        if not isinstance(quantity, int | float) or quantity <= 0:
            raise ErpRejected(f"line {n}: quantity must be a positive number, not {quantity!r}")
        lines.append(_purchase_line(client, line, party[0]["id"]))
    values = {
        "party": party[0]["id"],
        "warehouse": warehouse["id"],
        "purchase_date": dt.date.today(),  # noqa: DTZ011 - Tryton's dates are the company's calendar days
        "reference": key,
        "invoice_method": "manual",
        "comment": _comment(body),
        "lines": [("create", lines)],
    }
    if party[0]["addresses"]:
        values["invoice_address"] = party[0]["addresses"][0]
    (purchase,) = client.create("purchase.purchase", [values])
    if conf.po_state() == "quotation":
        client.model("purchase.purchase", "quote", [purchase])
    return _result(_purchase_record(client, purchase), duplicate=False, document=True)


def _purchase_line(client: TrytonClient, line: dict, party: int) -> dict:
    product = client.search_read(
        "product.product", [("code", "=", line.get("sku"))], fields=["default_uom", "cost_price"], limit=1
    )
    if not product:
        raise ErpRejected(f"Tryton has no product with code '{line.get('sku')}'")
    product = product[0]
    supplier = client.search_read(
        "purchase.product_supplier",
        [
            "OR",
            [("product", "=", product["id"])],
            [("product", "=", None), ("template.products", "=", product["id"])],
        ],
        fields=["party"],
        order=[("sequence", "ASC"), ("id", "ASC")],
    )
    mine = [s for s in supplier if s["party"] == party]
    values = {
        "product": product["id"],
        "quantity": float(line["quantity"]),
        "unit": product["default_uom"],
        "unit_price": _unit_price(client, line, mine, product),
    }
    if mine:
        values["product_supplier"] = mine[0]["id"]
    if line.get("due_date"):
        values["delivery_date_edit"] = True
        values["delivery_date_store"] = _date(line["due_date"], "due_date")
    return values


def _unit_price(client: TrytonClient, line: dict, suppliers: list[dict], product: dict) -> Decimal:
    if line.get("unit_cost") not in (None, ""):
        return Decimal(str(line["unit_cost"])).quantize(Decimal("0.0001"))
    if suppliers:
        prices = client.search_read(
            "purchase.product_supplier.price",
            [("product_supplier", "=", suppliers[0]["id"])],
            fields=["unit_price"],
            order=[("quantity", "ASC")],
            limit=1,
        )
        if prices:
            return prices[0]["unit_price"]
    return product.get("cost_price") or Decimal(0)


def _comment(body: dict) -> str:
    parts = [f"DistOps {body.get('reference') or ''}".strip()]
    for name in ("decision", "decided_by", "reason_code", "comment"):
        if body.get(name):
            parts.append(f"{name.replace('_', ' ')}: {body[name]}")
    return "; ".join(parts)


# -- changes to an existing purchase line -------------------------------------------------------------------------


def _find_line(client: TrytonClient, body: dict) -> tuple[dict, dict]:
    number, position = body.get("po_number"), body.get("line")
    purchases = client.search_read(
        "purchase.purchase", [("number", "=", number)], fields=["state", "number"], limit=1
    )
    if not purchases:
        raise ErpRejected(f"Tryton has no purchase number '{number}'")
    purchase = purchases[0]
    lines = line_order(
        client.search_read(
            "purchase.line",
            [("purchase", "=", purchase["id"]), ("type", "=", "line")],
            fields=["sequence", "quantity", "note", "moves"],
        )
    )
    try:
        index = int(position)
    except (TypeError, ValueError) as exc:
        raise ErpRejected(f"line '{position}' of purchase {number} is not a line number") from exc
    if not 1 <= index <= len(lines):
        raise ErpRejected(f"purchase {number} has no line {position} (it has {len(lines)})")
    return purchase, lines[index - 1]


def _line_record(purchase: dict, line: dict, client: TrytonClient, position) -> dict:
    state = client.search_read("purchase.purchase", [("id", "=", purchase["id"])], fields=["state"])[0][
        "state"
    ]
    return {
        "model": "purchase.line",
        "id": line["id"],
        "state": state,
        "number": f"{purchase['number']}/{position}",
    }


def _marker(key: str) -> str:
    return f"[DistOps {key}]"


def _pending_moves(client: TrytonClient, line: dict) -> tuple[list[dict], list[dict]]:
    moves = (
        client.search_read("stock.move", [("id", "in", line["moves"])], fields=["state", "quantity"])
        if line["moves"]
        else []
    )
    return [m for m in moves if m["state"] not in ("done", "cancelled")], [
        m for m in moves if m["state"] == "done"
    ]


def _reopened(client: TrytonClient, purchase: dict):
    """Back to draft for an edit, and what to do afterwards to restore the state it had."""
    state = purchase["state"]
    if state == "draft":
        return lambda: None
    client.model("purchase.purchase", "draft", [purchase["id"]])

    def restore() -> None:
        client.model("purchase.purchase", "quote", [purchase["id"]])
        if state == "confirmed":
            client.model("purchase.purchase", "confirm", [purchase["id"]])

    return restore


def change_line(client: TrytonClient, body: dict, key: str) -> PostResult:
    purchase, line = _find_line(client, body)
    record = lambda: _line_record(purchase, line, client, body.get("line"))  # noqa: E731
    if _marker(key) in (line.get("note") or ""):
        return _result(record(), duplicate=True)
    new_date = body.get("new_date") or body.get("date")
    quantity = body.get("quantity") if body.get("quantity") not in (None, "") else None
    if new_date is None and quantity is None:
        raise ErpRejected("a PO change needs a new date and/or a new quantity")
    day = _date(new_date, "new_date") if new_date else None
    if purchase["state"] in EDITABLE:
        restore = _reopened(client, purchase)
        values: dict = {"note": _note(line, key, body)}
        if day:
            values.update(delivery_date_edit=True, delivery_date_store=day)
        if quantity is not None:
            values["quantity"] = float(quantity)
        client.write("purchase.line", [line["id"]], values)
        restore()
    elif purchase["state"] == "processing":
        _change_processing(client, purchase, line, day, quantity, body)
        client.write("purchase.line", [line["id"]], {"note": _note(line, key, body)})
    else:
        raise ErpRejected(
            f"Tryton purchase {purchase['number']} is {purchase['state']}: its lines cannot change"
        )
    return _result(record(), duplicate=False)


def _change_processing(client, purchase, line, day, quantity, body) -> None:
    pending, done = _pending_moves(client, line)
    if not pending:
        raise ErpRejected(
            f"line {body.get('line')} of Tryton purchase {purchase['number']} has nothing still to receive: "
            f"it cannot change"
        )
    if day:
        client.write("stock.move", [m["id"] for m in pending], {"planned_date": day})
    if quantity is not None:
        received = sum(m["quantity"] for m in done)
        rest = float(quantity) - received - sum(m["quantity"] for m in pending[1:])
        if rest <= 0:
            raise ErpRejected(
                f"line {body.get('line')} of Tryton purchase {purchase['number']} has {received:g} received: "
                f"{quantity} is too little to keep the moves still to come"
            )
        client.write("stock.move", [pending[0]["id"]], {"quantity": rest})
        client.write("purchase.line", [line["id"]], {"quantity": float(quantity)})


def _note(line: dict, key: str, body: dict) -> str:
    what = ", ".join(f"{k} {body[k]}" for k in ("new_date", "quantity", "decided_by") if body.get(k))
    return "\n".join(filter(None, [line.get("note") or "", f"{_marker(key)} {what}".strip()]))


def cancel_line(client: TrytonClient, body: dict, key: str) -> PostResult:
    purchase, line = _find_line(client, body)
    record = lambda: _line_record(purchase, line, client, body.get("line"))  # noqa: E731
    if _marker(key) in (line.get("note") or ""):
        return _result(record(), duplicate=True)
    if purchase["state"] in EDITABLE:
        client.write("purchase.line", [line["id"]], {"note": _note(line, key, body)})
        restore = _reopened(client, purchase)
        client.write("purchase.line", [line["id"]], {"quantity": 0.0})
        restore()
    elif purchase["state"] == "processing":
        pending, done = _pending_moves(client, line)
        if not pending:
            # everything was received: ask Tryton all the same, so the refusal is Tryton's own words
            client.model("stock.move", "cancel", [m["id"] for m in done])
        client.model("stock.move", "cancel", [m["id"] for m in pending])
        client.write(
            "purchase.line",
            [line["id"]],
            {"moves_ignored": [("add", [m["id"] for m in pending])], "note": _note(line, key, body)},
        )
        client.model("purchase.purchase", "process", [purchase["id"]])
    else:
        raise ErpRejected(
            f"Tryton purchase {purchase['number']} is {purchase['state']}: its lines cannot be cancelled"
        )
    return _result(record(), duplicate=False)


# -- transfers and order points -------------------------------------------------------------------------------------


def transfer(client: TrytonClient, body: dict, key: str) -> PostResult:
    fields = ["state", "number"]
    found = client.search_read("stock.shipment.internal", [("reference", "=", key)], fields=fields, limit=1)
    if found:
        return _result(_shipment_record(found[0]), duplicate=True, document=True)
    source = _warehouse(client, body.get("from_location"))
    target = _warehouse(client, body.get("location"))
    product = _one(client, "product.product", "code", body.get("sku"), "product")
    quantity = body.get("quantity")
    if not isinstance(quantity, int | float) or quantity <= 0:
        raise ErpRejected(f"transfer quantity must be a positive number, not {quantity!r}")
    unit = client.search_read("product.product", [("id", "=", product["id"])], fields=["default_uom"])[0]
    today = dt.date.today()  # noqa: DTZ011 - Tryton's dates are the company's calendar days
    due = _date(body.get("due_date") or body.get("date") or today.isoformat(), "due_date")
    move = {
        "product": product["id"],
        "quantity": float(quantity),
        "unit": unit["default_uom"],
        "from_location": source["storage_location"],
        "to_location": target["storage_location"],
    }
    (shipment,) = client.create(
        "stock.shipment.internal",
        [
            {
                "from_location": source["storage_location"],
                "to_location": target["storage_location"],
                "planned_start_date": min(due, today),
                "planned_date": due,
                "reference": key,
                "moves": [("create", [move])],
            }
        ],
    )
    client.model("stock.shipment.internal", "wait", [shipment])
    row = client.search_read("stock.shipment.internal", [("id", "=", shipment)], fields=fields)[0]
    return _result(_shipment_record(row), duplicate=False, document=True)


def _shipment_record(row: dict) -> dict:
    return {
        "model": "stock.shipment.internal",
        "id": row["id"],
        "state": row["state"],
        "number": row["number"] or "",
    }


def _warehouse(client: TrytonClient, code) -> dict:
    rows = client.search_read(
        "stock.location",
        [("code", "=", code), ("type", "=", "warehouse")],
        fields=["storage_location"],
        limit=1,
    )
    if not rows:
        raise ErpRejected(f"Tryton has no warehouse '{code}'")
    return rows[0]


def set_order_point(client: TrytonClient, body: dict, key: str) -> PostResult:
    product = _one(client, "product.product", "code", body.get("sku"), "product")
    warehouse = _warehouse(client, body.get("location"))
    low, high = body.get("min"), body.get("max")
    if not isinstance(low, int | float) or not isinstance(high, int | float) or low < 0 or high < low:
        raise ErpRejected(f"an order point needs 0 <= min <= max, not min {low!r} and max {high!r}")
    values = {"min_quantity": float(low), "target_quantity": float(high)}
    rows = client.search_read(
        "stock.order_point",
        [("product", "=", product["id"]), ("location", "=", warehouse["id"]), ("type", "=", "purchase")],
        fields=["min_quantity", "target_quantity"],
        limit=1,
    )
    duplicate = bool(rows) and (rows[0]["min_quantity"], rows[0]["target_quantity"]) == (
        float(low),
        float(high),
    )
    if rows and not duplicate:
        client.write("stock.order_point", [rows[0]["id"]], values)
    elif not rows:
        rows = [
            {
                "id": client.create(
                    "stock.order_point",
                    [{**values, "product": product["id"], "location": warehouse["id"], "type": "purchase"}],
                )[0]
            }
        ]
    record = {
        "model": "stock.order_point",
        "id": rows[0]["id"],
        "state": "",
        "number": f"{body.get('sku')}@{body.get('location')}: min {low:g}, target {high:g}",
    }
    return _result(record, duplicate=duplicate)


ACTIONS = {
    "create_po": create_po,
    "change_po": change_line,
    "expedite_request": change_line,
    "cancel_po": cancel_line,
    "transfer_order": transfer,
    "set_order_point": set_order_point,
}


def post_action(client: TrytonClient, kind: str, body: dict, *, idempotency_key: str) -> PostResult:
    if kind not in ACTIONS:
        raise ErpRejected(
            f"the Tryton adapter does not post '{kind}' (it posts {', '.join(ACTIONS)}): Tryton assigns stock to "
            f"orders itself"
            if kind == "reallocate"
            else f"the Tryton adapter does not post '{kind}'"
        )
    return ACTIONS[kind](client, body, idempotency_key)
