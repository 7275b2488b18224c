"""Tryton purchases and sales -> DistOps open order lines (open_purchase_orders, open_sales_orders rows).

A line's quantities come from its stock moves: received (or shipped) = done moves, still to come = moves neither
done nor cancelled (or the whole line while the document is confirmed but not processed yet). Its promised date is
the earliest planned date of the moves still to come, else the line's delivery date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .translate import (
    OPEN_STATES,
    PURCHASE_STATES,
    SALE_STATES,
    Held,
    Translation,
    _day,
    _days,
    _money,
    _party_row,
    _sub,
    factor,
    whole,
)


def line_order(lines: list[dict]) -> list[dict]:
    """A document's lines in the order their numbers are given (1, 2, ...): by sequence, then id."""
    return sorted(lines, key=lambda line: (line.get("sequence") or 0, line["id"]))


def _document_date(document: dict, name: str) -> dt.date:
    value = document.get(name) or document.get("create_date")
    return value.date() if isinstance(value, dt.datetime) else value or dt.date.today()  # noqa: DTZ011


def _move_units(moves: list[dict], base: dict) -> tuple[float, float]:
    """(done, still to come) in base units."""
    done = pending = 0.0
    for move in moves:
        per = factor(_sub(move, "unit"), base) or 1.0
        if move.get("state") == "done":
            done += float(move.get("quantity") or 0) * per
        elif move.get("state") != "cancelled":
            pending += float(move.get("quantity") or 0) * per
    return done, pending


def _state_held(out: Translation, ref: str, what: str, document: dict, known: tuple[str, ...]) -> bool:
    state = document.get("state")
    if state in known:
        return False
    out.held.append(
        Held(
            "unknown_state",
            ref,
            f"Tryton {what} {document.get('number') or document['id']} is in state '{state}', which DistOps does "
            f"not know ({', '.join(known)}): its lines are held back.",
        )
    )
    return True


def _line_units(out: Translation, line: dict, ref: str, number: str) -> tuple[str, dict, float] | None:
    """(sku, base unit, base units per line unit) or None when the line is held back."""
    product = _sub(line, "product")
    sku, base = product.get("code"), _sub(line, "product.default_uom")
    if not sku:
        out.held.append(Held("unmapped_code", ref, f"Line {ref} of {number} has a product without a code."))
        return None
    per = factor(_sub(line, "unit"), base)
    if per is None or whole(float(line.get("quantity") or 0) * per) is None:
        unit = _sub(line, "unit").get("symbol")
        out.held.append(
            Held(
                "no_uom_conversion",
                ref,
                f"Line {ref} of {number} orders {line.get('quantity')} '{unit}' of {sku}, which does not convert "
                f"to a whole number of {base.get('symbol')}: the line is held back.",
                sku=sku,
            )
        )
        return None
    return sku, base, per


def _status(state: str, ordered: int, done: int, pending: int, has_moves: bool) -> tuple[str, int]:
    """(DistOps line status, quantity) of a purchase line in a Tryton purchase state."""
    if state == "cancelled":
        return "cancelled", ordered
    if not has_moves and state == "confirmed":
        return "open", ordered
    if pending <= 0:
        return ("received", done) if done > 0 else ("cancelled", ordered)
    if state == "done":
        return "received", max(done, 1)
    return ("partial" if done > 0 else "open"), done + pending


@dataclass(frozen=True)
class Kind:
    """What differs between purchases and sales."""

    model: str  # purchase, sale
    party: str  # the DistOps table the party goes to: suppliers, customers
    date_field: str  # the document's order date
    known: tuple[str, ...]


PURCHASE = Kind("purchase", "suppliers", "purchase_date", PURCHASE_STATES)
SALE = Kind("sale", "customers", "sale_date", SALE_STATES)


def _documents(records: list[dict], out: Translation, kind: Kind, **party_extra):
    """(document, party code, warehouse code, order date) of the documents that are orders and carry their codes."""
    for document in records:
        ref = f"{kind.model}.{kind.model},{document['id']}"
        out.refs.add(ref)
        if _state_held(out, ref, kind.model, document, kind.known) or document["state"] not in OPEN_STATES:
            continue
        party, location = _sub(document, "party"), _sub(document, "warehouse").get("code")
        if not document.get("number") or not party.get("code") or not location:
            out.held.append(
                Held(
                    "unmapped_code",
                    ref,
                    f"Tryton {kind.model} {ref} lacks a number, {kind.party[:-1]} code or warehouse code: its "
                    f"lines are held back.",
                )
            )
            continue
        _party_row(out, kind.party, party, **party_extra)
        yield document, party["code"], location, _document_date(document, kind.date_field)


def purchase_orders(records: list[dict], out: Translation, **_) -> None:
    for document, supplier, location, ordered_on in _documents(records, out, PURCHASE):
        for position, line in enumerate(line_order(document.get("lines") or []), start=1):
            _purchase_line(out, document, line, position, ordered_on, supplier, location)


def _base(line: dict, position: int, location: str, sku: str, quantity: int, status: str, ordered_on) -> dict:
    """What an order line row holds whatever its kind (the rest is named by the table's format)."""
    return {
        "line": position,
        "location": location,
        "sku": sku,
        "quantity": quantity,
        "order_date": ordered_on.isoformat(),
        "status": status,
        "external_id": str(line["id"]),
    }


def _purchase_line(out, document, line, position, ordered_on, supplier, location) -> None:
    ref = f"purchase.line,{line['id']}"
    out.refs.add(ref)
    units = _line_units(out, line, ref, f"purchase {document['number']}")
    if units is None:
        return
    sku, base, per = units
    moves = line.get("moves") or []
    done, pending = (whole(v) or round(v) for v in _move_units(moves, base))
    ordered = whole(float(line["quantity"]) * per)
    status, quantity = _status(document["state"], ordered, done, pending, bool(moves))
    if ordered == 0:  # cancelled before it was processed (quantity 0 keeps the line's place)
        status, quantity = "cancelled", 1
    if quantity < 1:
        return
    planned = [
        m["planned_date"]
        for m in moves
        if m.get("state") not in ("done", "cancelled") and m.get("planned_date")
    ]
    lead = _days(_sub(line, "product_supplier").get("lead_time"))
    promised = (
        min(planned)
        if planned
        else line.get("delivery_date")
        or (ordered_on + dt.timedelta(days=lead) if lead is not None else ordered_on)
    )
    out.table("open_purchase_orders").append(
        {
            **_base(line, position, location, sku, quantity, status, ordered_on),
            "po_number": document["number"],
            "supplier": supplier,
            "unit_cost": _money(float(line.get("unit_price") or 0) / per),
            "promised_date": _day(max(promised, ordered_on)),
            "quantity_received": min(done, quantity),
        }
    )


def incoming_shipments(records: list[dict], out: Translation, **kwargs) -> None:
    for shipment in records:
        out.refs.add(f"stock.shipment.in,{shipment['id']}")
    seen: dict[int, dict] = {}
    for shipment in records:
        for document in shipment.get("purchases") or []:
            seen.setdefault(document["id"], document)
    purchase_orders(list(seen.values()), out, **kwargs)


def sales_orders(records: list[dict], out: Translation, *, service_tier: str, **_) -> None:
    for document, customer, location, ordered_on in _documents(records, out, SALE, service_tier=service_tier):
        for position, line in enumerate(line_order(document.get("lines") or []), start=1):
            _sale_line(out, document, line, position, ordered_on, customer, location)


def _sale_line(out, document, line, position, ordered_on, customer, location) -> None:
    ref = f"sale.line,{line['id']}"
    out.refs.add(ref)
    units = _line_units(out, line, ref, f"sale {document['number']}")
    if units is None:
        return
    sku, base, per = units
    shipped, _pending = (whole(v) or round(v) for v in _move_units(line.get("moves") or [], base))
    ordered = whole(float(line["quantity"]) * per)
    if ordered < 1:
        return
    if document["state"] == "cancelled":
        status = "cancelled"
    elif shipped >= ordered or document["state"] == "done":
        status = "shipped"
    else:
        status = "open"
    requested = document.get("shipping_date") or line.get("shipping_date") or ordered_on
    row = _base(line, position, location, sku, ordered, status, ordered_on)
    row.update(order_number=document["number"], customer=customer, quantity_shipped=min(shipped, ordered))
    row["unit_price"] = _money(float(line.get("unit_price") or 0) / per)
    row["requested_date"] = _day(max(requested, ordered_on))
    out.table("open_sales_orders").append(row)
