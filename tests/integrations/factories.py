"""Factories for the integrations tests (the shared ones are in tests/factories.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from replenish import models as m
from replenish.core.services import roles_ensure
from tests import factories as f


def user(role: str, username: str | None = None):
    roles_ensure()
    account = get_user_model().objects.create_user(username=username or f"{role}{f.n()}", password="pw")
    account.groups.add(Group.objects.get(name=role))
    return account


def purchase_order(
    *,
    number: str,
    supplier: m.Supplier,
    location: m.Location,
    lines: list[tuple[m.Item, int]],
    order_date: date = date(2024, 3, 1),
    promised: date = date(2024, 3, 20),
) -> m.PurchaseOrder:
    po = m.PurchaseOrder.objects.create(
        number=number, external_id=number, supplier=supplier, location=location, order_date=order_date
    )
    for n, (item, quantity) in enumerate(lines, start=1):
        m.PurchaseOrderLine.objects.create(
            order=po,
            line_number=n,
            item=item,
            quantity_ordered=quantity,
            unit_cost=Decimal("2.50"),
            promised_date=promised,
            external_id=f"{number}/{n}",
        )
    return po


def supplier_item(*, supplier: m.Supplier, item: m.Item, part: str, **kw) -> m.SupplierItem:
    defaults = {"unit_cost": Decimal("2.50"), "external_id": f"{supplier.code}:{item.sku}"}
    return m.SupplierItem.objects.create(
        supplier=supplier, item=item, supplier_part_number=part, **{**defaults, **kw}
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)
