"""Issue 15 acceptance, the warehouse roles' day in Chromium on the demo (`demo_setup`, as `make run` loads it, with
a smaller network and no simulated history): the supervisor starts from their landing page, resequences the wave
warehouse control proposes and saves a cut-off; a returned unit is restocked and resolves a backorder. Each action
reaches the outbox and the audit trail (asserted in the database)."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from exceptions.warehouse.control import control_compute
from integrations.models import OutboxMessage
from replenish import models as m
from replenish.core.audit import AuditEvent
from replenish.returns.models import ReturnLine
from replenish.services import DEMO_PASSWORD
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    call_command("demo_setup", skus=300, locations=2, history_weeks=0)
    return live_server


def _fits_1280(page) -> None:
    """The screen is reviewed at 1280 px: wide tables scroll in their frame, never the page."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_the_supervisor_resequences_a_wave_to_save_a_cutoff(demo, page_1280):
    page = page_1280
    wh1 = m.Location.objects.get(code="WH1")
    before = control_compute(location=wh1)
    assert before.proposal is not None and before.proposal["saved_lines"] > 0
    browser_login(page, demo, "supervisor1", DEMO_PASSWORD)
    assert page.url.endswith("/warehouse/")  # the supervisor lands on warehouse control
    expect(page.locator("#wave-proposal")).to_contain_text(f"Run wave {before.proposal['wave']} first")
    _fits_1280(page)
    page.click("#resequence-proposed")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_contain_text(f"Wave {before.proposal['wave']} runs first")
    # the WMS command is in the outbox and the decision in the audit trail, by the supervisor
    message = OutboxMessage.objects.get(kind="wms_resequence")
    assert (
        message.payload["wave"] == before.proposal["wave"] and message.payload["decided_by"] == "supervisor1"
    )
    audit = AuditEvent.objects.get(action="wave_resequenced")
    assert audit.actor.username == "supervisor1" and audit.payload["outbox"] == message.pk
    # the lines it saved now make their cut-off (at the same instant: a few seconds later a line at the edge of its
    # cut-off can miss it whatever the sequence)
    after = control_compute(location=wh1, now=before.now)
    assert len(after.misses) == len(before.misses) - before.proposal["saved_lines"]
    assert after.missing_value == pytest.approx(before.missing_value - before.proposal["saves"], abs=0.02)


def test_a_returned_unit_is_restocked_and_resolves_a_backorder(demo, page_1280):
    page = page_1280
    browser_login(page, demo, "supervisor1", DEMO_PASSWORD)
    page.click(".mainnav a:has-text('Returns')")
    page.wait_for_load_state("networkidle")
    _fits_1280(page)
    # the first return whose restock resolves a backorder: the queue says so in its options
    restock_resolves = re.compile(r"Restock [\d,.]+ \(fills \d+ backordered units?, resolves \d+ backorder")
    row = page.locator("#returns tbody tr", has_text=restock_resolves).first
    pk = int(row.get_attribute("data-return"))
    ret = ReturnLine.objects.select_related("item", "location").get(pk=pk)
    il = m.ItemLocation.objects.get(item=ret.item, location=ret.location)
    waiting = list(
        m.SalesOrderLine.objects.filter(
            item=ret.item, order__location=ret.location, status="backordered"
        ).values_list("pk", flat=True)
    )
    assert waiting
    row.locator("select[name=choice]").select_option("restock")
    row.get_by_role("button", name="Decide").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_contain_text("units fill backorders")
    ret.refresh_from_db()
    assert (ret.status, ret.disposition) == ("decided", "restock")
    message = OutboxMessage.objects.get(kind="return_disposition", subject_id=str(pk))
    filled = message.payload["allocated_to"]
    assert filled and filled[0]["sales_order_line_id"] in waiting
    assert AuditEvent.objects.get(action="return_decided", subject_id=str(pk)).actor.username == "supervisor1"
    # the units are on hand again and allocated to the backordered line(s) they filled
    il_after = m.ItemLocation.objects.get(pk=il.pk)
    used = sum(f["units"] for f in filled)
    assert il_after.on_hand == il.on_hand + ret.quantity and il_after.allocated == il.allocated + used
    resolved = [f["sales_order_line_id"] for f in filled if f["resolved"]]
    assert resolved and set(
        m.SalesOrderLine.objects.filter(pk__in=resolved).values_list("status", flat=True)
    ) == {"open"}
