from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from replenish import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["on_hand", "allocated", "backordered", "static_min"])
def test_database_refuses_negative_quantities(field):
    row = f.item_location()
    with pytest.raises(IntegrityError), transaction.atomic():
        m.ItemLocation.objects.filter(pk=row.pk).update(**{field: -1})
    row.refresh_from_db()
    assert getattr(row, field) >= 0


def test_negative_quantity_gets_a_clear_validation_message():
    row = f.item_location()
    row.on_hand = -5
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "on_hand" in error.value.message_dict


def test_duplicate_sku_and_duplicate_erp_key_are_refused():
    item = f.item(sku="SKU-DUP")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.item(sku="SKU-DUP")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.item(source=item.source, external_id=item.external_id)
    assert m.Item.objects.filter(sku="SKU-DUP").count() == 1


def test_duplicate_sku_is_named_by_validation():
    f.item(sku="SKU-NAMED")
    dup = m.Item(
        external_id="x",
        sku="SKU-NAMED",
        description="d",
        family="F",
        category="C",
        unit_cost=Decimal(1),
        unit_price=Decimal(2),
    )
    with pytest.raises(ValidationError) as error:
        dup.full_clean()
    assert "sku" in error.value.message_dict


def test_static_max_below_min_and_one_primary_supplier_per_item():
    row = f.item_location()
    with pytest.raises(IntegrityError), transaction.atomic():
        m.ItemLocation.objects.filter(pk=row.pk).update(static_min=10, static_max=5)
    item = f.item()
    s1, s2 = f.supplier(), f.supplier()
    m.SupplierItem.objects.create(
        external_id="a", supplier=s1, item=item, supplier_part_number="A", unit_cost=1, is_primary=True
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        m.SupplierItem.objects.create(
            external_id="b", supplier=s2, item=item, supplier_part_number="B", unit_cost=1, is_primary=True
        )


def test_pack_size_zero_and_non_positive_order_lines_are_refused():
    item = f.item()
    with pytest.raises(IntegrityError), transaction.atomic():
        m.SupplierItem.objects.create(
            external_id="p0",
            supplier=f.supplier(),
            item=item,
            supplier_part_number="P",
            unit_cost=1,
            pack_size=0,
        )
    il = f.item_location()
    with pytest.raises(IntegrityError), transaction.atomic():
        f.purchase_order_line(item_location=il, quantity=0)
