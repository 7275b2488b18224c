"""Every action does something at the ERP: a chase is a message to the supplier naming the PO and the ASN, a
re-promise writes the new promise date to the order lines, an expedite carries its freight; each is posted through
the outbox under the contract the reference ERP checks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exceptions.errors import NotAllowed
from exceptions.models import PlanningException, Status
from exceptions.services import exception_approve, exceptions_refresh
from integrations.erp.reference_server import ErpState
from integrations.models import OutboxMessage
from integrations.outbox import action_body
from replenish import models as m
from tests import factories as f
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


def live(**kw):
    return PlanningException.objects.exclude(status=Status.CLOSED).get(**kw)


def erp_accepts(message) -> tuple[int, dict]:
    return ErpState().post(message.kind, message.idempotency_key, action_body(message))


def test_a_late_inbound_without_an_expedite_is_chased_with_the_supplier(users):
    run = xf.plan_run()
    (il,) = xf.network(buyer=users["buyer1"])
    supplier = il.item.supplier_items.get().supplier
    xf.sku_plan(run=run, item_location=il, projected_stockout_date=None, stockout_probability=0.4)
    line = f.purchase_order_line(item_location=il, quantity=50, promised_in_days=3, supplier_=supplier)
    m.PurchaseOrderLine.objects.filter(pk=line.pk).update(
        acknowledged_date=timezone.localdate() + timedelta(11)
    )
    exceptions_refresh(run=run)
    task = live(subject_key=f"sku:{il.pk}")
    assert task.type == "inbound_late" and task.proposal["action"] == "chase"
    assert task.proposal["po_lines"][0]["po_number"] == line.order.number
    assert line.order.number in task.proposal["message"]
    assert "amount" not in task.proposal  # a chase spends nothing: no approval tier
    done = exception_approve(exception=task, actor=users["buyer1"], version=task.version)
    assert done.status == Status.APPROVED
    message = OutboxMessage.objects.get(subject_id=str(task.pk))
    assert (
        message.kind == "chase_supplier" and message.payload["po_lines"][0]["po_number"] == line.order.number
    )
    status, answer = erp_accepts(message)
    assert status == 201 and answer["transaction_id"]


def test_orders_at_risk_are_re_promised_for_the_day_supply_lands(users):
    run = xf.plan_run()
    (il,) = xf.network(buyer=users["buyer1"])
    xf.sku_plan(run=run, item_location=il, projected_stockout_date=timezone.localdate() + timedelta(2))
    f.purchase_order_line(item_location=il, quantity=100, promised_in_days=9)  # the next supply
    tier = f.service_tier(code="platinum", penalty_per_late_line=Decimal("150"))
    order = m.SalesOrder.objects.create(
        external_id="SO9",
        number="SO9",
        customer=f.customer(service_tier=tier),
        location=il.location,
        order_date=timezone.localdate(),
    )
    m.SalesOrderLine.objects.create(
        external_id="SO9-1",
        order=order,
        line_number=1,
        item=il.item,
        quantity_ordered=20,
        unit_price=Decimal("16"),
        requested_ship_date=timezone.localdate() + timedelta(4),
    )
    exceptions_refresh(run=run)
    task = live(subject_key=f"orders:{il.pk}")
    promise = task.proposal["date"]
    arrival = m.PurchaseOrderLine.objects.get(item=il.item).promised_date
    assert task.proposal["action"] == "repromise" and promise == arrival.isoformat()
    assert task.proposal["order_lines"] == [
        {"sales_order_line_id": order.lines.get().pk, "order_number": "SO9", "line": 1}
    ]
    # customer service decides re-promises; a buyer's role does not
    with pytest.raises(NotAllowed, match="decide a repromise"):
        exception_approve(exception=task, actor=users["buyer1"], version=task.version)
    agent = users["service1"]
    exception_approve(exception=task, actor=agent, version=task.version)
    message = OutboxMessage.objects.get(subject_id=str(task.pk))
    assert message.kind == "repromise_order"
    assert message.payload["order_lines"][0]["new_promise_date"] == promise
    status, _ = erp_accepts(message)
    assert status == 201
    assert action_body(message)["new_promise_date"] == promise


def test_the_reference_erp_refuses_a_chase_or_re_promise_it_cannot_carry_out():
    state = ErpState()
    assert state.post("chase_supplier", "k1", {"supplier": "S1", "po_lines": []})[0] == 422
    assert state.post("repromise_order", "k2", {"order_lines": [{"order_number": "SO1"}]})[0] == 422
    ok = {"order_lines": [{"order_number": "SO1", "line": 1, "new_promise_date": "2026-12-01"}]}
    assert state.post("repromise_order", "k3", ok)[0] == 201


def test_an_expedite_posts_the_new_date_with_its_freight(users):
    il = xf.network(buyer=users["buyer1"])[0]
    line = f.purchase_order_line(item_location=il, quantity=100, promised_in_days=20)
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    proposal = {
        "action": "expedite",
        "quantity": 100,
        "date": day,
        "po_line_id": line.pk,
        "unit_cost": "10.00",
    }
    from exceptions.scoring import with_spend

    exc = xf.exception(item_location=il, type="inbound_late", proposal=with_spend(proposal))
    exception_approve(exception=exc, actor=users["buyer1"], version=1)
    message = OutboxMessage.objects.get(subject_id=str(exc.pk))
    body = action_body(message)
    # freight: 75 + 4 % of 100 x 10.00
    assert message.kind == "expedite_request" and body["new_date"] == day and body["freight"] == "115.00"
    assert body["po_number"] == line.order.number and body["line"] == line.line_number


def test_a_draft_pos_spend_reads_the_value_settings_once_and_sums_its_lines(monkeypatch):
    """A draft PO's amount is the sum of its lines' quantity x unit cost (no freight), computed here by hand; the
    value settings are read once for the whole proposal, not once per line (a queue page shows many)."""
    from exceptions import scoring

    reads = []
    real = scoring.value_settings
    monkeypatch.setattr(scoring, "value_settings", lambda: reads.append(1) or real())
    lines = [
        {"sku": f"S{i}", "quantity": q, "unit_cost": c}
        for i, (q, c) in enumerate([(3, "2.50"), (10, "0.99")])
    ]
    spend = scoring.proposal_spend({"action": "purchase_order", "lines": lines})
    assert spend == {"goods": Decimal("17.40"), "freight": Decimal("0.00"), "amount": Decimal("17.40")}
    assert len(reads) == 1
    expedite = scoring.proposal_spend({"action": "expedite", "quantity": 100, "unit_cost": "10.00"})
    assert expedite["freight"] == Decimal("115.00") and len(reads) == 2  # 75 + 4 % of 1,000.00
