"""The helpers every app shares: one UoM converter, one SKU-location lookup by pairs, one monday_of."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from replenish import models as m
from replenish.calendar import monday_of
from replenish.selectors import item_location_ids_for
from replenish.uom import UomTable
from tests import factories as f


def test_monday_of_every_day_of_a_week():
    # 2026-03-02 is a Monday (ISO week 10)
    for offset in range(7):
        assert monday_of(date(2026, 3, 2 + offset)) == date(2026, 3, 2)
    assert monday_of(date(2026, 3, 1)) == date(2026, 2, 23)  # a Sunday belongs to the week before


@pytest.mark.django_db
def test_uom_table_converts_to_the_base_unit_and_says_when_it_cannot():
    item = f.item(sku="BOLT", base_uom="EA")
    m.UomConversion.objects.create(item=item, uom="CS", factor=Decimal("12"))
    m.UomConversion.objects.create(item=item, uom="pk", factor=Decimal("6"))

    units = UomTable.load([item.pk])

    assert units.to_base(Decimal("3"), "cs", item.pk) == Decimal("36")
    assert units.to_base(Decimal("2"), "PK", item.pk) == Decimal(
        "12"
    )  # stored lower case, looked up upper case
    assert units.to_base(Decimal("5.0"), "ea", item.pk) == Decimal("5.0")  # the base unit: unchanged
    assert units.to_base(Decimal("5"), "", item.pk) == Decimal("5")
    assert units.to_base(Decimal("5"), "PAL", item.pk) is None
    assert units.factor(item.pk, "PAL") is None
    # only the units asked for are read
    assert UomTable.load([item.pk], uoms=["CS"]).factor(item.pk, "PK") is None


@pytest.mark.django_db
def test_item_location_ids_for_pairs_leaves_out_pairs_without_a_sku_location():
    a, b = f.item(sku="A"), f.item(sku="B")
    dc1, dc2 = f.location(code="DC1"), f.location(code="DC2")
    a1 = f.item_location(item=a, location=dc1)
    b2 = f.item_location(item=b, location=dc2)

    assert item_location_ids_for({(a.pk, dc1.pk), (b.pk, dc2.pk), (a.pk, dc2.pk)}) == {a1.pk, b2.pk}
    assert item_location_ids_for([]) == set()
