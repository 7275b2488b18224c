"""Browser: a buyer works the queue in headless Debian chromium (filter, detail, approve, override, bulk, audit)."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exceptions.models import Decision, PlanningException, Status
from exceptions.services import exceptions_refresh
from replenish.services import demo_users_ensure
from tests import factories as f
from tests.conftest import browser_login
from tests.exceptions import factories as xf

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def queue_data(transactional_db):
    users = {u.username: u for group in demo_users_ensure(locations=2, buyers=2).values() for u in group}
    run = xf.plan_run()
    xf.approval_tiers_ensure()  # a flushed database: the seeded bands
    wa, wb = f.location(code="WA", name="Alpha DC"), f.location(code="WB", name="Beta Branch")
    buyer = users["buyer1"]
    for i in range(4):
        (il,) = xf.network(buyer=buyer, location=wa if i % 2 == 0 else wb)
        supplier = il.item.supplier_items.get().supplier
        xf.sku_plan(
            run=run,
            item_location=il,
            inventory_position=100.0 - 15 * i,
            projected_stockout_date=timezone.localdate() + timedelta(days=3 + i),
        )
        xf.recommendation(
            run=run,
            item_location=il,
            supplier=supplier,
            action="transfer",
            quantity=60 + i,
            source_location=wb if i % 2 == 0 else wa,
            factors={"transfer_days": 1.0},
        )
    other = xf.network(buyer=users["buyer2"])[0]
    xf.sku_plan(run=run, item_location=other)
    exceptions_refresh(run=run)
    return users


def login(page, live_server, username):
    browser_login(page, live_server, username, "distops-demo")
    page.wait_for_url(re.compile(r".*/(queue|skus)/.*"))


def test_buyer_works_the_queue(page, live_server, queue_data):
    login(page, live_server, "buyer1")
    page.goto(f"{live_server.url}/queue/")
    rows = page.locator("#queue-table tr.qrow")
    if os.environ.get("QUEUE_SCREENSHOT"):
        page.keyboard.press("Enter")
        page.locator("#detail-panel table.waterfall").wait_for()
        page.wait_for_timeout(300)
        page.screenshot(path=os.environ["QUEUE_SCREENSHOT"].replace(".png", "-start.png"))
    assert rows.count() == 4  # buyer2's exception is not here
    values = [float(v.replace(",", "")) for v in page.locator("#queue-table td.value").all_inner_texts()]
    assert values == sorted(values, reverse=True)
    assert page.locator('[data-count="queue"]').inner_text() == "4"

    # filter by location: the table swaps and the URL keeps the filter
    page.select_option("select[name=location]", "WA")
    page.wait_for_url(re.compile(r".*location=WA.*"))
    expect(page.locator("#queue-table tr.qrow")).to_have_count(
        2
    )  # locators, not wait_for_function: the CSP bans eval
    page.goto(f"{live_server.url}/queue/")

    # the first row is current on load; j/k move, Enter opens the detail
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert "current" in rows.nth(0).get_attribute("class")
    page.keyboard.press("Enter")
    panel = page.locator("#detail-panel")
    panel.locator("table.waterfall").wait_for()
    assert "Value at stake" in panel.inner_text()
    page.locator("#projection-chart").wait_for(state="attached")

    # approve the first row with "a"
    first_id = rows.nth(0).get_attribute("data-id")
    page.keyboard.press("a")
    # approved, and -- Celery runs in-process here -- possibly already posted by the outbox relay
    page.locator(f"#row-{first_id} .status", has_text=re.compile("Approved|Posted")).wait_for()
    page.locator("#flash", has_text=f"Approved #{first_id}").wait_for()

    # override the second row: a negative quantity is refused naming the field, then a valid one goes through
    second = rows.nth(1)
    second_id = second.get_attribute("data-id")
    second.locator("td.sku a").click()
    page.locator(f"#detail-panel[data-id='{second_id}']").wait_for()
    page.wait_for_load_state("networkidle")  # no swap still in flight (a loaded machine is slow)
    page.keyboard.press("o")
    page.locator("#override-quantity").wait_for(state="visible")
    page.fill("#override-quantity", "-4")
    page.select_option("#override-reason", "promotion")
    page.fill("#override-form textarea[name=comment]", "Promotion starts Monday")
    page.click("#override-form button[value=override]")
    page.locator("#detail-panel .errorlist", has_text="Quantity cannot be negative").wait_for()
    page.fill("#override-quantity", "150")
    page.select_option("#override-reason", "promotion")
    page.fill("#override-form textarea[name=comment]", "Promotion starts Monday")
    page.click("#override-form button[value=override]")
    page.locator(f"#row-{second_id} .status", has_text=re.compile("Overridden|Posted")).wait_for()
    # the audit entry of the decision is in the detail panel
    page.locator("#detail-panel .audit-entry", has_text="Human decision · override · buyer1").wait_for()

    # bulk approve the remaining two rows
    for row_index in (2, 3):
        rows.nth(row_index).locator("td.sel input[type=checkbox]").check()
    page.click("#bulk-approve")
    page.locator("#flash", has_text="Approved 2 of 2.").wait_for()
    # the counts follow: the queue tab and the navigation badge
    page.locator("#queue-tabs a.active .n", has_text="0").wait_for()
    expect(page.locator('[data-count="queue"]')).to_have_text("0")
    if os.environ.get("QUEUE_SCREENSHOT"):
        page.screenshot(path=os.environ["QUEUE_SCREENSHOT"], full_page=False)

    decided = dict(
        Decision.objects.filter(exception__buyer=queue_data["buyer1"]).values_list("exception_id", "action")
    )
    assert decided[int(first_id)] == "approve" and decided[int(second_id)] == "override"
    assert sorted(decided.values()) == ["approve", "approve", "approve", "override"]
    assert not PlanningException.objects.filter(buyer=queue_data["buyer1"], status=Status.OPEN).exists()
    override = PlanningException.objects.get(pk=second_id)
    assert override.proposal["quantity"] == 150 and override.maker == queue_data["buyer1"]


@pytest.fixture
def spend_data(transactional_db):

    users = {u.username: u for group in demo_users_ensure(locations=2, buyers=2).values() for u in group}
    xf.approval_tiers_ensure()  # a flushed database: the seeded bands
    small_il, big_il = xf.network(buyer=users["buyer1"], n=2)
    small = xf.exception(item_location=small_il)  # 240 x 10.00 = 2,400.00
    big = xf.exception(item_location=big_il)
    big.proposal = {**big.proposal, "quantity": 200, "unit_cost": "44.6100", "proposed_quantity": 200}
    big.save(update_fields=["proposal"])  # 200 x 44.61 = 8,922.00: above the buyer's 5,000 band
    return users, small, big


def test_an_above_limit_po_offers_send_for_approval_and_the_server_refuses_its_approval(
    page, live_server, spend_data
):
    from django.urls import reverse

    from replenish.core.models import AuditEvent

    users, small, big = spend_data
    login(page, live_server, "buyer1")
    page.goto(f"{live_server.url}/queue/")
    big_row, small_row = page.locator(f"#row-{big.pk}"), page.locator(f"#row-{small.pk}")
    # the PO amount is visible in the row and the drawer, with unit cost
    assert big_row.locator("td.amount").inner_text() == "8,922"
    assert small_row.locator("td.amount").inner_text() == "2,400"
    # above the limit the primary action is Send for approval; within it, Approve
    assert big_row.locator("button.send").inner_text() == "Send for approval"
    assert big_row.locator("button.approve").count() == 0
    assert small_row.locator("button.approve").count() == 1
    big_row.locator("td.sku a").click()
    page.locator(f"#detail-panel[data-id='{big.pk}'] #spend", has_text="200 × 44.61").wait_for()
    assert "8,922.00" in page.locator("#detail-panel #spend").inner_text()
    # the server refuses an approval above the limit even when posted by hand (403), and audits it
    status = page.evaluate(
        """async (url) => {
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
            const body = new URLSearchParams({csrfmiddlewaretoken: token, version: "1"});
            const answer = await fetch(url, {method: "POST", body, headers: {"HX-Request": "true"}});
            return answer.status;
        }""",
        reverse("exceptions:approve", args=[big.pk]),
    )
    assert status == 403
    assert AuditEvent.objects.filter(kind="refused", action="approve", subject_id=str(big.pk)).exists()
    # Send for approval, with no reason asked
    big_row.locator("button.send").click()
    page.locator(f"#row-{big.pk} .status", has_text="Awaiting approval").wait_for()
    big.refresh_from_db()
    assert big.status == Status.AWAITING_APPROVAL and big.required_role == "manager"
