"""Issue 15 acceptance, customer service's and transportation's day in Chromium on the demo (`demo_setup` as
`make run` loads it, a smaller network, no simulated history), each from its landing page: customer service
re-promises one at-risk line and offers a substitute on another; transportation acts on a TMS milestone delay by
booking expedite freight. Each action reaches the outbox and the audit trail (asserted in the database)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from exceptions.service.selectors import at_risk_list
from exceptions.transport.models import FreightDecision
from integrations.models import OutboxMessage
from integrations.webhooks import sign_headers, webhook_secret_rotate
from replenish import models as m
from replenish.core.audit import AuditEvent
from replenish.services import DEMO_PASSWORD
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("demo_setup", skus=300, locations=2, history_weeks=0)
    return live_server


def test_customer_service_repromises_one_line_and_substitutes_another(demo, page):
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.get(username="service1")
    rows = list(at_risk_list(user=agent)[:100])  # the workspace's first page, in its order
    dated = next(t for t in rows if t.new_promise_date is not None)
    swap = next(t for t in rows if t.pk != dated.pk and t.substitutes)
    browser_login(page, demo, "service1", DEMO_PASSWORD)
    assert page.url.endswith("/service/")  # customer service lands on its workspace
    # re-promise the first line at its available-to-promise date (the form's default)
    row = page.locator(f"#line-{dated.pk}")
    expect(row.locator("input[name=promise_date]")).to_have_value(str(dated.new_promise_date))
    row.get_by_role("button", name="Re-promise").click()
    expect(page.locator(f"#line-{dated.pk}")).to_contain_text(f"Re-promised to {dated.new_promise_date}")
    # offer the other line's first substitute
    sku = swap.substitutes[0]["sku"]
    other = page.locator(f"#line-{swap.pk}")
    other.locator("select[name=sku]").select_option(sku)
    other.get_by_role("button", name="Offer substitute").click()
    expect(page.locator(f"#line-{swap.pk}")).to_contain_text(f"Substitute offered {sku}")
    # both reached the outbox and the audit trail, by service1
    repromise = OutboxMessage.objects.get(kind="repromise_order", subject_id=str(dated.pk))
    line = dated.sales_order_line
    assert repromise.payload["order_lines"][0]["order_number"] == line.order.number
    assert repromise.payload["order_lines"][0]["new_promise_date"] == str(dated.new_promise_date)
    change = OutboxMessage.objects.get(kind="change_order_line", subject_id=str(swap.pk))
    assert (change.payload["new_sku"], change.payload["sku"]) == (sku, swap.sales_order_line.item.sku)
    for action, task, message in (
        ("order_line_repromise", dated, repromise),
        ("order_line_substitute", swap, change),
    ):
        audit = AuditEvent.objects.get(action=action, subject_id=str(task.pk))
        assert audit.actor.username == "service1" and audit.payload["outbox"] == message.idempotency_key


def test_transport_acts_on_a_milestone_delay(demo, page):
    today = timezone.localdate()
    shipment = (
        m.Shipment.objects.filter(status="in_transit", expected_arrival__gte=today).order_by("pk").first()
    )
    late_eta = max(shipment.expected_arrival, today) + timedelta(days=6)
    # the carrier's TMS reports an exception at a hub with a later ETA, through the signed webhook
    webhook_secret_rotate(source="tms", actor=None, new_secret="tms-secret")
    body = json.dumps(
        {
            "id": "TMS-DAY-1",
            "type": "milestone",
            "data": {
                "shipment": shipment.number,
                "supplier": shipment.supplier.code,
                "milestone": "exception",
                "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
                "eta": str(late_eta),
                "place": "Memphis TN hub",
                "note": "missed linehaul",
            },
        }
    ).encode()
    answer = Client().post(
        "/integrations/webhooks/tms/",
        data=body,
        content_type="application/json",
        headers=sign_headers("tms-secret", body),
    )
    assert answer.status_code == 200, answer.content
    shipment.refresh_from_db()
    assert shipment.expected_arrival == late_eta
    browser_login(page, demo, "transport1", DEMO_PASSWORD)
    assert page.url.endswith("/transport/")  # transportation lands on its workspace
    row = page.locator(f"#shipment-{shipment.pk}")
    expect(row).to_contain_text("Exception")
    expect(row).to_contain_text("missed linehaul")
    wanted = today + timedelta(days=2)
    row.locator("input[name=requested_eta]").fill(str(wanted))
    row.get_by_role("button", name="Expedite freight").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_contain_text(f"Expedite freight booked for {shipment.number}")
    decision = FreightDecision.objects.get(shipment=shipment)
    goods = sum(
        Decimal(x.quantity_shipped) * x.po_line.unit_cost for x in shipment.lines.select_related("po_line")
    )
    # freight: 75.00 flat + 4% of the goods on the ASN
    assert decision.freight == (Decimal("75") + Decimal("0.04") * goods).quantize(Decimal("0.01"))
    message = OutboxMessage.objects.get(kind="expedite_freight", subject_id=str(shipment.pk))
    assert message.payload["new_date"] == str(wanted) and message.payload["decided_by"] == "transport1"
    assert message.payload["current_eta"] == str(late_eta)
    audit = AuditEvent.objects.get(action="shipment_expedite_freight", subject_id=str(shipment.pk))
    assert audit.actor.username == "transport1" and audit.payload["outbox"] == message.idempotency_key
