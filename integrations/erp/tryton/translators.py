"""One page of Tryton records of an entity -> its Translation (the dispatcher over translate and translate_orders)."""

from __future__ import annotations

from . import translate_orders
from .translate import (
    Translation,
    balances,
    customers,
    items,
    locations,
    order_points,
    supplier_items,
    suppliers,
)

HANDLERS = {
    "locations": locations,
    "suppliers": suppliers,
    "customers": customers,
    "items": items,
    "supplier_items": supplier_items,
    "balances": balances,
    "order_points": order_points,
    "purchase_orders": translate_orders.purchase_orders,
    "incoming_shipments": translate_orders.incoming_shipments,
    "sales_orders": translate_orders.sales_orders,
}


def translate(entity: str, records: list[dict], *, service_tier: str) -> Translation:
    """One page of Tryton records of `entity` -> the tables to import and the records held back."""
    if entity not in HANDLERS:
        raise ValueError(
            f"'{entity}' is not a Tryton entity this system reads (known: {', '.join(HANDLERS)})"
        )
    out = Translation()
    HANDLERS[entity](records, out, service_tier=service_tier)
    return out
