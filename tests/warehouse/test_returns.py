"""Returns triage (issue 15 item 3): return lines by file, API and webhook through the inbox (a return for an
unknown order is a dead letter naming it, nothing half-applied), each disposition valued (checked against values
worked out by hand), and a restock that puts the units back and resolves a backorder (outbox + audit)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from guardian.shortcuts import assign_perm

from exceptions.warehouse import returns
from integrations.files.importers import file_import
from integrations.models import InboxMessage, OutboxMessage
from integrations.webhooks import sign_headers, webhook_secret_rotate
from replenish import models as m
from replenish.core.audit import AuditEvent
from replenish.core.errors import NotAllowed
from replenish.engine import returns as engine
from replenish.returns.models import ReturnLine
from replenish.services import demo_users_ensure
from tests import factories as f


def test_each_disposition_is_valued_as_worked_out_by_hand():
    # 4 good units costing 10 (vendor cost 9); a gold backorder of 3 units at 25 waits for them
    backorder = engine.Backorder(
        units=3, unit_price=25.0, unit_cost=10.0, penalty_per_late_line=50.0, penalty_rate=0.05
    )
    values = {
        o["choice"]: o["value"] for o in engine.options(engine.ReturnIn(4, "good", 10.0, 9.0), [backorder])
    }
    # backorder part: margin 3 x 15 = 45 + penalties 50 + 5% of 75 = 53.75 -> 98.75
    assert values["restock"] == pytest.approx(4 * 10 + 98.75 - 4 * 1.0)  # 134.75
    assert values["refurbish"] == pytest.approx(4 * 10 * 0.85 + 88.88 - 4 * 10 * 0.25)  # 98.75 x 0.9 in cents
    assert values["return_to_vendor"] == pytest.approx(4 * 9 * 0.85 - 40)
    assert values["scrap"] == pytest.approx(4 * 10 * 0.05)
    # the same return with no backorder waiting: a restock is worth its stock only
    alone = {o["choice"]: o["value"] for o in engine.options(engine.ReturnIn(4, "good", 10.0, 9.0), [])}
    assert alone["restock"] == pytest.approx(36.0) and values["restock"] - alone["restock"] == pytest.approx(
        98.75
    )
    # a defective unit is never restocked
    assert {o["choice"] for o in engine.options(engine.ReturnIn(1, "defective", 10.0, 9.0), [])} == {
        "return_to_vendor",
        "scrap",
    }


@pytest.fixture
def shop(db):
    users = demo_users_ensure(locations=1, buyers=1)
    supervisor = users["supervisors"][0]
    wh1 = f.location(code="WH1", external_id="WH1")
    assign_perm("replenish.view_location", supervisor, wh1)
    gold = f.service_tier(
        code="gold", rank=2, penalty_per_late_line=Decimal("50"), penalty_rate=Decimal("0.05")
    )
    item = f.item(sku="SKU-R1", unit_cost=Decimal("10"), unit_price=Decimal("25"))
    il = f.item_location(item=item, location=wh1, on_hand=0, backordered=3)
    customer = f.customer(service_tier=gold)
    sold = m.SalesOrder.objects.create(
        external_id="SO-1", number="SO-1", customer=customer, location=wh1, order_date=date(2026, 11, 1)
    )
    m.SalesOrderLine.objects.create(
        external_id="SO-1/1",
        order=sold,
        line_number=1,
        item=item,
        quantity_ordered=6,
        quantity_shipped=6,
        unit_price=Decimal("25"),
        requested_ship_date=date(2026, 11, 2),
        status="shipped",
    )
    waiting = m.SalesOrder.objects.create(
        external_id="SO-2", number="SO-2", customer=customer, location=wh1, order_date=date(2026, 12, 1)
    )
    backorder = m.SalesOrderLine.objects.create(
        external_id="SO-2/1",
        order=waiting,
        line_number=1,
        item=item,
        quantity_ordered=3,
        unit_price=Decimal("25"),
        requested_ship_date=date(2026, 12, 2),
        status="backordered",
    )
    return {"supervisor": supervisor, "il": il, "backorder": backorder, "item": item}


CSV = "rma,line,order,sku,quantity,condition,reason\n"


def test_a_return_for_an_unknown_order_is_refused_whole_with_the_row_named(shop):
    data = (
        CSV + "R-1,1,SO-1,SKU-R1,4,good,wrong size\nR-1,2,SO-404,SKU-R1,1,new,\nR-1,3,SO-1,SKU-R1,9,new,\n"
    ).encode()
    message = file_import(kind="returns", data=data, filename="returns.csv")
    assert message.status == InboxMessage.Status.REJECTED and message in InboxMessage.objects.filter(
        status__in=InboxMessage.DEAD_LETTER_STATUSES
    )
    problems = {(e.get("row"), e.get("column")): e["message"] for e in message.errors}
    assert "unknown sales order 'SO-404'" in problems[(3, "order")]
    assert "returns 9 units but order SO-1 line 1 sold 6" in problems[(4, "quantity")]
    assert not ReturnLine.objects.exists()  # the good first row is not applied either


def test_returns_arrive_by_api_and_by_signed_webhook_through_the_inbox(shop, client):
    client.force_login(shop["supervisor"])
    bad = client.post(
        "/api/returns/",
        {
            "id": "b1",
            "data": [
                {"rma": "R-9", "line": 1, "order": "NOPE", "sku": "SKU-R1", "quantity": 1, "condition": "new"}
            ],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "unknown sales order 'NOPE'" in json.dumps(bad.json()["errors"])
    good = client.post(
        "/api/returns/",
        {
            "id": "b2",
            "data": [
                {"rma": "R-2", "line": 1, "order": "SO-1", "sku": "SKU-R1", "quantity": 2, "condition": "new"}
            ],
        },
        content_type="application/json",
    )
    assert good.status_code == 201 and ReturnLine.objects.get().rma == "R-2"
    webhook_secret_rotate(source="returns", actor=None, new_secret="s3cret")
    event = json.dumps(
        {
            "id": "evt-1",
            "type": "returns.upsert",
            "data": {
                "rma": "R-3",
                "line": 1,
                "order": "SO-1",
                "sku": "SKU-R1",
                "quantity": 1,
                "condition": "damaged",
            },
        }
    ).encode()
    response = Client().post(
        "/integrations/webhooks/returns/",
        data=event,
        content_type="application/json",
        headers=sign_headers("s3cret", event),
    )
    assert response.status_code == 200, response.content
    assert set(ReturnLine.objects.values_list("rma", "condition")) == {("R-2", "new"), ("R-3", "damaged")}


def test_a_restocked_return_becomes_available_and_resolves_the_backorder(shop):
    message = file_import(
        kind="returns", data=(CSV + "R-1,1,SO-1,SKU-R1,4,good,\n").encode(), filename="r.csv"
    )
    assert message.status == "applied", message.errors
    (ret,) = returns.return_queue(user=shop["supervisor"])
    assert ret.best["choice"] == "restock" and ret.best["value"] == pytest.approx(134.75)
    assert [o["label"] for o in ret.options][:2] == ["Restock", "Refurbish"]
    with pytest.raises(NotAllowed, match="can be"):
        returns.return_decide(ret=ret, choice="fly_away", actor=shop["supervisor"], version=1)
    result = returns.return_decide(ret=ret, choice="restock", actor=shop["supervisor"], version=1)
    il = m.ItemLocation.objects.get(pk=shop["il"].pk)
    assert (il.on_hand, il.allocated, il.backordered) == (4, 3, 0)
    line = m.SalesOrderLine.objects.get(pk=shop["backorder"].pk)
    assert (line.quantity_allocated, line.status) == (3, "open")
    posted = OutboxMessage.objects.get(kind="return_disposition")
    assert posted.payload["allocated_to"] == [
        {"order": "SO-2", "line": 1, "sales_order_line_id": line.pk, "units": 3, "resolved": True}
    ]
    event = AuditEvent.objects.get(action="return_decided")
    assert event.payload["outbox"] == posted.pk and event.payload["backorders_filled"][0]["resolved"] is True
    assert result["return"].status == "decided"
    with pytest.raises(NotAllowed, match="already decided"):
        returns.return_decide(ret=ret, choice="scrap", actor=shop["supervisor"], version=2)
    assert OutboxMessage.objects.count() == 1
