"""The queue as a grid (issue 16): sorting through the one FilterSet, totals and pages, exports of the filter, saved
views, bulk approval of a filter with a count confirmation, and the precise words of refusals and conflicts."""

import csv
import io
import random
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from exceptions.models import Decision, PlanningException, SavedView, Status
from exceptions.services import exception_approve, exception_snooze
from replenish.core.models import AuditEvent
from replenish.templatetags.ui import moment
from tests import factories as f
from tests.exceptions import factories as xf
from tests.exceptions.test_services import big_po

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"
API = "/api/exceptions/"


def varied(n, *, buyer, seed=7):
    """n exceptions with shuffled values, due dates (some empty), stockout dates, confidences and suppliers."""
    rng = random.Random(seed)
    today = timezone.localdate()
    suppliers = [f.supplier(name=name) for name in ("Zenith Tools", "Acme Fasteners", "Midway Supply")]
    rows = []
    for i in range(n):
        (il,) = xf.network(buyer=buyer, supplier=suppliers[i % 3])
        rows.append(
            xf.exception(
                item_location=il,
                value_at_stake=Decimal(rng.randint(1, 5000)),
                due_by=None if i % 7 == 0 else today + timedelta(days=rng.randint(0, 30)),
                stockout_date=None if i % 5 == 0 else today + timedelta(days=rng.randint(1, 40)),
                confidence=rng.randint(10, 99) / 100,
            )
        )
    return rows


def expected_order(rows, key, *, descending=False):
    """The order the grid promises, computed here independently: empty values last either way, then the id."""
    present = [r for r in rows if key(r) is not None]
    empty = [r for r in rows if key(r) is None]
    present.sort(key=lambda r: r.pk)
    present.sort(key=key, reverse=descending)  # stable: ties stay in id order
    return [r.pk for r in present] + sorted(r.pk for r in empty)


@pytest.mark.parametrize(
    "ordering, key, descending",
    [
        ("due", lambda r: r.due_by, False),
        ("-due", lambda r: r.due_by, True),
        ("days", lambda r: r.stockout_date, False),
        ("-confidence", lambda r: r.confidence, True),
        ("supplier", lambda r: r.supplier.name, False),
        ("value", lambda r: r.value_at_stake, False),
        ("-value", lambda r: r.value_at_stake, True),
        ("confidence", lambda r: r.confidence, False),
    ],
)
def test_sorting_is_the_same_on_the_screen_and_the_api(client, users, ordering, key, descending):
    rows = varied(30, buyer=users["buyer1"])
    for row in rows:
        row.refresh_from_db()
    client.force_login(users["buyer1"])
    want = expected_order(rows, key, descending=descending)
    screen = [r.pk for r in client.get(QUEUE, {"ordering": ordering}).context["rows"]]
    api = [r["id"] for r in client.get(API, {"ordering": ordering, "page_size": 100}).json()["results"]]
    assert screen == want
    # the API reverses ties in id order too when descending is asked; its order must still be the screen's
    assert api == want


def test_sort_headers_link_to_the_planners_direction_then_reverse(client, users):
    varied(3, buyer=users["buyer1"])
    client.force_login(users["buyer1"])
    sort = client.get(QUEUE, {"location": "", "ordering": "due"}).context["sort"]
    assert sort["due"]["state"] == "ascending" and "ordering=-due" in sort["due"]["query"]
    assert sort["value"]["state"] == "none" and "ordering=-value" in sort["value"]["query"]
    assert sort["supplier"]["query"].endswith("ordering=supplier")
    body = client.get(QUEUE).content.decode()  # by default the queue is by value, high first
    assert 'aria-sort="descending"><a href="?ordering=value"' in body


def test_a_wrong_sort_is_named_not_ignored(client, users):
    client.force_login(users["buyer1"])
    body = client.get(QUEUE, {"ordering": "colour"}).content.decode()
    assert "Sort by one of value, due, days, confidence, supplier" in body and "“colour”" in body
    response = client.get(API, {"ordering": "colour"})
    assert response.status_code == 400 and "ordering" in response.json()


def test_the_grid_shows_the_total_and_the_pages(client, users):
    buyer = users["buyer1"]
    ils = xf.network(buyer=buyer, n=120)
    for i, il in enumerate(ils):
        xf.exception(item_location=il, value_at_stake=Decimal(i + 1))
    client.force_login(buyer)
    third = client.get(
        QUEUE, {"page": 3, "queue": "later"}
    )  # capacity 60: To do holds 60, Later the other 60
    assert third.context["total"] == 60 and third.context["pages"] == 2
    response = client.get(QUEUE, {"queue": "open"})
    assert response.context["total"] == 60 and response.context["pages"] == 2
    last = client.get(QUEUE, {"queue": "open", "page": 2})
    assert len(last.context["rows"]) == 10 and not last.context["has_next"]
    assert "<strong>60</strong> rows · 51–60 · page 2 of 2" in last.content.decode()


def _screen_rows(client, params):
    """Every page of the screen, as the person would read it."""
    seen, page = [], 1
    while True:
        response = client.get(QUEUE, {**params, "page": page})
        seen += [r.pk for r in response.context["rows"]]
        if not response.context["has_next"]:
            return seen
        page += 1


def test_export_holds_every_page_of_the_filter_in_the_screens_order(client, users, settings):
    buyer = users["buyer1"]
    rows = varied(160, buyer=buyer)
    xf.exception(item_location=xf.network(buyer=users["buyer2"])[0])  # not buyer1's: never exported to them
    from exceptions.models import WorkCapacity

    WorkCapacity.objects.create(user=buyer, daily_decisions=500)
    client.force_login(buyer)
    params = {"ordering": "due", "supplier": rows[1].supplier.code}
    on_screen = _screen_rows(client, params)
    # the database, read independently: buyer1's open rows of that supplier by due date (empty last), then id
    db = list(
        PlanningException.objects.filter(buyer=buyer, supplier=rows[1].supplier, status=Status.OPEN)
        .order_by("due_by", "pk")
        .values_list("pk", "due_by", "value_at_stake", "item_location__item__sku")
    )
    db = [r for r in db if r[1] is not None] + [r for r in db if r[1] is None]
    assert on_screen == [r[0] for r in db] and len(db) > 50  # more than one page

    response = client.get(reverse("exceptions:queue_export", args=["csv"]), params)
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    table = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert table[0][:3] == ["Rank", "Exception", "Value at stake"]
    assert [int(r[1]) for r in table[1:]] == [r[0] for r in db]
    assert [r[4] for r in table[1:]] == [r[3] for r in db]
    assert [Decimal(r[2]) for r in table[1:]] == [r[2] for r in db]

    response = client.get(reverse("exceptions:queue_export", args=["xlsx"]), params)
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [v[1] for v in values] == [r[0] for r in db]
    assert [v[0] for v in values] == list(range(1, len(db) + 1))
    due = [v[12].date() if v[12] else None for v in values]
    assert due == [r[1] for r in db]


def test_the_decided_tab_and_its_export_say_who_decided_and_when(client, users):
    exc = xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    exception_approve(exception=exc, actor=users["manager1"], version=1)
    exc.refresh_from_db()
    client.force_login(users["buyer1"])
    body = client.get(QUEUE, {"queue": "decided"}).content.decode()
    assert "Decided by · at" in body and f'manager1 <span class="muted">{moment(exc.decided_at)}' in body
    response = client.get(reverse("exceptions:queue_export", args=["csv"]), {"queue": "decided"})
    header, row = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert header[-2:] == ["Decided by", "Decided at"] and row[-2] == "manager1"
    assert row[-1] == moment(exc.decided_at)


def test_a_snoozed_row_has_no_approve_button(client, users):
    exc = xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    until = timezone.localdate() + timedelta(days=4)
    exception_snooze(exception=exc, actor=users["buyer1"], version=1, until=until.isoformat())
    client.force_login(users["buyer1"])
    body = client.get(QUEUE, {"queue": "snoozed"}).content.decode()
    row = body[body.index(f'id="row-{exc.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "approve-form" not in row and 'name="ids"' not in row
    assert f"Snoozed to {until.isoformat()}" in row


def test_saved_views_are_per_person_and_keep_only_the_queue_parameters(client, users):
    client.force_login(users["buyer1"])
    url = reverse("exceptions:saved_view_save")
    response = client.post(url, {"name": "  WA  due ", "query": "location=WA&ordering=due&page=4&junk=1"})
    assert response.status_code == 302
    view = SavedView.objects.get(user=users["buyer1"])
    assert view.name == "WA due" and view.query == "location=WA&ordering=due"
    # the same name again replaces the filter; an empty name is refused in words
    client.post(url, {"name": "WA due", "query": "location=WA&ordering=-value"}, HTTP_HX_REQUEST="true")
    assert SavedView.objects.get(user=users["buyer1"]).query == "location=WA&ordering=-value"
    refused = client.post(url, {"name": " ", "query": ""}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and "Name the view" in refused.content.decode()
    page = client.get(QUEUE).content.decode()
    assert 'class="apply" href="/queue/?location=WA&amp;ordering=-value"' in page
    # another person neither sees nor deletes it
    client.force_login(users["buyer2"])
    assert "WA due" not in client.get(QUEUE).content.decode()
    assert client.post(reverse("exceptions:saved_view_delete", args=[view.pk])).status_code == 404
    client.force_login(users["buyer1"])
    response = client.post(reverse("exceptions:saved_view_delete", args=[view.pk]), HTTP_HX_REQUEST="true")
    assert "Deleted the view “WA due”." in response.content.decode() and not SavedView.objects.exists()


def test_bulk_approve_with_nothing_selected_says_so(client, users):
    xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    client.force_login(users["buyer1"])
    response = client.post(reverse("exceptions:bulk_approve"), {}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 422 and "Nothing is selected" in body and "400" not in body
    assert not Decision.objects.exists()


def test_bulk_approve_of_a_filter_confirms_the_count_then_checks_every_row(client, users):
    buyer = users["buyer1"]
    wa = f.location(code="WA")
    small = [xf.exception(item_location=il) for il in xf.network(buyer=buyer, n=3, location=wa)]
    big = big_po(users)  # above buyer1's limit
    PlanningException.objects.filter(pk=big.pk).update(location=wa)
    xf.exception(item_location=xf.network(buyer=buyer)[0])  # elsewhere: not in the filter
    xf.exception(item_location=xf.network(buyer=users["buyer2"], location=wa)[0])  # not buyer1's
    client.force_login(buyer)
    url = reverse("exceptions:bulk_approve")
    # step 1: the count to confirm, and nothing decided yet
    step1 = client.post(url, {"all_matching": "1", "query": "location=WA"}, HTTP_HX_REQUEST="true")
    body = step1.content.decode()
    assert "Approve all 4 rows matching this filter?" in body and not Decision.objects.exists()
    token = body.split('name="token" value="')[1].split('"')[0]
    # meanwhile a manager approves one of them
    exception_approve(exception=small[0], actor=users["manager1"], version=1)
    # step 2: each confirmed row goes through the single approval's checks
    step2 = client.post(
        url,
        {"all_matching": "1", "query": "location=WA", "expected": "4", "token": token},
        HTTP_HX_REQUEST="true",
    )
    report = step2.content.decode()
    assert step2.status_code == 200 and "Approved 2 of 4. 2 not approved (listed below)." in report
    refusals = report[report.index('id="bulk-refusals"') :]
    assert f"#{big.pk}" in refusals and "above your approval limit" in refusals
    assert f"#{small[0].pk}" in refusals and "Maria Manager already decided this" in refusals
    assert "queue-reload" in step2["HX-Trigger"]
    approved = set(
        Decision.objects.filter(actor=buyer, action="approve").values_list("exception_id", flat=True)
    )
    assert approved == {small[1].pk, small[2].pk}
    assert AuditEvent.objects.filter(kind="refused", subject_id=str(big.pk), actor=buyer).exists()


def test_bulk_approve_of_a_filter_refuses_a_forged_or_mismatched_confirmation(client, users):
    buyer = users["buyer1"]
    for il in xf.network(buyer=buyer, n=2):
        xf.exception(item_location=il)
    client.force_login(buyer)
    url = reverse("exceptions:bulk_approve")
    forged = client.post(
        url, {"all_matching": "1", "query": "", "expected": "2", "token": "x"}, HTTP_HX_REQUEST="true"
    )
    assert forged.status_code == 422 and "the confirmation is missing" in forged.content.decode()
    body = client.post(url, {"all_matching": "1", "query": ""}, HTTP_HX_REQUEST="true").content.decode()
    token = body.split('name="token" value="')[1].split('"')[0]
    wrong = client.post(
        url, {"all_matching": "1", "query": "", "expected": "5", "token": token}, HTTP_HX_REQUEST="true"
    )
    assert "not for this count" in wrong.content.decode() and not Decision.objects.exists()
    decided_tab = client.post(url, {"all_matching": "1", "query": "queue=decided"}, HTTP_HX_REQUEST="true")
    assert "Bulk approval works on the To do, Later and Low value tabs" in decided_tab.content.decode()


def test_a_conflict_names_who_changed_the_row_and_when(client, users):
    exc = xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    exception_approve(exception=exc, actor=users["manager1"], version=1)
    decided = Decision.objects.get(exception=exc)
    client.force_login(users["buyer1"])
    response = client.post(
        reverse("exceptions:approve", args=[exc.pk]),
        {"version": 1},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"row-{exc.pk}",
    )
    assert response.status_code == 409
    assert f"Maria Manager already decided this (approve) at {moment(decided.created_at)}." in (
        response.content.decode()
    )
    # a change by the plan refresh names the refresh and its time
    other = xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    PlanningException.objects.filter(pk=other.pk).update(version=2)
    other.refresh_from_db()
    response = client.post(
        reverse("exceptions:approve", args=[other.pk]), {"version": 1}, HTTP_HX_REQUEST="true"
    )
    assert (
        f"The plan refresh changed this exception at {moment(other.updated_at)}" in response.content.decode()
    )


def test_the_drawer_links_the_sku_location_page(client, users):
    exc = xf.exception(item_location=xf.network(buyer=users["buyer1"])[0])
    il = exc.item_location
    client.force_login(users["buyer1"])
    body = client.get(reverse("exceptions:detail", args=[exc.pk])).content.decode()
    link = f'href="/skus/{il.location.code}/{il.item.sku}/"'
    assert link in body
    page = client.get(f"/skus/{il.location.code}/{il.item.sku}/")
    assert page.status_code == 200 and il.item.sku in page.content.decode()
