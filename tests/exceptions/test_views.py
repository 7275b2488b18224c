"""Work-queue screens: ranking, filters in the URL, permissions in SQL, constant queries, HTMX actions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exceptions.models import PlanningException, Status
from exceptions.selectors import QueueFilters, exception_page
from replenish import models as m
from tests import factories as f
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"


def many(n, *, buyer, location=None, supplier=None, start=1):
    ils = xf.network(buyer=buyer, n=n, location=location, supplier=supplier)
    return [xf.exception(item_location=il, value_at_stake=Decimal(start + i)) for i, il in enumerate(ils)]


def test_queue_is_ranked_by_value_and_shows_the_blotter_columns(client, users):
    buyer = users["buyer1"]
    low, high = many(2, buyer=buyer, start=10)
    PlanningException.objects.filter(pk=high.pk).update(value_at_stake=Decimal("2500.50"))
    client.force_login(buyer)
    response = client.get(QUEUE)
    rows = response.context["rows"]
    assert [r.pk for r in rows] == [high.pk, low.pk]
    body = response.content.decode()
    assert "2,500" in body and "Order 240 from Acme by today" in body
    assert f'id="row-{high.pk}"' in body and 'data-count="queue">2<' in body


def test_filters_stay_in_the_url_and_htmx_gets_only_the_table(client, users):
    buyer = users["buyer1"]
    loc_a, loc_b = f.location(code="WA"), f.location(code="WB")
    (in_a,) = many(1, buyer=buyer, location=loc_a, start=100)
    many(1, buyer=buyer, location=loc_b, start=200)
    client.force_login(buyer)
    response = client.get(
        QUEUE, {"location": "WA", "min_value": "50"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-table"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="queue-table"') and "<html" not in body
    assert body.count('class="qrow') == 1 and f'id="row-{in_a.pk}"' in body
    full = client.get(QUEUE, {"location": "WA", "min_value": "50"})
    assert [r.pk for r in full.context["rows"]] == [in_a.pk]
    assert 'value="WA" selected' in full.content.decode()
    response = client.get(QUEUE, {"min_value": "abc"})
    assert "Minimum value must be a positive amount" in response.content.decode()


def test_each_role_sees_its_scope_in_sql(client, users):
    buyer1, buyer2 = users["buyer1"], users["buyer2"]
    loc1 = m.Location.objects.create(external_id="WH1", code="WH1", name="Central", shipping_cutoff="15:00")
    own = many(1, buyer=buyer1, location=loc1)[0]
    other_supplier = f.supplier(name="Granted Supplier")
    granted = many(1, buyer=buyer2, supplier=other_supplier)[0]
    category = many(1, buyer=buyer2)[0]
    PlanningException.objects.filter(pk=category.pk).update(category="Pumps")
    hidden = many(1, buyer=buyer2)[0]
    xf.grant_supplier(buyer1, other_supplier)
    from exceptions.models import SupplierUserObjectPermission

    assert SupplierUserObjectPermission.objects.filter(user=buyer1, content_object=other_supplier).exists()
    assert buyer1.has_perm("replenish.view_supplier", other_supplier)  # guardian's backend reads the same row
    from exceptions.models import CategoryOwnership

    CategoryOwnership.objects.create(user=buyer1, category="Pumps")
    from exceptions.services import supervisor_scopes_ensure

    supervisor_scopes_ensure()  # supervisor1 -> WH1

    def visible(username):
        client.force_login(users[username])
        return {r.pk for r in client.get(QUEUE).context["rows"]}

    assert visible("buyer1") == {own.pk, granted.pk, category.pk}
    assert visible("buyer2") == {granted.pk, category.pk, hidden.pk}
    # the supervisor's scope is their warehouse; their screen is Warehouse control, not the buyers' queue (403)
    from exceptions.selectors import exception_base

    assert {e.pk for e in exception_base(user=users["supervisor1"])} == {own.pk}
    client.force_login(users["supervisor1"])
    assert client.get(QUEUE).status_code == 403
    assert visible("manager1") == visible("auditor1") == {own.pk, granted.pk, category.pk, hidden.pk}
    # the auditor reads but gets no action buttons
    client.force_login(users["auditor1"])
    assert "approve-form" not in client.get(QUEUE).content.decode()


def test_queue_page_queries_do_not_grow_with_the_rows(client, users, django_assert_num_queries):
    buyer = users["buyer1"]
    many(10, buyer=buyer)
    client.force_login(buyer)
    client.get(QUEUE)  # warm the caches (filter choices, counts)
    with CaptureQueriesContext(connection) as ten:
        client.get(QUEUE)
    many(50, buyer=buyer, start=500)
    with django_assert_num_queries(len(ten.captured_queries)):
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == 50 and response.context["has_next"]
    # the rows themselves come from one query, with no COUNT(*)
    fresh = type(buyer).objects.get(pk=buyer.pk)
    # the user's role, the team floors with their capacity and decisions today (one query), the day's cutoff, then
    # the page
    with django_assert_num_queries(4):
        rows, has_next = exception_page(user=fresh, filters=QueueFilters())
        [(r.item_location.item.sku, r.location.code, r.supplier.name) for r in rows]
    assert len(rows) == 50 and has_next
    assert not any(
        "COUNT(" in q["sql"].upper()
        for q in ten.captured_queries
        if "planningexception" in q["sql"] and "LIMIT" in q["sql"].upper()
    )


def test_htmx_approve_returns_the_updated_row_and_triggers_the_counters(client, users):
    exc = many(1, buyer=users["buyer1"])[0]
    client.force_login(users["buyer1"])
    response = client.post(
        reverse("exceptions:approve", args=[exc.pk]),
        {"version": 1},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"row-{exc.pk}",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="row-{exc.pk}"') and "Approved" in body
    assert "queue-changed" in response["HX-Trigger"]
    assert 'hx-swap-oob="outerHTML"' in body  # the detail panel, out of band


def test_stale_action_is_a_409_with_a_clear_message_and_the_fresh_row(client, users):
    exc = many(1, buyer=users["buyer1"])[0]
    from exceptions.services import exception_approve

    exception_approve(exception=exc, actor=users["manager1"], version=1)
    client.force_login(users["buyer1"])
    response = client.post(
        reverse("exceptions:reject", args=[exc.pk]),
        {"version": 1, "reason_code": "other"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"row-{exc.pk}",
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Maria Manager already decided this" in body
    assert f'id="row-{exc.pk}"' in body and "Approved" in body


def test_another_users_exception_is_404_for_view_and_action(client, users):
    exc = many(1, buyer=users["buyer2"])[0]
    client.force_login(users["buyer1"])
    assert client.get(reverse("exceptions:detail", args=[exc.pk])).status_code == 404
    assert client.post(reverse("exceptions:approve", args=[exc.pk]), {"version": 1}).status_code == 404
    exc.refresh_from_db()
    assert exc.status == Status.OPEN


def test_bad_override_is_refused_naming_the_field_and_without_js_it_still_works(client, users):
    exc = many(1, buyer=users["buyer1"])[0]
    client.force_login(users["buyer1"])
    url = reverse("exceptions:override", args=[exc.pk])
    data = {
        "version": 1,
        "quantity": "-3",
        "date": timezone.localdate().isoformat(),
        "reason_code": "",
        "comment": "x",
    }
    response = client.post(url, data, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="detail-panel")
    body = response.content.decode()
    assert response.status_code == 422 and response["HX-Retarget"] == "#detail-panel"
    assert "Quantity cannot be negative." in body and "Reason code is required" in body
    # without JavaScript: a plain POST, then a redirect back to the queue
    data.update({"quantity": "300", "reason_code": "promotion"})
    response = client.post(url, {**data, "next": "/queue/?location=WX"})
    assert response.status_code == 302 and response.url == "/queue/?location=WX"
    exc.refresh_from_db()
    assert exc.status == Status.OVERRIDDEN and exc.proposal["quantity"] == 300


def test_detail_shows_value_parts_plan_history_and_chart(client, users):
    run = xf.plan_run()
    il, plan, rec = xf.stockout_case(run=run, buyer=users["buyer1"])
    from exceptions.services import exceptions_refresh

    exceptions_refresh(run=run)
    exc = PlanningException.objects.get(item_location=il)
    f.purchase_order_line(item_location=il, quantity=50, promised_in_days=20)
    client.force_login(users["buyer1"])
    response = client.get(reverse("exceptions:detail", args=[exc.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Lost margin" in body and exc.value_parts["lost_margin"] in body.replace(",", "")
    assert 'id="projection-data"' in body and "Reorder point" in body
    from exceptions.selectors import exception_detail

    chart = exception_detail(exception=exc)["chart"]
    # available 10 today, 50 arriving on day 20, 10 a day of demand
    assert chart["projected"][0] == pytest.approx(10 - 10)
    assert chart["projected"][20] == pytest.approx(10 + 50 - 10 * 21)
    assert "Recommendation created" in body  # the audit trail


def test_bulk_approve_returns_every_row_out_of_band(client, users):
    rows = many(3, buyer=users["buyer1"])
    client.force_login(users["buyer1"])
    response = client.post(
        reverse("exceptions:bulk_approve"), {"ids": [f"{r.pk}:1" for r in rows]}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and "Approved 3 of 3." in body
    assert body.count('hx-swap-oob="true" class="qrow') == 3
    assert PlanningException.objects.filter(status=Status.APPROVED).count() == 3


def test_refresh_progress_polls_while_running_and_stops_when_done(client, users):
    run = m.PlanRun.objects.create(status="running", chunks_total=8, chunks_done=3)
    client.force_login(users["buyer1"])
    body = client.get(reverse("exceptions:refresh_progress")).content.decode()
    assert 'hx-trigger="every 2s"' in body and "38%" in body and "3 of 8 chunks" in body
    m.PlanRun.objects.filter(pk=run.pk).update(status="complete", is_current=True, finished_at=timezone.now())
    response = client.get(reverse("exceptions:refresh_progress"), {"was_running": "1"})
    assert "every 2s" not in response.content.decode() and "queue-changed" in response["HX-Trigger"]


def test_snooze_hides_until_the_date_and_tabs_count_each_queue(
    client, users, django_capture_on_commit_callbacks
):
    a, b = many(2, buyer=users["buyer1"])
    client.force_login(users["buyer1"])
    assert client.get(QUEUE).context["counts"] == {
        "open": 2,
        "later": 0,
        "low": 0,
        "approval": 0,
        "snoozed": 0,
    }  # counted and cached
    until = (timezone.localdate() + timedelta(days=3)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("exceptions:snooze", args=[a.pk]), {"version": 1, "until": until})
    response = client.get(QUEUE)
    assert [r.pk for r in response.context["rows"]] == [b.pk]
    # the user's own decision moved the cached counts without a recount
    assert response.context["counts"] == {"open": 1, "later": 0, "low": 0, "approval": 0, "snoozed": 1}
    assert [r.pk for r in client.get(QUEUE, {"queue": "snoozed"}).context["rows"]] == [a.pk]
    # the day comes: the daily wake-up reopens it
    from exceptions.services import exceptions_wake

    assert exceptions_wake(today=timezone.localdate() + timedelta(days=3)) == 1
    assert {r.pk for r in client.get(QUEUE).context["rows"]} == {a.pk, b.pk}


def test_an_approver_decides_a_request_in_the_detail_and_the_maker_cannot(client, users):
    from exceptions.services import exception_request_approval

    il = xf.network(buyer=users["buyer1"])[0]
    big = xf.exception(item_location=il, value_at_stake=Decimal("12000.00"))
    exception_request_approval(exception=big, actor=users["buyer1"], version=1)
    client.force_login(users["buyer1"])
    assert "Approve request" not in client.get(reverse("exceptions:detail", args=[big.pk])).content.decode()
    client.force_login(users["manager1"])
    body = client.get(reverse("exceptions:detail", args=[big.pk])).content.decode()
    assert "Approve request" in body and "requested by Buyer 1" in body
    response = client.post(
        reverse("exceptions:approve", args=[big.pk]),
        {"version": 2},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="detail-panel",
    )
    assert response.status_code == 200 and "Approved #" in response.content.decode()
    big.refresh_from_db()
    assert big.status == Status.APPROVED


def test_the_waterfall_shows_the_stored_parts_and_recomputes_nothing():
    from decimal import Decimal

    from exceptions.templatetags.exceptions_tags import waterfall

    # stored parts of an expedite (see replenish.engine.value.compose): they add up to the stored value
    parts = {
        "lost_margin": "80.00",
        "order_exposure": "360.00",
        "tier_penalties": "225.00",
        "holding_cost": "0.00",
        "feasibility_adjustment": "-33.25",
        "action_cost": "-155.00",
        "floor": "0.00",
        "value": "476.75",
        "feasibility": 0.95,
        "expected_short_units": 44.0,
        "named_short_units": 36.0,
        "unit_margin": 10.0,
        "horizon_days": 15.0,
        "basis": {"expedite_fee_flat": 75.0, "expedite_fee_rate": 0.04, "goods_value": 2000.0},
    }
    steps = waterfall(parts)
    shown = {s["key"]: s["amount"] for s in steps}
    assert shown == {
        "lost_margin": Decimal("80.00"),
        "order_exposure": Decimal("360.00"),
        "tier_penalties": Decimal("225.00"),
        "feasibility_adjustment": Decimal("-33.25"),
        "action_cost": Decimal("-155.00"),
        "value": Decimal("476.75"),
    }
    assert sum(a for k, a in shown.items() if k != "value") == shown["value"]
    assert "8.0 expected short units over 15 days" in steps[0]["note"]
    assert "expedite freight 75 + 4% of 2,000.00" in steps[4]["note"]
    # a stored value is shown as stored, even one that no formula would give
    assert waterfall({**parts, "value": "1.00"})[-1]["amount"] == Decimal("1.00")


def test_an_above_limit_row_offers_send_for_approval_and_htmx_override_bypass_is_refused(client, users):
    from replenish.core.models import AuditEvent

    small, big = many(2, buyer=users["buyer1"])
    # a PO of 200 x 44.61 = 8,922.00: above the buyer's 5,000 band whatever its value at stake
    big.proposal = {**big.proposal, "quantity": 200, "unit_cost": "44.6100", "proposed_quantity": 200}
    big.save(update_fields=["proposal"])
    client.force_login(users["buyer1"])
    body = client.get(QUEUE).content.decode()
    row = body[body.index(f'id="row-{big.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Send for approval" in row and "8,922" in row and ">Approve<" not in row
    other = body[body.index(f'id="row-{small.pk}"') :]
    assert ">Approve<" in other[: other.index("</tr>")] and "2,400" in other[: other.index("</tr>")]
    # the drawer shows the amount with unit cost
    drawer = client.get(reverse("exceptions:detail", args=[big.pk])).content.decode()
    assert "8,922.00" in drawer and "200 × 44.61" in drawer
    # an override of the small one to 100x over HTMX is refused (403) and audited
    response = client.post(
        reverse("exceptions:override", args=[small.pk]),
        {
            "version": 1,
            "quantity": "24000",
            "date": small.proposal["date"],
            "reason_code": "promotion",
            "comment": "promo",
        },
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="detail-panel",
    )
    assert response.status_code == 403 and "above your approval limit" in response.content.decode()
    assert AuditEvent.objects.filter(kind="refused", action="override", subject_id=str(small.pk)).exists()
    # Send for approval needs no reason
    sent = client.post(reverse("exceptions:request_approval", args=[big.pk]), {"version": 1})
    assert sent.status_code == 302
    big.refresh_from_db()
    assert big.status == Status.AWAITING_APPROVAL and big.required_role == "manager"
