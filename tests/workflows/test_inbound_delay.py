"""Inbound delay, end to end: an 856 moves the arrival date -> domain event -> partial re-plan -> order-line ATP ->
customer-service queue item for the tiered customer's at-risk line, with its audit entries. Bad input: duplicates,
closed POs, unknown SKUs, dates in the past, out-of-order notices."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from exceptions.workflows.events import domain_event_record
from exceptions.workflows.models import CustomerServiceTask, DomainEvent
from exceptions.workflows.services import domain_event_process
from integrations.edi_ingest import edi_ingest
from integrations.models import InboxMessage
from replenish import models as m
from replenish.core.models import AuditEvent

from . import factories as wf

pytestmark = pytest.mark.django_db(transaction=True)


def audit_actions(subject_type: str, subject_id) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject_type=subject_type, subject_id=str(subject_id))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_asn_slip_creates_customer_service_item_for_tiered_line():
    # given 5 on hand, 20 inbound on PO-100; a gold customer wants 15 in 5 days, a standard customer 4 in 6 days
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    gold_line = wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-1")
    wf.sales_line(net, customer=net.standard, quantity=4, requested_in=6, number="SO-2")
    first = edi_ingest(data=wf.asn_856(net, arrival_in=3), filename="asn1.x12")
    assert first.status == InboxMessage.Status.APPLIED
    event1 = DomainEvent.objects.get(message_id=first.pk)
    assert event1.kind == DomainEvent.Kind.ASN and event1.status == DomainEvent.Status.PROCESSED
    assert event1.item_location_ids == [net.il.pk]
    assert event1.plan_run_id is not None
    assert not CustomerServiceTask.objects.exists()  # 5 + 20 by day 3 covers 15 by day 5

    # when the supplier moves the same shipment to day 10
    second = edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="asn2.x12")

    # then: a delay event, processed, and one queue item for the gold line only (standard has no penalty tier)
    event2 = DomainEvent.objects.get(message_id=second.pk)
    assert event2.kind == DomainEvent.Kind.INBOUND_DELAY and event2.status == DomainEvent.Status.PROCESSED
    assert event2.payload["moved"][0]["to"] == str(wf.today() + timedelta(days=10))
    task = CustomerServiceTask.objects.get()
    assert task.sales_order_line == gold_line
    assert task.short_units == 10  # 15 wanted, only the 5 on hand by day 5
    assert task.new_promise_date == wf.today() + timedelta(days=10)
    # value: 10 x (15.00 - 10.00) margin = 50.00 + 50.00 per late line + 10% of their 150.00 = 115.00
    assert task.value_at_stake == Decimal("115.00")
    assert "slipped from" in task.reason and "to " + str(wf.today() + timedelta(days=10)) in task.reason
    assert task.event == event2
    # audit: inbox ingestion, event received/processed, queue item created (same transaction as the change)
    assert audit_actions("service_task", task.pk) == ["service_task_created"]
    assert audit_actions("domain_event", event2.pk) == ["domain_event_received", "domain_event_processed"]
    assert AuditEvent.objects.filter(
        subject_type="inbox_message", subject_id=str(second.pk), kind="ingestion"
    ).exists()
    # the partial re-plan ran for the touched SKU-location only
    run = m.PlanRun.objects.get(pk=event2.plan_run_id)
    assert run.scope == m.PlanRun.Scope.PARTIAL and run.filters["item_location_ids"] == [net.il.pk]

    # when the shipment is pulled back to day 4, the line is no longer at risk: the item is resolved
    edi_ingest(data=wf.asn_856(net, arrival_in=4), filename="asn3.x12")
    task.refresh_from_db()
    assert task.status == CustomerServiceTask.Status.RESOLVED
    assert audit_actions("service_task", task.pk) == ["service_task_created", "service_task_resolved"]


def test_855_moving_the_promised_date_is_an_inbound_delay():
    net = wf.network(on_hand=0, inbound=10, promised_in=2)
    line = wf.sales_line(net, customer=net.gold, quantity=8, requested_in=3, number="SO-9")
    message = edi_ingest(data=wf.ack_855(net, delivery_in=9), filename="ack.x12")
    assert message.status == InboxMessage.Status.APPLIED, message.reason
    event = DomainEvent.objects.get(message_id=message.pk)
    assert event.kind == DomainEvent.Kind.INBOUND_DELAY, event.payload
    task = CustomerServiceTask.objects.get(sales_order_line=line)
    assert task.short_units == 8 and task.new_promise_date == wf.today() + timedelta(days=9)


def test_same_message_twice_is_processed_once_and_counted():
    net = wf.network()
    wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-1")
    text = wf.asn_856(net, arrival_in=10)
    message = edi_ingest(data=text, filename="a.x12")
    again = edi_ingest(data=text, filename="a-again.x12")  # the inbox sees a replay: no second signal
    assert again.pk == message.pk and again.replays == 1
    runs = m.PlanRun.objects.count()
    # a redelivered signal for the same message: recorded as a duplicate, not processed
    event, created = domain_event_record(message=message, item_location_ids=[net.il.pk])
    assert not created and event.duplicates == 1
    assert domain_event_process(event_id=event.pk) is None  # already processed: nothing to do
    assert m.PlanRun.objects.count() == runs
    assert DomainEvent.objects.count() == 1


def test_asn_for_closed_po_is_ignored_visibly():
    net = wf.network()
    message = edi_ingest(data=wf.asn_856(net, arrival_in=5), filename="a.x12")
    event = DomainEvent.objects.get(message_id=message.pk)
    assert event.status == DomainEvent.Status.PROCESSED
    net.po.status = m.PurchaseOrder.Status.RECEIVED
    net.po.save()
    runs = m.PlanRun.objects.count()
    late = edi_ingest(data=wf.asn_856(net, arrival_in=8), filename="b.x12")
    if late.status == InboxMessage.Status.APPLIED:  # integrations applied it: the workflow refuses to re-plan
        event = DomainEvent.objects.get(message_id=late.pk)
        assert event.status == DomainEvent.Status.IGNORED
        assert "closed PO(s) PO-100" in event.reason
        assert m.PlanRun.objects.count() == runs
    else:  # integrations rejected it: visible as a dead letter, no event at all
        assert late.reason and not DomainEvent.objects.filter(message_id=late.pk).exists()


def test_unknown_sku_is_rejected_by_the_inbox_and_makes_no_event():
    net = wf.network()
    message = edi_ingest(data=wf.asn_856(net, arrival_in=5, sku="NOPE-404"), filename="a.x12")
    assert message.status == InboxMessage.Status.REJECTED
    assert "NOPE-404" in message.reason
    assert not DomainEvent.objects.exists()


def test_unknown_item_locations_and_past_dates_are_named_on_the_event():
    net = wf.network(on_hand=0, inbound=10)
    wf.sales_line(net, customer=net.gold, quantity=8, requested_in=1, number="SO-3")
    message = InboxMessage.objects.create(
        source="test",
        external_id="x1",
        kind="edi.x12",
        payload="x",
        payload_hash="h1",
        received_at=wf.timezone.now(),
    )
    event, _ = domain_event_record(message=message, item_location_ids=[999_999], kind=DomainEvent.Kind.DATA)
    assert domain_event_process(event_id=event.pk).status == DomainEvent.Status.IGNORED
    event.refresh_from_db()
    assert "unknown SKU-location" in event.reason
    past = str(wf.today() - timedelta(days=2))
    message2 = InboxMessage.objects.create(
        source="test",
        external_id="x2",
        kind="edi.x12",
        payload="y",
        payload_hash="h2",
        received_at=wf.timezone.now(),
    )
    event2, _ = domain_event_record(
        message=message2,
        item_location_ids=[net.il.pk, 999_998],
        kind=DomainEvent.Kind.INBOUND_DELAY,
        payload={"moved": [{"shipment": "S", "from": past, "to": past}]},
    )
    done = domain_event_process(event_id=event2.pk, replan=False)
    assert done.status == DomainEvent.Status.PROCESSED
    assert "in the past" in done.reason and "1 unknown SKU-location" in done.reason


def test_out_of_order_ship_notice_is_named_on_the_event():
    net = wf.network(on_hand=50)
    newer_msg = InboxMessage.objects.create(
        source="test",
        external_id="n",
        kind="edi.x12",
        payload="n",
        payload_hash="hn",
        received_at=wf.timezone.now(),
    )
    newer, _ = domain_event_record(
        message=newer_msg,
        item_location_ids=[net.il.pk],
        kind=DomainEvent.Kind.ASN,
        occurred_at=wf.timezone.now(),
        payload={"shipments": ["SHIP-9"]},
    )
    domain_event_process(event_id=newer.pk, replan=False)
    older_msg = InboxMessage.objects.create(
        source="test",
        external_id="o",
        kind="edi.x12",
        payload="o",
        payload_hash="ho",
        received_at=wf.timezone.now(),
    )
    older, _ = domain_event_record(
        message=older_msg,
        item_location_ids=[net.il.pk],
        kind=DomainEvent.Kind.ASN,
        occurred_at=wf.timezone.now() - timedelta(hours=2),
        payload={"shipments": ["SHIP-9"]},
    )
    done = domain_event_process(event_id=older.pk, replan=False)
    assert f"arrived out of order: event {newer.pk}" in done.reason


def test_ship_notice_for_an_unknown_order_is_a_visible_dead_letter_without_event():
    net = wf.network()
    message = edi_ingest(data=wf.asn_856(net, arrival_in=5, po_number="PO-NOPE"), filename="a.x12")
    assert message.status == InboxMessage.Status.REJECTED and "PO-NOPE" in message.reason
    assert not DomainEvent.objects.exists() and not m.PlanRun.objects.exists()
