"""The transportation workspace (issue 15): inbound shipments per ASN with ETA against need date and the value
waiting; expedite freight with its cost, through the outbox and the audit trail, counted by the emergency-freight
KPI."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from exceptions.transport.models import FreightDecision
from exceptions.transport.selectors import inbound_shipments
from exceptions.workflows.models import CustomerServiceTask
from governance.kpis import emergency_freight
from integrations.edi_ingest import edi_ingest
from integrations.models import OutboxMessage
from replenish.core.models import AuditEvent
from tests.integrations import factories as ff
from tests.workflows import factories as wf

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def late():
    """The ASN slipped to day 10; a gold line of 15 wants the stock on day 5 (10 short, 115.00 at stake)."""
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-1")
    edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="asn.x12")
    return net


def test_a_shipment_row_shows_eta_against_need_and_the_value_waiting(late):
    (row,) = inbound_shipments(user=ff.user("transportation_planner"))
    assert row.shipment.number == "SHIP-1" and row.shipment.carrier == "UPSN"
    assert row.shipment.expected_arrival == wf.today() + timedelta(days=10)
    # needed by the gold line's date (day 5) unless the plan runs out earlier
    assert row.need_date <= wf.today() + timedelta(days=5)
    assert row.late_days == (row.shipment.expected_arrival - row.need_date).days >= 5
    assert row.orders_waiting == 1
    task_value = row.task.value_at_stake if row.task else Decimal("0")
    assert row.value_waiting == CustomerServiceTask.objects.get().value_at_stake + task_value
    assert row.units == 20 and row.goods_value == Decimal("200.00")


def test_expedite_freight_is_priced_posted_audited_and_counted(client, late):
    shipment = late.po.lines.get().shipment_lines.get().shipment
    client.force_login(ff.user("buyer"))
    url = reverse("workspace-transport-expedite", args=[shipment.pk])
    assert client.post(url, {"requested_eta": str(wf.today() + timedelta(days=4))}).status_code == 404
    planner = ff.user("transportation_planner")
    client.force_login(planner)
    before = emergency_freight(timezone.localdate())[0].numerator
    # not earlier than the current ETA, or in the past: refused, nothing posted
    for day in (wf.today() + timedelta(days=10), wf.today() - timedelta(days=1)):
        client.post(url, {"requested_eta": str(day)})
    assert not OutboxMessage.objects.filter(kind="expedite_freight").exists()
    response = client.post(url, {"requested_eta": str(wf.today() + timedelta(days=4))}, follow=True)
    assert "Expedite freight booked for SHIP-1" in response.content.decode()
    decision = FreightDecision.objects.get()
    # freight: 75.00 flat + 4% of the 200.00 of goods on the ASN (20 x 10.00)
    assert decision.freight == Decimal("83.00") and decision.goods_value == Decimal("200.00")
    message = OutboxMessage.objects.get(kind="expedite_freight")
    assert message.payload["shipment"] == "SHIP-1" and message.payload["freight"] == "83.00"
    assert message.payload["new_date"] == str(wf.today() + timedelta(days=4))
    assert message.payload["po_lines"] == [{"po_number": "PO-100", "line": 1, "sku": "WID-1", "quantity": 20}]
    audit = AuditEvent.objects.get(action="shipment_expedite_freight")
    assert audit.actor_id == planner.pk and audit.payload["outbox"] == message.idempotency_key
    assert emergency_freight(timezone.localdate())[0].numerator == before + 1
    page = client.get(reverse("workspace-transport")).content.decode()
    assert "Expedited to " + str(wf.today() + timedelta(days=4)) in page and "83.00" in page
