"""Actions for the tasks the engine has no recommendation for, so that every action does something at the ERP:

- chase: a message to the supplier about late PO lines, naming the PO (and line) and the ASN (outbox kind
  "chase_supplier"), for a late inbound without an expedite and for a late shipment;
- repromise: the new promise date for the tiered customers' order lines at risk, the day the next supply lands
  (else a new order's lead time) (outbox kind "repromise_order").
"""

from __future__ import annotations

from datetime import date, timedelta


def _iso(as_of: date, day) -> str | None:
    return None if day is None else (as_of + timedelta(days=int(max(float(day), 0.0)))).isoformat()


def chase_proposal(*, supplier_id, lines: list[dict], ctx, asn_number: str = "") -> dict:
    """Ask the supplier to ship the late lines sooner. `lines`: po_line_id, po_number, quantity, days_late."""
    lines = [x for x in lines if x.get("po_number")]
    if not lines or not supplier_id:
        return {}
    code, name = ctx.suppliers.get(int(supplier_id), ("", ""))
    numbers = sorted({str(x["po_number"]) for x in lines})
    late = max(float(x.get("days_late") or 0) for x in lines)
    text = (
        f"PO {', '.join(numbers)}"
        + (f" on ASN {asn_number}" if asn_number else "")
        + f" arrives up to {late:,.0f} days after we need it: please confirm the earliest date you can deliver."
    )
    return {
        "action": "chase",
        "supplier_id": int(supplier_id),
        "supplier_code": code,
        "supplier_name": name,
        "asn_number": asn_number,
        "quantity": int(sum(float(x.get("quantity") or 0) for x in lines)),
        "date": None,
        "po_lines": [
            {
                "po_line_id": x.get("po_line_id"),
                "po_number": str(x["po_number"]),
                "quantity": x.get("quantity"),
                "days_late": x.get("days_late"),
            }
            for x in lines
        ],
        "message": text,
    }


def repromise_proposal(*, facts: dict, ctx) -> dict:
    """Promise the tiered customers' order lines at risk for the day supply lands."""
    lines = facts.get("order_lines") or []
    day = facts.get("promise_day")
    if not lines or day is None:
        return {}
    return {
        "action": "repromise",
        "date": _iso(ctx.as_of, day),
        "quantity": int(sum(float(x.get("units") or 0) for x in lines)),
        "order_lines": [
            {
                "sales_order_line_id": x["sales_order_line_id"],
                "order_number": x["order_number"],
                "line": x["line"],
            }
            for x in lines
        ],
    }
