"""Plain factory functions: the smallest valid rows, with keyword overrides."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta
from decimal import Decimal

from replenish import models as m

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def location(**kw) -> m.Location:
    i = n()
    defaults = {"external_id": f"L{i}", "code": f"L{i}", "name": f"Location {i}", "shipping_cutoff": time(15)}
    return m.Location.objects.create(**{**defaults, **kw})


def supplier(**kw) -> m.Supplier:
    i = n()
    defaults = {
        "external_id": f"S{i}",
        "code": f"S{i}",
        "name": f"Supplier {i}",
        "contracted_lead_time_days": 10,
    }
    return m.Supplier.objects.create(**{**defaults, **kw})


def item(**kw) -> m.Item:
    i = n()
    defaults = {
        "external_id": f"I{i}",
        "sku": f"SKU-T{i:05d}",
        "description": f"Test item {i}",
        "family": "FAM",
        "category": "Fasteners",
        "unit_cost": Decimal("10.00"),
        "unit_price": Decimal("15.00"),
    }
    return m.Item.objects.create(**{**defaults, **kw})


def item_location(**kw) -> m.ItemLocation:
    i = n()
    it = kw.pop("item", None) or item()
    loc = kw.pop("location", None) or location()
    defaults = {
        "external_id": f"IL{i}",
        "on_hand": 10,
        "static_min": 5,
        "static_max": 20,
        "history_start": date(2024, 1, 1),
    }
    return m.ItemLocation.objects.create(item=it, location=loc, **{**defaults, **kw})


def service_tier(**kw) -> m.ServiceTier:
    i = n()
    defaults = {"code": f"T{i}", "name": f"Tier {i}", "rank": 1, "fill_promise": Decimal("0.95")}
    return m.ServiceTier.objects.create(**{**defaults, **kw})


def customer(**kw) -> m.Customer:
    i = n()
    tier = kw.pop("service_tier", None) or service_tier()
    return m.Customer.objects.create(
        service_tier=tier, **{"external_id": f"C{i}", "code": f"C{i}", "name": f"Customer {i}", **kw}
    )


def purchase_order_line(
    *,
    item_location: m.ItemLocation,
    quantity: int = 10,
    promised_in_days: int = 10,
    supplier_: m.Supplier | None = None,
    **kw,
) -> m.PurchaseOrderLine:
    i = n()
    po = m.PurchaseOrder.objects.create(
        external_id=f"PO{i}",
        number=f"PO{i}",
        supplier=supplier_ or supplier(),
        location=item_location.location,
        order_date=date.today(),  # noqa: DTZ011
    )
    return m.PurchaseOrderLine.objects.create(
        external_id=f"POL{i}",
        order=po,
        line_number=1,
        item=item_location.item,
        quantity_ordered=quantity,
        unit_cost=Decimal("10"),
        promised_date=date.today() + timedelta(days=promised_in_days),
        **kw,  # noqa: DTZ011
    )
