"""Bad data from Tryton through the inbox (pages shaped as the Tryton adapter stores them, no trytond needed): each
fault is stopped by a quality gate with a clear message and the rest of the page is applied; a fixed record
resolves its issue. And the order points Tryton holds become the simulator's static min-max baseline."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import numpy as np
import pytest

from integrations.erp.tryton.client import dumps
from integrations.inbox import inbox_ingest
from integrations.models import DataQualityIssue, InboxMessage
from replenish import models as m
from replenish.planning.inputs import load_plan_inputs

pytestmark = pytest.mark.django_db

UNIT = {"symbol": "u", "factor": 1.0, "category": 1, "id": 1}
KG = {"symbol": "kg", "factor": 1.0, "category": 2, "id": 2}
LB = {"symbol": "lb", "factor": 0.45359237, "category": 2, "id": 5}
DOZEN = {"symbol": "dz", "factor": 12.0, "category": 1, "id": 9}


def ingest(entity: str, records: list[dict]) -> InboxMessage:
    message, _ = inbox_ingest(
        source="erp",
        external_id=f"{entity}:{uuid.uuid4().hex}",
        kind=f"tryton.{entity}",
        payload=dumps({"entity": entity, "records": records}),
        meta={"entity": entity},
    )
    return message


def product(pid: int, sku: str, *, suppliers=(1,), uom=UNIT, cost="2.00") -> dict:
    return {
        "id": pid,
        "code": sku,
        "name": f"Product {sku}",
        "active": True,
        "cost_price": Decimal(cost),
        "product_suppliers": list(suppliers),
        "default_uom.": uom,
        "template.": {"id": pid, "list_price": Decimal("3.00"), "purchasable": True},
    }


def base_network() -> None:
    ingest("locations", [{"id": 12, "code": "DC1", "name": "Central", "active": True}])
    ingest(
        "suppliers", [{"id": 2, "code": "ACME", "name": "Acme", "active": True, "supplier_lead_time": None}]
    )
    ingest("items", [product(1, "SKU-1"), product(2, "SKU-2", uom=KG)])


def open_issues(code: str) -> list[str]:
    return list(DataQualityIssue.objects.filter(code=code, status="open").values_list("message", flat=True))


def test_a_product_without_a_supplier_is_held_back_and_the_rest_applied():
    message = ingest("items", [product(1, "SKU-1"), product(7, "SKU-7", suppliers=())])

    assert message.status == InboxMessage.Status.APPLIED
    assert list(m.Item.objects.values_list("sku", "external_id")) == [("SKU-1", "1")]
    assert open_issues("missing_supplier") == [
        "Tryton product SKU-7 (product.product,7) is purchasable but has no supplier: add one under its "
        "Suppliers in Tryton. DistOps holds the item back until then."
    ]

    fixed = ingest("items", [product(7, "SKU-7", suppliers=(4,))])  # the buyer added a supplier in Tryton

    assert fixed.summary["issues_resolved"] == 1 and open_issues("missing_supplier") == []
    assert m.Item.objects.filter(sku="SKU-7", external_id="7").exists()


def supplier_record(psid: int, sku: str, pid: int, *, default=UNIT, purchase=UNIT, price="1.90") -> dict:
    return {
        "id": psid,
        "code": f"ACME-{sku}",
        "lead_time": dt.timedelta(days=10),
        "sequence": 1,
        "party.": {"id": 2, "code": "ACME", "name": "Acme"},
        "product": pid,
        "product.": {"id": pid, "code": sku, "product_suppliers": [psid]},
        "template": pid,
        "template.": {
            "id": pid,
            "product_suppliers": [psid],
            "default_uom.": default,
            "purchase_uom.": purchase,
        },
        "prices": [{"id": psid, "product_supplier": psid, "quantity": 2.0, "unit_price": Decimal(price)}],
    }


def test_a_unit_without_a_whole_number_conversion_is_held_back():
    base_network()

    message = ingest(
        "supplier_items",
        [
            supplier_record(1, "SKU-1", 1, purchase=DOZEN, price="21.60"),
            supplier_record(2, "SKU-2", 2, default=KG, purchase=LB),
        ],
    )

    assert message.status == InboxMessage.Status.APPLIED
    bought = m.SupplierItem.objects.get()
    # a dozen is 12 units: a pack of 12, 21.60 a dozen = 1.80 a unit, a minimum of 2 dozen = 24 units
    assert (bought.item.sku, bought.purchase_uom, bought.pack_size, bought.unit_cost, bought.moq) == (
        "SKU-1",
        "DZ",
        12,
        Decimal("1.8000"),
        24,
    )
    assert bought.contracted_lead_time_days == 10 and bought.is_primary
    assert open_issues("no_uom_conversion") == [
        "Tryton buys SKU-2 from ACME in 'lb', which is 0.453592 KG per unit: DistOps needs a whole number of KG "
        "per purchase unit. The supplier item is held back until the unit is fixed in Tryton."
    ]


def stock(pid: int, sku: str, quantity: float) -> dict:
    return {
        "id": pid,
        "product": {"id": pid, "code": sku, "default_uom.": UNIT},
        "warehouse": {"id": 12, "code": "DC1", "name": "Central"},
        "quantity": quantity,
    }


def test_a_negative_stock_quantity_is_held_back_and_flags_its_sku_location():
    base_network()

    message = ingest("balances", [stock(1, "SKU-1", 40.0), stock(2, "SKU-2", -3.0)])

    assert message.status == InboxMessage.Status.APPLIED
    assert list(m.ItemLocation.objects.values_list("item__sku", "on_hand")) == [("SKU-1", 40)]
    issue = DataQualityIssue.objects.get(code="negative_quantity")
    assert issue.message == (
        "Tryton shows -3 EA of SKU-2 at DC1: stock cannot be negative. The balance is held back until it is "
        "corrected in Tryton (an inventory)."
    )
    assert (issue.item.sku, issue.location.code) == ("SKU-2", "DC1")

    ingest("balances", [stock(2, "SKU-2", 4.0)])  # corrected by an inventory

    assert open_issues("negative_quantity") == []
    assert m.ItemLocation.objects.get(item__sku="SKU-2").on_hand == 4


def purchase(pid: int, number: str, state: str, lines: list[dict]) -> dict:
    return {
        "id": pid,
        "number": number,
        "state": state,
        "reference": None,
        "purchase_date": dt.date(2026, 3, 2),
        "create_date": dt.datetime(2026, 3, 2, 9, 0),
        "party.": {"id": 2, "code": "ACME", "name": "Acme"},
        "warehouse.": {"id": 12, "code": "DC1"},
        "lines": lines,
    }


def line(lid: int, sku: str, quantity: float, *, sequence=None, moves=()) -> dict:
    return {
        "id": lid,
        "sequence": sequence,
        "type": "line",
        "quantity": quantity,
        "unit_price": Decimal("1.90"),
        "delivery_date": dt.date(2026, 3, 20),
        "product.": {"id": 1, "code": sku, "default_uom.": UNIT},
        "unit.": UNIT,
        "product_supplier.": {"lead_time": dt.timedelta(days=10)},
        "moves": list(moves),
    }


def move(mid: int, state: str, quantity: float, planned: dt.date) -> dict:
    return {
        "id": mid,
        "state": state,
        "quantity": quantity,
        "planned_date": planned,
        "effective_date": None,
        "unit.": UNIT,
    }


def test_a_purchase_in_an_unknown_state_is_held_back_and_the_others_applied():
    base_network()

    message = ingest(
        "purchase_orders",
        [
            purchase(5, "P5", "on_hold", [line(50, "SKU-1", 10)]),
            purchase(
                6,
                "P6",
                "processing",
                [
                    line(
                        61,
                        "SKU-1",
                        24,
                        sequence=2,
                        moves=[
                            move(1, "done", 4, dt.date(2026, 3, 12)),
                            move(2, "draft", 20, dt.date(2026, 3, 18)),
                        ],
                    ),
                    line(60, "SKU-1", 6, sequence=1, moves=[move(3, "draft", 6, dt.date(2026, 3, 25))]),
                    line(62, "SKU-9", 3, sequence=3, moves=[move(4, "draft", 3, dt.date(2026, 3, 25))]),
                ],
            ),
        ],
    )

    assert message.status == InboxMessage.Status.APPLIED
    rows = list(
        m.PurchaseOrderLine.objects.order_by("line_number").values_list(
            "order__number",
            "line_number",
            "external_id",
            "quantity_ordered",
            "quantity_received",
            "promised_date",
            "status",
        )
    )
    # numbered by (sequence, id); promised = the earliest planned date of the moves still to come
    assert rows == [
        ("P6", 1, "60", 6, 0, dt.date(2026, 3, 25), "open"),
        ("P6", 2, "61", 24, 4, dt.date(2026, 3, 18), "partial"),
    ]
    assert open_issues("unknown_state") == [
        "Tryton purchase P5 is in state 'on_hold', which DistOps does not know (draft, quotation, confirmed, "
        "processing, done, cancelled): its lines are held back."
    ]
    assert open_issues("unmapped_code") == [
        "Tryton's open purchase orders row P6 line 3 names item 'SKU-9', which DistOps does not have (held back "
        "by a quality gate, or not pulled yet): the row is held back."
    ]


def test_pulled_order_points_are_the_simulators_static_min_max_baseline():
    base_network()
    ingest("balances", [stock(1, "SKU-1", 40.0)])

    message = ingest(
        "order_points",
        [
            {
                "id": 3,
                "min_quantity": 10.0,
                "target_quantity": 50.0,
                "product.": {"id": 1, "code": "SKU-1"},
                "location.": {"id": 12, "code": "DC1"},
                "unit.": UNIT,
            },
            {
                "id": 4,
                "min_quantity": 4.5,
                "target_quantity": 2.0,
                "product.": {"id": 2, "code": "SKU-2"},
                "location.": {"id": 12, "code": "DC1"},
                "unit.": KG,
            },
        ],
    )

    assert message.summary["applied"]["order_points"] == {
        "rows": 2,
        "sku_locations_created": 1,
        "min_max_changed": 1,
    }
    levels = dict(m.ItemLocation.objects.values_list("item__sku", "static_min"))
    assert levels == {"SKU-1": 10, "SKU-2": 5}  # 4.5 kg rounds up to a whole 5; a target below min is min
    loaded = load_plan_inputs(as_of=dt.date(2026, 3, 2))  # what the simulator's actuals window reads
    series = loaded.inputs.series.set_index("item_location_id")
    ids = dict(m.ItemLocation.objects.values_list("item__sku", "pk"))
    assert np.array_equal(series.loc[[ids["SKU-1"], ids["SKU-2"]], "static_min"].to_numpy(), [10, 5])
    assert np.array_equal(series.loc[[ids["SKU-1"], ids["SKU-2"]], "static_max"].to_numpy(), [50, 5])
