"""The Tryton adapter against a real trytond over HTTP (DISTOPS_TRYTON_TEST_URL; .ci/run starts one from the
PyPI packages with a database made by trytond-admin): pulls of a small company, postings of approved actions."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from integrations.erp import get_adapter
from integrations.erp.sync import erp_pull
from integrations.erp.tryton.adapter import TrytonErpAdapter
from integrations.erp.tryton.network import network_load
from integrations.models import OutboxMessage
from integrations.outbox import outbox_relay
from replenish import models as m

from .test_faults import workers  # noqa: F401 - the fixture
from .tryton_network import prefix, small_company

pytestmark = [pytest.mark.tryton, pytest.mark.django_db]


def no_sleep(_seconds: float) -> None:
    return None


def loaded(tryton) -> tuple[str, dict]:
    p = prefix()
    network = small_company(p)
    network_load(tryton.client, network)
    return p, network


def purchase_of(tryton, p: str) -> dict:
    return tryton.client.search_read(
        "purchase.purchase",
        [("party.code", "=", f"{p}-ACME"), ("reference", "=", f"demo:{p}-P1")],
        fields=["number", "state"],
    )[0]


def test_the_registry_builds_the_configured_tryton_adapter(tryton):
    adapter = get_adapter()
    assert isinstance(adapter, TrytonErpAdapter) and adapter.describe().startswith("Tryton http://")


def test_a_pull_reproduces_a_small_company(tryton, settings):
    settings.DISTOPS_TRYTON_PULL_OVERLAP_SECONDS = 0
    p, network = loaded(tryton)
    number = purchase_of(tryton, p)["number"]
    time.sleep(1.1)  # the pull's clock starts a second before Tryton's: let the load be older than that

    report = erp_pull(adapter=tryton.adapter(), sleep=no_sleep)

    assert all(line["error"] is None and line["rejected"] is None for line in report.values()), report
    items = {i.sku: i for i in m.Item.objects.filter(sku__startswith=p)}
    assert {(s, str(i.unit_cost), str(i.unit_price)) for s, i in items.items()} == {
        (f"{p}-A", "2.0000", "3.0000"),
        (f"{p}-B", "5.0000", "8.0000"),
    }
    product_ids = {
        r["code"]: str(r["id"])
        for r in tryton.client.search_read("product.product", [("code", "in", list(items))], fields=["code"])
    }
    assert {s: i.external_id for s, i in items.items()} == product_ids  # Tryton's ids
    stock = {
        (il.item.sku, il.location.code): (il.on_hand, il.static_min, il.static_max)
        for il in m.ItemLocation.objects.filter(item__sku__startswith=p).select_related("item", "location")
    }
    assert stock == {
        (f"{p}-A", f"{p}DC"): (40, 10, 50),
        (f"{p}-A", f"{p}BR"): (7, 0, 0),
        (f"{p}-B", f"{p}DC"): (15, 5, 20),
    }
    supplier_items = {
        si.item.sku: (
            si.supplier.code,
            si.supplier_part_number,
            str(si.unit_cost),
            si.contracted_lead_time_days,
            si.moq,
            si.is_primary,
        )
        for si in m.SupplierItem.objects.filter(item__sku__startswith=p).select_related("item", "supplier")
    }
    assert supplier_items == {
        f"{p}-A": (f"{p}-ACME", "ACME-A", "1.9000", 10, 0, True),
        f"{p}-B": (f"{p}-ACME", "ACME-B", "4.5000", 12, 6, True),
    }
    today = dt.date.today()
    lines = [
        (ln.line_number, ln.item.sku, ln.quantity_ordered, ln.quantity_received, ln.promised_date, ln.status)
        for ln in m.PurchaseOrderLine.objects.filter(order__number=number, item__sku__startswith=p)
        .select_related("item")
        .order_by("line_number")
    ]
    assert lines == [
        (1, f"{p}-A", 24, 0, today + dt.timedelta(days=10), "open"),
        (2, f"{p}-B", 6, 0, today + dt.timedelta(days=12), "open"),
    ]
    order = m.PurchaseOrder.objects.get(number=number)
    assert (order.supplier.code, order.location.code) == (f"{p}-ACME", f"{p}DC")
    sales = [
        (ln.order.customer.code, ln.item.sku, ln.quantity_ordered, ln.requested_ship_date)
        for ln in m.SalesOrderLine.objects.filter(item__sku__startswith=p).select_related(
            "order__customer", "item"
        )
    ]
    assert sales == [(f"{p}-BOB", f"{p}-A", 5, today + dt.timedelta(days=3))]

    # incremental: only what changed since the last pull comes again
    point = tryton.client.search_read("stock.order_point", [("product.code", "=", f"{p}-A")], fields=["id"])[
        0
    ]["id"]
    tryton.client.write("stock.order_point", [point], {"min_quantity": 12.0, "target_quantity": 60.0})
    again = erp_pull(adapter=tryton.adapter(), sleep=no_sleep)

    assert again["order_points"]["records"] == 1 and again["items"]["records"] == 0, again
    il = m.ItemLocation.objects.get(item__sku=f"{p}-A", location__code=f"{p}DC")
    assert (il.static_min, il.static_max) == (12, 60)


def relay(tryton) -> None:
    outbox_relay(adapter=tryton.adapter(), time_budget=60)


def test_an_approved_po_is_one_tryton_purchase_even_when_posted_twice(tryton):
    p, _network = loaded(tryton)
    payload = {
        "supplier": f"{p}-ACME",
        "location": f"{p}DC",
        "sku": f"{p}-A",
        "quantity": 36,
        "due_date": (dt.date.today() + dt.timedelta(days=9)).isoformat(),
        "decided_by": "buyer1",
    }
    message = OutboxMessage.objects.create(
        kind="create_po",
        idempotency_key=f"{p}:exception-1-v1-approve",
        payload=payload,
        subject_type="exception",
        subject_id="1",
    )
    relay(tryton)
    message.refresh_from_db()
    first = dict(message.outcome)
    # the same decision again (a retry after a lost answer): the adapter finds the purchase by its reference
    again = tryton.adapter().post("create_po", payload, idempotency_key=message.idempotency_key)

    purchases = tryton.client.search_read(
        "purchase.purchase",
        [("reference", "=", message.idempotency_key)],
        fields=["number", "state", "lines"],
    )
    assert len(purchases) == 1 and purchases[0]["state"] == "quotation"
    assert message.status == "delivered" and first["duplicate"] is False
    assert first["record"] == {
        "model": "purchase.purchase",
        "id": purchases[0]["id"],
        "state": "quotation",
        "number": purchases[0]["number"],
    }
    assert first["document_number"] == purchases[0]["number"]
    assert again.duplicate is True and again.record["id"] == purchases[0]["id"]
    line = tryton.client.search_read(
        "purchase.line",
        [("purchase", "=", purchases[0]["id"])],
        fields=["quantity", "delivery_date", "unit_price", "product.code"],
    )[0]
    assert (line["quantity"], line["delivery_date"], str(line["unit_price"]), line["product."]["code"]) == (
        36.0,
        dt.date.today() + dt.timedelta(days=9),
        "1.90",
        f"{p}-A",
    )
    from replenish.core.models import AuditEvent

    event = AuditEvent.objects.filter(kind="posting", action="delivered", subject_id="1").latest("id")
    assert event.payload["record"]["model"] == "purchase.purchase"


def _post(tryton, kind: str, key: str, payload: dict) -> OutboxMessage:
    message = OutboxMessage.objects.create(kind=kind, idempotency_key=key, payload=payload)
    relay(tryton)
    message.refresh_from_db()
    return message


def test_a_date_change_and_a_cancel_reach_the_purchase_lines(tryton):
    p, _network = loaded(tryton)
    purchase = purchase_of(tryton, p)
    new_date = dt.date.today() + dt.timedelta(days=4)

    deferred = _post(
        tryton,
        "change_po",
        f"{p}:defer",
        {"po_number": purchase["number"], "line": 1, "new_date": new_date.isoformat()},
    )
    cancelled = _post(tryton, "cancel_po", f"{p}:cancel", {"po_number": purchase["number"], "line": 2})

    assert (deferred.status, cancelled.status) == ("delivered", "delivered"), (
        deferred.outcome,
        cancelled.outcome,
    )
    lines = tryton.client.search_read(
        "purchase.line",
        [("purchase", "=", purchase["id"])],
        fields=["delivery_date", "moves", "note"],
        order=[("id", "ASC")],
    )
    assert lines[0]["delivery_date"] == new_date and f"[DistOps {p}:defer]" in lines[0]["note"]
    moves = tryton.client.search_read("stock.move", [("id", "in", lines[1]["moves"])], fields=["state"])
    assert [mv["state"] for mv in moves] == ["cancelled"]
    assert (
        cancelled.outcome["record"]["model"] == "purchase.line"
        and cancelled.outcome["record"]["id"] == lines[1]["id"]
    )
    # the same change again is recognised by the note, not made twice
    again = tryton.adapter().post(
        "change_po",
        {"po_number": purchase["number"], "line": 1, "new_date": new_date.isoformat()},
        idempotency_key=f"{p}:defer",
    )
    assert again.duplicate is True


def test_a_quotation_line_quantity_changes_in_place(tryton):
    p, _network = loaded(tryton)
    payload = {"supplier": f"{p}-ACME", "location": f"{p}DC", "sku": f"{p}-B", "quantity": 12}
    created = tryton.adapter().post("create_po", payload, idempotency_key=f"{p}:new")
    number = created.record["number"]

    _post(tryton, "change_po", f"{p}:reduce", {"po_number": number, "line": 1, "quantity": 8})

    purchase = tryton.client.search_read(
        "purchase.purchase", [("number", "=", number)], fields=["state", "lines"]
    )[0]
    line = tryton.client.search_read("purchase.line", [("id", "in", purchase["lines"])], fields=["quantity"])[
        0
    ]
    assert (purchase["state"], line["quantity"]) == ("quotation", 8.0)


def test_an_order_point_update_lands(tryton):
    p, _network = loaded(tryton)

    message = _post(
        tryton, "set_order_point", f"{p}:op", {"sku": f"{p}-A", "location": f"{p}DC", "min": 14, "max": 70}
    )

    point = tryton.client.search_read(
        "stock.order_point", [("product.code", "=", f"{p}-A")], fields=["min_quantity", "target_quantity"]
    )
    assert [(r["min_quantity"], r["target_quantity"]) for r in point] == [(14.0, 70.0)]
    assert message.status == "delivered" and message.outcome["record"]["model"] == "stock.order_point"


def test_a_refusal_by_tryton_is_the_outcome(tryton):
    p, _network = loaded(tryton)
    purchase = purchase_of(tryton, p)
    line = tryton.client.search_read(
        "purchase.line", [("purchase", "=", purchase["id"])], fields=["moves"], order=[("id", "ASC")]
    )[0]
    receive(tryton, p, line["moves"])

    message = _post(tryton, "cancel_po", f"{p}:cancel-received", {"po_number": purchase["number"], "line": 1})

    assert message.status == "dead" and message.attempts == 1
    assert "Tryton refused model.stock.move.cancel" in message.outcome["error"]
    moves = tryton.client.search_read("stock.move", [("id", "in", line["moves"])], fields=["state"])
    assert [mv["state"] for mv in moves] == ["done"]


def receive(tryton, p: str, move_ids: list[int]) -> None:
    warehouse = tryton.client.search_read(
        "stock.location", [("code", "=", f"{p}DC")], fields=["input_location", "storage_location"]
    )[0]
    supplier = tryton.client.search_read("party.party", [("code", "=", f"{p}-ACME")], fields=["id"])[0]["id"]
    (shipment,) = tryton.client.create(
        "stock.shipment.in",
        [
            {
                "supplier": supplier,
                "warehouse": warehouse["id"],
                "warehouse_input": warehouse["input_location"],
                "warehouse_storage": warehouse["storage_location"],
                "incoming_moves": [("add", move_ids)],
            }
        ],
    )
    tryton.client.model("stock.shipment.in", "receive", [shipment])
    tryton.client.model("stock.shipment.in", "do", [shipment])


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_posting_and_recording_makes_one_tryton_purchase(
    tryton,
    workers,  # noqa: F811 - the fixture imported from test_faults
    monkeypatch,
):
    """The worker posts the purchase; Tryton creates it, its answer is held back and the worker is killed. The
    next worker posts again with the same key: the adapter finds the purchase by its reference."""
    import uuid
    from urllib.parse import urlparse

    from .test_faults import fault_broker_url, send_relay, time_now, wait_for
    from .tryton_proxy import HoldingProxy

    p, _network = loaded(tryton)
    proxy = HoldingProxy(f"http://{urlparse(tryton.url).netloc}")
    try:
        proxy.hold["model.purchase.purchase.create"] = 8.0
        monkeypatch.setenv("ERP_ADAPTER", "tryton")
        monkeypatch.setenv("TRYTON_URL", proxy.url(urlparse(tryton.url).path))
        monkeypatch.setenv("TRYTON_PASSWORD", tryton.password)
        key = f"{p}:exception-41-v2-approve"
        message = OutboxMessage.objects.create(
            kind="create_po",
            idempotency_key=key,
            subject_type="exception",
            subject_id="41",
            payload={"supplier": f"{p}-ACME", "location": f"{p}DC", "sku": f"{p}-B", "quantity": 24},
        )
        queue, broker = f"faults-{uuid.uuid4().hex[:8]}", fault_broker_url()
        first = workers(broker=broker, erp_url="", queue=queue)
        first.wait_ready()
        send_relay(broker, queue)
        wait_for(lambda: "model.purchase.purchase.create" in proxy.seen, 60, "Tryton to create the purchase")
        first.kill()

        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sending", 1)  # posted, never recorded
        made = tryton.client.search_read("purchase.purchase", [("reference", "=", key)], fields=["state"])
        assert [r["state"] for r in made] == ["draft"]  # Tryton made it; the worker died before quoting it

        wait_for(
            lambda: OutboxMessage.objects.filter(pk=message.pk, claimed_until__lt=time_now()).exists(),
            20,
            "the dead worker's lease to expire",
        )
        second = workers(broker=broker, erp_url="", queue=queue)
        second.wait_ready()
        send_relay(broker, queue)
        wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == "delivered", 60, "the re-posting")
    finally:
        proxy.close()

    message.refresh_from_db()
    purchases = tryton.client.search_read(
        "purchase.purchase", [("reference", "=", key)], fields=["state", "number"]
    )
    assert len(purchases) == 1 and purchases[0]["state"] == "quotation"  # exactly one purchase, finished
    assert message.attempts == 2 and message.outcome["duplicate"] is True
    assert message.outcome["record"] == {
        "model": "purchase.purchase",
        "id": purchases[0]["id"],
        "state": "quotation",
        "number": purchases[0]["number"],
    }


def test_an_order_point_sent_from_distops_lands_in_tryton_once(tryton, settings):
    """The whole path: Tryton's order point pulled as the static min/max, the plan's s and S sent by a buyer from
    the SKU-location page's service, posted through the outbox, mirrored back; a retried posting changes nothing."""
    from governance.order_points import order_point_send
    from replenish.core.models import AuditEvent
    from tests.governance import factories as gf

    settings.DISTOPS_TRYTON_PULL_OVERLAP_SECONDS = 0
    p, _network = loaded(tryton)
    time.sleep(1.1)
    erp_pull(adapter=tryton.adapter(), sleep=no_sleep)
    il = m.ItemLocation.objects.get(item__sku=f"{p}-A", location__code=f"{p}DC")
    assert (il.static_min, il.static_max) == (10, 50)  # Tryton's order point, pulled
    buyer = gf.user("buyer")
    run = gf.plan_run(is_current=True, filters={"as_of": dt.date.today().isoformat()})
    gf.sku_plan(run=run, item_location=il, reorder_point=13.2, order_up_to=61.5)

    message = order_point_send(actor=buyer, item_location=il, plan_run_id=run.pk, new_min=14, new_max=62)
    relay(tryton)
    message.refresh_from_db()
    OutboxMessage.objects.filter(pk=message.pk).update(status="pending", attempts=0)  # a requeued posting
    relay(tryton)

    point = tryton.client.search_read(
        "stock.order_point",
        [("product.code", "=", f"{p}-A"), ("location.code", "=", f"{p}DC")],
        fields=["min_quantity", "target_quantity"],
    )
    assert [(r["min_quantity"], r["target_quantity"]) for r in point] == [(14.0, 62.0)]
    il.refresh_from_db()
    assert (il.static_min, il.static_max) == (14, 62)
    assert message.status == "delivered" and message.outcome["record"]["model"] == "stock.order_point"
    assert AuditEvent.objects.filter(action="order_point_send", actor=buyer).count() == 1


def test_a_transfer_is_one_internal_shipment_and_an_expedite_moves_the_line_date(tryton):
    p, _network = loaded(tryton)
    due = dt.date.today() + dt.timedelta(days=3)
    body = {
        "sku": f"{p}-A",
        "from_location": f"{p}DC",
        "location": f"{p}BR",
        "quantity": 6,
        "due_date": due.isoformat(),
    }

    moved = _post(tryton, "transfer_order", f"{p}:move", body)
    again = tryton.adapter().post("transfer_order", body, idempotency_key=f"{p}:move")

    shipments = tryton.client.search_read(
        "stock.shipment.internal",
        [("reference", "=", f"{p}:move")],
        fields=["state", "planned_date", "from_location", "to_location", "moves"],
    )
    assert len(shipments) == 1 and again.duplicate is True
    assert moved.status == "delivered" and moved.outcome["record"]["model"] == "stock.shipment.internal"
    (shipment,) = shipments
    warehouses = {
        r["code"]: r["storage_location"]
        for r in tryton.client.search_read(
            "stock.location", [("code", "in", [f"{p}DC", f"{p}BR"])], fields=["code", "storage_location"]
        )
    }
    assert (shipment["from_location"], shipment["to_location"]) == (
        warehouses[f"{p}DC"],
        warehouses[f"{p}BR"],
    )
    assert shipment["planned_date"] == due and shipment["state"] == "waiting"
    moves = tryton.client.search_read(
        "stock.move", [("id", "in", shipment["moves"])], fields=["quantity", "product.code"]
    )
    # one move, or two through a transit location when the warehouses are apart: each carries the 6 units of A
    assert moves and {(mv["quantity"], mv["product."]["code"]) for mv in moves} == {(6.0, f"{p}-A")}

    purchase = purchase_of(tryton, p)
    sooner = dt.date.today() + dt.timedelta(days=1)
    expedited = _post(
        tryton,
        "expedite_request",
        f"{p}:expedite",
        {"po_number": purchase["number"], "line": 1, "new_date": sooner.isoformat(), "freight": "120.00"},
    )
    line = tryton.client.search_read(
        "purchase.line", [("purchase", "=", purchase["id"])], fields=["delivery_date"], order=[("id", "ASC")]
    )[0]
    assert expedited.status == "delivered", expedited.outcome
    assert line["delivery_date"] == sooner
