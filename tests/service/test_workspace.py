"""The customer-service workspace (issue 15): one list of at-risk order lines with the queue's order-at-risk tasks,
the actions that post to the ERP through the outbox and the audit trail, and the backorder resolution queue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from exceptions.models import PlanningException
from exceptions.selectors import exception_base
from exceptions.service.models import ServiceAction
from exceptions.service.selectors import at_risk_lines, backorder_list
from exceptions.workflows.models import CustomerServiceTask
from integrations.edi_ingest import edi_ingest
from integrations.models import OutboxMessage
from replenish import models as m
from replenish.core.models import AuditEvent
from tests import factories as f
from tests.integrations import factories as ff
from tests.workflows import factories as wf

pytestmark = pytest.mark.django_db(transaction=True)


def _slipped_line(**kw):
    """5 on hand, 20 on a PO promised in 3 days; a gold line of 15 wanted in 5 days; the ASN slips it to day 10."""
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    line = wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-1", **kw)
    edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="asn.x12")
    return net, line, CustomerServiceTask.objects.get(sales_order_line=line)


def test_the_queue_counts_exactly_the_at_risk_lines_the_workspace_lists():
    from replenish.planning.refresh import plan_refresh
    from replenish.scenario.generate import ScenarioSpec
    from replenish.scenario.load import scenario_load

    # given a generated network with tiered customers' open orders, planned (the refresh writes the queue)
    scenario_load(ScenarioSpec(skus=60, locations=2, weeks=60, seed=7, as_of=wf.today()))
    # half the SKU-locations with open order lines lose their stock (a count found it missing)
    pairs = set(m.SalesOrderLine.objects.filter(status="open").values_list("item_id", "order__location_id"))
    busy = sorted(
        pk
        for pk, i, loc in m.ItemLocation.objects.values_list("pk", "item_id", "location_id")
        if (i, loc) in pairs
    )
    m.ItemLocation.objects.filter(pk__in=busy[::2]).update(on_hand=0)
    plan_refresh()
    agent = ff.user("customer_service")
    # then the customer-service queue's order-at-risk tasks count the lines the workspace lists, SKU-location by
    # SKU-location: those to decide and those already decided (the seeded automation policy re-promises the
    # low-value ones at the refresh; their lines stay at risk until supply covers them)
    tasks = exception_base(user=agent).filter(type="order_at_risk").exclude(status="closed")
    assert tasks.filter(status="open").exists()
    counted = {t.item_location_id: t.explanation["facts"]["tiered_lines"] for t in tasks}
    listed: dict[int, int] = {}
    for il in at_risk_lines().values_list("item_location_id", flat=True):
        listed[il] = listed.get(il, 0) + 1
    assert sum(listed.values()) > 0
    assert counted == listed
    # and the workspace shows that many lines
    from django.test import Client

    client = Client()
    client.force_login(agent)
    body = client.get(reverse("workspace-service")).content.decode()
    assert f"At-risk order lines ({sum(counted.values())})" in body
    # a line whose SKU-location's task the automation re-promised says so, linking the task
    posted = tasks.filter(status="posted").first()
    if posted is not None:
        assert f'href="/queue/{posted.pk}/">Re-promised from the queue' in body
    # every listed line is genuinely short at its requested date: open units beyond what stock + inbound by then
    # leaves after the lines ahead of it (an independent check of the ATP on each line)
    for task in at_risk_lines().select_related("sales_order_line", "item_location")[:50]:
        assert 0 < task.short_units <= task.sales_order_line.quantity_open
        assert task.new_promise_date is None or task.new_promise_date > task.requested_date


def test_a_slipped_asn_puts_the_line_at_risk_with_its_cause_atp_date_and_value():
    net, line, task = _slipped_line()
    # supply on day 5: the 5 on hand (the 20 now land on day 10): 10 of 15 short, promised for day 10
    assert task.short_units == 10
    assert task.new_promise_date == wf.today() + timedelta(days=10)
    assert f"ASN SHIP-1 (PO PO-100) (20 units) slipped from {net.po_line.promised_date}" in task.reason
    # margin of the 10 late units (15.00 - 10.00) + gold penalty 50.00 + 10% of their 150.00: 115.00
    assert task.value_at_stake == Decimal("115.00")


def _post(client, task, action, **data):
    return client.post(
        reverse("workspace-service-action", args=[task.pk, action]),
        {"version": task.version, **data},
        HTTP_HX_REQUEST="true",
    )


def test_repromise_posts_the_new_date_through_the_outbox_and_audits_it(client):
    net, line, task = _slipped_line()
    client.force_login(ff.user("buyer"))  # not theirs to see: the same answer as a missing line
    assert _post(client, task, "repromise", promise_date=str(task.new_promise_date)).status_code == 404
    client.force_login(ff.user("auditor"))  # sees the list, acts on nothing
    assert _post(client, task, "repromise", promise_date=str(task.new_promise_date)).status_code == 403
    agent = ff.user("customer_service")
    client.force_login(agent)
    early = task.new_promise_date - timedelta(days=1)
    refused = _post(client, task, "repromise", promise_date=str(early))
    assert refused.status_code == 422 and "before the available-to-promise date" in refused.content.decode()
    assert not OutboxMessage.objects.exists()
    response = _post(client, task, "repromise", promise_date=str(task.new_promise_date))
    assert response.status_code == 200 and "queue-changed" in response["HX-Trigger"]
    message = OutboxMessage.objects.get(kind="repromise_order")
    assert message.payload["order_lines"][0]["order_number"] == "SO-1"
    assert message.payload["order_lines"][0]["new_promise_date"] == str(task.new_promise_date)
    assert message.subject_id == str(task.pk)
    audit = AuditEvent.objects.get(action="order_line_repromise")
    assert audit.actor_id == agent.pk and audit.payload["outbox"] == message.idempotency_key
    task.refresh_from_db()
    assert task.status == "contacted" and task.handled_by == agent
    # the line stays in the one list (still short on its requested date), handled
    assert at_risk_lines().filter(pk=task.pk).exists()
    stale = client.post(
        reverse("workspace-service-action", args=[task.pk, "repromise"]),
        {"version": task.version - 1, "promise_date": str(task.new_promise_date)},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 409 and OutboxMessage.objects.count() == 1


def test_substitute_and_split_post_order_line_changes(client):
    # a declared substitute with stock at the location
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    spare = f.item(sku="WID-2", unit_cost=Decimal("10.00"))
    f.item_location(item=spare, location=net.location, on_hand=40)
    net.item.substitutes.add(spare)
    line = wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-1")
    edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="asn.x12")
    task = CustomerServiceTask.objects.get(sales_order_line=line)
    assert [s["sku"] for s in task.substitutes] == ["WID-2"]
    client.force_login(ff.user("customer_service"))
    assert _post(client, task, "substitute", sku="NOT-OFFERED").status_code == 422
    assert _post(client, task, "substitute", sku="WID-2").status_code == 200
    change = OutboxMessage.objects.get(kind="change_order_line")
    assert (change.payload["order_number"], change.payload["sku"], change.payload["new_sku"]) == (
        "SO-1",
        "WID-1",
        "WID-2",
    )
    task.refresh_from_db()
    assert _post(client, task, "split").status_code == 200
    split = OutboxMessage.objects.get(kind="split_order_line")
    # 5 of the 15 can ship now, the 10 short wait for the ATP date
    assert split.payload["ship_now_quantity"] == 5 and split.payload["backorder_quantity"] == 10
    assert split.payload["backorder_date"] == str(task.new_promise_date)
    assert list(ServiceAction.objects.order_by("pk").values_list("kind", flat=True)) == [
        "substitute",
        "split",
    ]
    assert AuditEvent.objects.filter(action__in=["order_line_substitute", "order_line_split"]).count() == 2


def test_reallocation_takes_allocated_stock_from_a_lower_tier(client):
    # 10 on hand all allocated to a standard customer's line; the gold line wants 10 too, no inbound in time
    net = wf.network(on_hand=10, inbound=20, promised_in=30)
    std = wf.sales_line(net, customer=net.standard, quantity=10, requested_in=1, number="SO-STD")
    std.quantity_allocated = 10
    std.save(update_fields=["quantity_allocated"])
    gold = wf.sales_line(net, customer=net.gold, quantity=10, requested_in=2, number="SO-GOLD")
    from exceptions.workflows.atp import order_risk_refresh

    order_risk_refresh(item_location_ids=[net.il.pk])
    task = CustomerServiceTask.objects.get(sales_order_line=gold)
    client.force_login(ff.user("customer_service"))
    assert _post(client, task, "reallocate").status_code == 200
    message = OutboxMessage.objects.get(kind="reallocate")
    moved = {
        a["order_number"]: (a["allocated_before"], a["allocated"]) for a in message.payload["allocations"]
    }
    # gold's contract minimum (its fill promise) comes first: the standard line gives way
    assert moved["SO-GOLD"][1] > 0 and moved["SO-STD"][1] < 10
    assert moved["SO-GOLD"][1] + moved["SO-STD"][1] == 10


def test_backorders_are_ranked_by_value_with_when_and_where_they_fill():
    net = wf.network(on_hand=0, inbound=50, promised_in=6)
    other = f.location(code="DC2")
    f.item_location(item=net.item, location=other, on_hand=100)
    small = wf.sales_line(net, customer=net.standard, quantity=4, requested_in=-2, number="SO-A")
    big = wf.sales_line(net, customer=net.gold, quantity=8, requested_in=-1, number="SO-B")
    for line in (small, big):
        line.status = m.SalesOrderLine.Status.BACKORDERED
        line.save(update_fields=["status"])
    rows = backorder_list(user=ff.user("customer_service"))
    # gold: 8 x 5.00 margin + 50.00 + 10% of 120.00 = 102.00; standard: 4 x 5.00 = 20.00
    assert [(r.line.order.number, r.value) for r in rows] == [
        ("SO-B", Decimal("102.00")),
        ("SO-A", Decimal("20.00")),
    ]
    assert rows[0].fill_date == wf.today() + timedelta(days=6) and "PO PO-100" in rows[0].fill_from
    assert "transfer from DC2 (100 free)" in rows[0].fill_from


def test_the_old_at_risk_page_leads_to_the_workspace(client):
    client.force_login(ff.user("customer_service"))
    response = client.get(reverse("workflows:service_queue"))
    assert response.status_code == 302 and response["Location"] == reverse("workspace-service")
    assert PlanningException.objects.count() == 0
