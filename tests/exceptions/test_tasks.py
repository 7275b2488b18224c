"""One task per decision: the signals of a SKU-location are one task, PO proposals to one supplier and ship-to are one
draft PO, late inbound for transportation is one task per shipment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from exceptions.models import PlanningException, Status
from exceptions.services import exception_approve, exception_mark_posted, exception_reject, exceptions_refresh
from integrations.models import OutboxMessage
from replenish import models as m
from tests import factories as f
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


def live(**kw):
    return PlanningException.objects.exclude(status=Status.CLOSED).filter(**kw)


def test_the_signals_of_one_sku_location_are_one_task_with_the_others_as_context(users):
    run = xf.plan_run()
    il, _, rec = xf.stockout_case(run=run, buyer=users["buyer1"])  # stockout with a transfer
    # its open PO line is acknowledged 10 days after it is needed: a late inbound signal too
    line = f.purchase_order_line(item_location=il, quantity=50, promised_in_days=2)
    m.PurchaseOrderLine.objects.filter(pk=line.pk).update(
        acknowledged_date=timezone.localdate() + timedelta(12)
    )
    exceptions_refresh(run=run)
    (task,) = live(item_location=il)
    assert task.subject_key == f"sku:{il.pk}" and task.type == "stockout_risk"
    assert task.recommendation_id == rec.pk and task.proposal["action"] == "transfer"
    assert [s["type"] for s in task.explanation["signals"]] == ["inbound_late"]
    assert "PO " in task.explanation["signals"][0]["summary"]
    # nothing counted twice: the task's value is its own waterfall (the same units' late-inbound value is context)
    late_value = Decimal(task.explanation["signals"][0]["value"])
    parts = ("lost_margin", "order_exposure", "tier_penalties", "holding_cost", "feasibility_adjustment")
    parts += ("action_cost", "floor")
    assert sum(Decimal(task.value_parts[k]) for k in parts) == task.value_at_stake
    assert late_value > 0 and task.value_parts["value"] == str(task.value_at_stake)


def test_po_proposals_to_one_supplier_and_ship_to_are_one_draft_po(users):
    run = xf.plan_run()
    buyer = users["buyer1"]
    ils = xf.network(buyer=buyer, n=2)
    supplier = ils[0].item.supplier_items.get().supplier
    for il in ils:
        xf.sku_plan(run=run, item_location=il)
        xf.recommendation(run=run, item_location=il, supplier=supplier)  # 240 x 10.00 each
    exceptions_refresh(run=run)
    (draft,) = live(type="draft_po")
    lines = list(live(parent=draft).order_by("pk"))
    assert draft.subject_key == f"po:{supplier.pk}:{ils[0].location_id}"
    assert [x.status for x in lines] == ["in_draft", "in_draft"] and len(draft.proposal["lines"]) == 2
    # the value and each part are the sums of the lines' (different SKU-locations: nothing counted twice)
    assert draft.value_at_stake == sum(x.value_at_stake for x in lines)
    parts = ("lost_margin", "order_exposure", "tier_penalties", "holding_cost", "feasibility_adjustment")
    parts += ("action_cost", "floor")
    assert sum(Decimal(draft.value_parts[k]) for k in parts) == draft.value_at_stake
    assert draft.proposal["amount"] == "4800.00" and draft.proposal["below_minimum"] is False
    # the lines are not in anyone's queue: the draft is
    from exceptions.selectors import QueueFilters, exception_page

    rows, _ = exception_page(user=buyer, filters=QueueFilters())
    assert [r.pk for r in rows] == [draft.pk]
    # approving the draft posts one PO with its lines, and the lines follow
    exception_approve(exception=draft, actor=buyer, version=draft.version)
    message = OutboxMessage.objects.get(subject_id=str(draft.pk))
    assert message.kind == "create_po" and [x["quantity"] for x in message.payload["lines"]] == [240, 240]
    assert {x["item_location_id"] for x in message.payload["lines"]} == {il.pk for il in ils}
    assert set(live(parent=draft).values_list("status", flat=True)) == {"approved"}
    exception_mark_posted(exception_id=draft.pk, outcome={"transaction_id": "T1"})
    assert set(live(parent=draft).values_list("status", flat=True)) == {"posted"}


def test_a_draft_below_the_minimum_order_value_says_so_and_a_rejection_suppresses_its_lines(users):
    run = xf.plan_run()
    il, _, _ = xf.stockout_case(run=run, buyer=users["buyer1"], action="purchase_order")
    supplier = il.item.supplier_items.get().supplier
    m.Supplier.objects.filter(pk=supplier.pk).update(minimum_order_value=Decimal("5000"))
    exceptions_refresh(run=run)
    (draft,) = live(type="draft_po")
    assert draft.proposal["below_minimum"] is True
    assert "below the supplier's minimum order value 5,000.00" in draft.explanation["summary"]
    exception_reject(exception=draft, actor=users["buyer1"], version=draft.version, reason_code="other")
    assert live(item_location=il).get().status == Status.REJECTED
    # the next refresh closes the rejected draft and does not propose the line again (suppressed)
    exceptions_refresh(run=run)
    assert not live(type="draft_po").exists()
    assert live(item_location=il).get().status == Status.REJECTED


def test_a_partial_refresh_keeps_the_lines_it_did_not_touch_in_the_draft(users):
    run = xf.plan_run()
    ils = xf.network(buyer=users["buyer1"], n=2)
    supplier = ils[0].item.supplier_items.get().supplier
    for il in ils:
        xf.sku_plan(run=run, item_location=il)
        xf.recommendation(run=run, item_location=il, supplier=supplier)
    exceptions_refresh(run=run)
    (draft,) = live(type="draft_po")
    m.Recommendation.objects.filter(item_location=ils[0]).update(quantity=480)
    exceptions_refresh(run=run, item_location_ids=[ils[0].pk])
    again = live(type="draft_po").get()
    assert again.pk == draft.pk and again.version == draft.version + 1  # a line changed: a new version
    assert sorted(x["quantity"] for x in again.proposal["lines"]) == [240, 480]


def test_late_inbound_for_transportation_is_one_task_per_shipment(users):
    run = xf.plan_run()
    ils = xf.network(buyer=users["buyer1"], n=2)
    supplier = ils[0].item.supplier_items.get().supplier
    today = timezone.localdate()
    shipment = m.Shipment.objects.create(
        external_id="ASN1",
        number="ASN1",
        supplier=supplier,
        location=ils[0].location,
        ship_date=today,
        expected_arrival=today + timedelta(days=15),
    )
    for il in ils:
        xf.sku_plan(run=run, item_location=il, stockout_probability=0.5, projected_stockout_date=None)
        line = f.purchase_order_line(item_location=il, quantity=80, promised_in_days=5, supplier_=supplier)
        m.ShipmentLine.objects.create(
            external_id=f"ASN1-{line.pk}", shipment=shipment, po_line=line, quantity_shipped=80
        )
    exceptions_refresh(run=run)
    (task,) = live(subject_key=f"asn:{shipment.pk}")
    assert task.owner_team == "transportation_planning" and task.shipment_id == shipment.pk
    assert len(task.explanation["facts"]["lines"]) == 2 and "2 late PO lines" in task.explanation["summary"]
    # each line: min(80 units, 10 a day x days late) x P(stockout) 0.5 short units x 6.00 margin
    late = [x["facts"]["days_late"] for x in task.explanation["facts"]["lines"]]
    assert late[0] >= 5
    expected = sum(min(80, 10 * d) * 0.5 * 6.0 for d in late)
    assert task.value_at_stake == Decimal(str(round(expected, 2))).quantize(Decimal("0.01"))
    # its action: chase the supplier about both PO lines, naming the ASN; a transportation planner decides it
    assert task.proposal["action"] == "chase" and task.proposal["asn_number"] == "ASN1"
    assert len(task.proposal["po_lines"]) == 2 and "ASN1" in task.proposal["message"]
    from exceptions.services import exception_approve as approve

    assert approve(exception=task, actor=users["transport1"], version=task.version).status == "approved"
    assert OutboxMessage.objects.get(subject_id=str(task.pk)).kind == "chase_supplier"
    m.ShipmentLine.objects.filter(shipment=shipment).delete()
    # the shipment is received: a full refresh closes its task
    m.Shipment.objects.filter(pk=shipment.pk).update(status="received")
    exceptions_refresh(run=run)
    assert live(subject_key=f"asn:{shipment.pk}").get().status == "approved"  # waits for its posting
