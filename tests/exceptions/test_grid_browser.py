"""Browser acceptance of the queue grid at 1280 x 800 (issue 16): the decision column in view without scrolling,
sorting by due and the Excel export of the filtered queue checked against the database, precise words for an empty
bulk approval, saved views, and bulk approval of a filter after its count confirmation."""

import io
import random
import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from exceptions.models import Decision, PlanningException, SavedView, Status, WorkCapacity
from replenish.services import demo_users_ensure
from tests import factories as f
from tests.conftest import browser_login
from tests.exceptions import factories as xf

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def grid_data(transactional_db):
    """buyer1: 64 open rows at WA and 6 at WB, shuffled values and due dates (some empty), long supplier names."""
    from exceptions.models import TeamSetting

    users = {u.username: u for group in demo_users_ensure(locations=2, buyers=2).values() for u in group}
    TeamSetting.objects.update(value_floor=0)
    xf.approval_tiers_ensure()  # buyer1 approves these 2,400 POs within the buyer band
    WorkCapacity.objects.create(user=users["buyer1"], daily_decisions=500)
    rng = random.Random(16)
    today = timezone.localdate()
    wa, wb = f.location(code="WA", name="Alpha DC"), f.location(code="WB", name="Beta Branch")
    suppliers = [
        f.supplier(name=f"Supplier {n:04d} Industrial Fasteners and Fittings Company") for n in range(1, 4)
    ]
    for i in range(70):
        (il,) = xf.network(buyer=users["buyer1"], location=wa if i < 64 else wb, supplier=suppliers[i % 3])
        xf.exception(
            item_location=il,
            value_at_stake=Decimal(rng.randint(50, 9000)),
            due_by=None if i % 9 == 0 else today + timedelta(days=rng.randint(0, 25)),
            stockout_date=today + timedelta(days=rng.randint(1, 30)),
        )
    return users


def login(page, live_server, username="buyer1"):
    browser_login(page, live_server, username, "distops-demo")


def visible_in_viewport(page, selector: str) -> bool:
    """The element's box lies inside the 1280 px viewport and nothing covers its centre."""
    return page.evaluate(
        """(selector) => {
            const el = document.querySelector(selector);
            if (!el) return false;
            const box = el.getBoundingClientRect();
            if (box.left < 0 || box.right > window.innerWidth || box.width === 0) return false;
            const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
            return hit === el || el.contains(hit);
        }""",
        selector,
    )


def test_the_approve_column_is_in_view_at_1280_without_scrolling(page_1280, live_server, grid_data):
    page = page_1280
    login(page, live_server)
    page.goto(f"{live_server.url}/queue/")
    first = page.locator("#queue-table tr.qrow").first
    row_id = first.get_attribute("data-id")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert page.evaluate("document.querySelector('.qscroll').scrollLeft") == 0
    assert visible_in_viewport(page, f"#row-{row_id} td.acts button.approve")
    # the supplier is shown by name, cut with an ellipsis, whole on hover
    supplier = first.locator("td.supplier .trunc")
    assert (
        supplier.get_attribute("title").startswith("Supplier 000") and "Industrial" in supplier.inner_text()
    )
    # with the drawer open the decision column is still there, and the drawer has its buttons at the top
    page.keyboard.press("Enter")
    page.locator(f"#detail-panel[data-id='{row_id}'] #detail-approve").wait_for()
    assert visible_in_viewport(page, f"#row-{row_id} td.acts button.approve")
    assert visible_in_viewport(page, "#detail-approve")
    decide_top = page.locator("#decide").bounding_box()["y"]
    assert decide_top < page.locator("#detail-panel table.waterfall").bounding_box()["y"]
    # Esc closes it
    page.keyboard.press("Escape")
    expect(page.locator("#detail-panel")).not_to_have_class(re.compile(r"\bopen\b"))


def _database_rows(buyer, location_code):
    """buyer1's open rows at the location by due date, empty dates last, then id: read here independently."""
    rows = list(
        PlanningException.objects.filter(buyer=buyer, location__code=location_code, status=Status.OPEN)
        .order_by("due_by", "pk")
        .values_list("pk", "due_by", "value_at_stake", "item_location__item__sku")
    )
    return [r for r in rows if r[1] is not None] + [r for r in rows if r[1] is None]


def test_sorting_by_due_and_the_excel_export_of_the_filter_match_the_database(
    page_1280, live_server, grid_data
):
    page = page_1280
    login(page, live_server)
    page.goto(f"{live_server.url}/queue/")
    page.select_option("select[name=location]", "WA")
    page.wait_for_url(re.compile(r".*location=WA.*"))
    page.locator("#queue-table th.due a").click()
    page.wait_for_url(re.compile(r".*ordering=due.*"))
    expect(page.locator("#queue-table th.due")).to_have_attribute("aria-sort", "ascending")
    want = _database_rows(grid_data["buyer1"], "WA")
    assert len(want) == 64
    expect(page.locator("#queue-total")).to_contain_text("64 rows")
    expect(page.locator("#queue-total")).to_contain_text("page 1 of 2")
    shown = [
        int(i) for i in page.locator("#queue-table tr.qrow").evaluate_all("rs => rs.map(r => r.dataset.id)")
    ]
    assert shown == [r[0] for r in want[:50]]
    # the Excel export: the same filter and order, every page
    with page.expect_download() as download:
        page.click("#export-xlsx")
    with open(download.value.path(), "rb") as book:
        sheet = openpyxl.load_workbook(io.BytesIO(book.read())).active
    exported = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in exported] == [r[0] for r in want]
    assert [r[4] for r in exported] == [r[3] for r in want]
    assert [Decimal(str(r[2])) for r in exported] == [r[2] for r in want]
    assert [r[12].date() if r[12] else None for r in exported] == [r[1] for r in want]
    # a second click reverses the sort
    page.locator("#queue-table th.due a").click()
    page.wait_for_url(re.compile(r".*ordering=-due.*"))
    expect(page.locator("#queue-table th.due")).to_have_attribute("aria-sort", "descending")


def test_bulk_words_saved_views_and_approving_all_matching(page_1280, live_server, grid_data):
    page = page_1280
    buyer = grid_data["buyer1"]
    login(page, live_server)
    page.goto(f"{live_server.url}/queue/?location=WB")
    # nothing ticked: the words say so
    page.click("#bulk-approve")
    expect(page.locator("#flash")).to_contain_text("Nothing is selected")
    assert "answered" not in page.locator("#flash").inner_text()
    # save this view, then apply it from another filter
    page.locator("#saved-views summary").click()
    page.fill("#save-view-form input[name=name]", "Beta branch")
    page.click("#save-view-form button")
    expect(page.locator("#flash")).to_contain_text("Saved the view “Beta branch”.")
    assert SavedView.objects.get(user=buyer).query == "location=WB"
    page.goto(f"{live_server.url}/queue/?location=WA")
    page.locator("#saved-views summary").click()
    page.locator("#saved-views a.apply", has_text="Beta branch").click()
    page.wait_for_url(re.compile(r".*location=WB.*"))
    expect(page.locator("#queue-table tr.qrow")).to_have_count(6)
    # approve all matching: the count is confirmed first, then every row is approved
    page.click("#bulk-approve-all")
    expect(page.locator("#bulk-report")).to_contain_text("Approve all 6 rows matching this filter?")
    assert not Decision.objects.exists()
    page.click("#bulk-confirm")
    expect(page.locator("#flash")).to_contain_text("Approved 6 of 6.")
    expect(page.locator("#queue-table tr.qrow")).to_have_count(0)
    assert Decision.objects.filter(actor=buyer, action="approve").count() == 6
    assert not PlanningException.objects.filter(location__code="WB", status=Status.OPEN).exists()
