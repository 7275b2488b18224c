"""Browser: a customer-service agent sees the at-risk line an ASN slip created and records the contact (HTMX)."""

import pytest
from playwright.sync_api import expect

from exceptions.workflows.models import CustomerServiceTask
from integrations.edi_ingest import edi_ingest
from tests.conftest import browser_login
from tests.integrations import factories as ff

from . import factories as wf

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_agent_records_contact_on_the_at_risk_line(page, live_server):
    ff.user("customer_service", username="service1")
    net = wf.network(on_hand=5, inbound=20, promised_in=3)
    wf.sales_line(net, customer=net.gold, quantity=15, requested_in=5, number="SO-B1")
    edi_ingest(data=wf.asn_856(net, arrival_in=10), filename="slip.x12")
    task = CustomerServiceTask.objects.get()
    browser_login(page, live_server, "service1", "pw")
    page.goto(f"{live_server.url}/workflows/service/")  # leads to the customer-service workspace
    row = page.locator(f"#line-{task.pk}")
    # 10 late units x 5.00 margin + gold's 50.00 + 10% of their 150.00
    assert "SO-B1/1" in row.inner_text() and "115.00" in row.inner_text()
    row.get_by_role("button", name="Customer contacted").click()
    expect(page.locator(f"#line-{task.pk}")).to_contain_text("Customer contacted service1")
    task.refresh_from_db()
    assert task.status == CustomerServiceTask.Status.CONTACTED
    assert task.handled_by.username == "service1"
