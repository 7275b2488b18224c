"""Browser: a manager approves a tier-2 PO change from the inbox; an auditor filters override history and exports it."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exceptions.models import Decision, PlanningException
from tests.conftest import browser_login

from . import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "pw-test-12345"


def _login(page, live_server, username: str) -> None:
    browser_login(page, live_server, username, PASSWORD)


def test_manager_approves_a_tier_2_po_change_from_the_inbox(page, live_server):
    buyer = f.user("buyer")
    manager = f.user("manager")
    exc = f.awaiting_exception(maker=buyer, value="20000")
    _login(page, live_server, manager.username)
    page.goto(f"{live_server.url}/governance/approvals/")
    # the navigation shows one waiting item
    assert page.locator('.mainnav [data-count="approvals"]').inner_text() == "1"
    row = page.locator(f"#approval-{exc.pk}")
    assert "Order 240" in row.inner_text() and "manager" in row.inner_text()
    row.locator("input[name=comment]").first.fill("fine for Q3")
    row.locator("button[name=approve]").click()
    page.locator(f"#approval-{exc.pk}.decided").wait_for()
    assert "Approved" in page.locator(f"#approval-{exc.pk}").inner_text()
    assert page.locator('.mainnav [data-count="approvals"]').inner_text() == "0"
    exc.refresh_from_db()
    assert exc.status in ("approved", "posted")  # posted once the outbox relay has run
    decision = Decision.objects.get(exception=exc, action="approve")
    assert (decision.actor_id, decision.comment) == (manager.pk, "fine for Q3")


def test_auditor_filters_override_history_and_exports_it(page, live_server, tmp_path):
    alice, bob = f.user("buyer", username="alice"), f.user("buyer", username="bob")
    for actor, reason, value in [
        (alice, "promotion", "900"),
        (alice, "forecast_too_high", "1200"),
        (bob, "promotion", "300"),
    ]:
        exc = f.exception(type="stockout_risk", value_at_stake=Decimal(value))
        d = f.decision(exception_=exc, action="override", actor=actor, reason_code=reason, comment="@risky")
        Decision.objects.filter(pk=d.pk).update(created_at=timezone.now() - timedelta(days=1))
    auditor = f.user("auditor")
    _login(page, live_server, auditor.username)
    page.click("text=Override history")
    page.wait_for_url("**/governance/overrides/**")
    assert page.locator("tr.override-row").count() == 3
    page.select_option("select[name=user]", "alice")
    page.wait_for_url("**user=alice**")
    page.locator("tr.override-row").nth(1).wait_for()
    page.select_option("select[name=reason]", "promotion")
    page.wait_for_url("**reason=promotion**")
    expect(page.locator("tr.override-row")).to_have_count(1)  # not wait_for_function: the CSP bans eval
    assert "alice" in page.locator("tr.override-row").inner_text()
    with page.expect_download() as download_info:
        page.click("#export-csv")
    path = tmp_path / "export.csv"
    download_info.value.save_as(path)
    rows = list(csv.reader(path.open()))
    assert len(rows) == 2 and rows[1][2] == "alice" and rows[1][8] == "promotion"
    assert rows[1][9] == "'@risky"  # formula-injection safe
    assert PlanningException.objects.count() == 3
