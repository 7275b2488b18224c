"""The queue's rows rendered once (issue 13, throughput): the cached rows are the partial's HTML, and every change
of what a row shows (a decision, an override, a refresh moving its value, the viewer's limit) shows at once."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exceptions import views
from exceptions.models import PlanningException, Status
from exceptions.services import exception_override
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[A-Za-z0-9]+')  # a fresh mask each time


def _rows(n, buyer, start=100):
    ils = xf.network(buyer=buyer, n=n)
    return [xf.exception(item_location=il, value_at_stake=Decimal(start + i)) for i, il in enumerate(ils)]


def _row(body: str, pk: int) -> str:
    row = body[body.index(f'id="row-{pk}"') :]
    return row[: row.index("</tr>")]


def _page(client, **params) -> str:
    return TOKEN.sub(r"\1csrf", client.get(QUEUE, params).content.decode())


def test_cached_rows_are_the_partials_html(client, users, monkeypatch):
    buyer = users["buyer1"]
    rows = _rows(3, buyer)
    big = rows[0]
    big.proposal = {**big.proposal, "quantity": 900, "unit_cost": "10.00"}  # 9,000: above the buyer's limit
    big.save(update_fields=["proposal"])
    client.force_login(buyer)
    first, cached = _page(client, ordering="due"), _page(client, ordering="due")
    # every row through the partial, as before
    monkeypatch.setattr(views, "rows_render", lambda *a, **k: None)
    plain = _page(client, ordering="due")
    assert first == cached == plain
    assert "Send for approval" in _row(plain, big.pk) and ">Approve<" in _row(plain, rows[1].pk)
    # the per-request parts: the rank, and the page's own URL in each form's `next`
    assert 'name="next" value="/queue/?ordering=due"' in _row(plain, big.pk)
    assert '<td class="num rank">' in _row(plain, big.pk) and "@@qrow" not in plain


def test_a_decision_an_override_and_a_refresh_show_at_once(client, users):
    buyer = users["buyer1"]
    low, high = _rows(2, buyer)
    client.force_login(buyer)
    body = _page(client)
    assert "Order 240 from Acme" in _row(body, high.pk) and "2,400" in _row(body, high.pk)
    # an override (version 2): the row shows the new quantity and amount
    exception_override(
        exception=high, actor=buyer, version=1, quantity="300", date=high.proposal["date"],
        reason_code="promotion", comment="promo",
    )  # fmt: skip
    body = _page(client, queue="decided")
    assert "Order 300 from Acme" in _row(body, high.pk) and "3,000" in _row(body, high.pk)
    # a refresh moving a value without a new version: the new value at once
    PlanningException.objects.filter(pk=low.pk).update(value_at_stake=Decimal("4321.00"))
    assert "4,321" in _row(_page(client), low.pk)
    # an approval over HTMX, then the page: the row is decided, no longer offered for approval
    client.post(reverse("exceptions:approve", args=[low.pk]), {"version": 1}, HTTP_HX_REQUEST="true")
    low.refresh_from_db()
    assert low.status == Status.APPROVED
    assert f'id="row-{low.pk}"' not in _page(client)
    decided = _row(_page(client, queue="decided"), low.pk)
    assert "approve-form" not in decided and "Approved" in decided


def test_rows_follow_the_viewer_and_their_scope(client, users):
    buyer1, buyer2, manager = users["buyer1"], users["buyer2"], users["manager1"]
    (row,) = _rows(1, buyer1)
    row.proposal = {**row.proposal, "quantity": 900, "unit_cost": "10.00"}  # 9,000: a manager's tier
    row.save(update_fields=["proposal"])
    client.force_login(buyer1)
    assert "Send for approval" in _row(_page(client), row.pk)
    client.force_login(manager)  # the same row, cached for the buyer: the manager's own buttons
    mine = _row(_page(client), row.pk)
    assert ">Approve<" in mine and "Send for approval" not in mine
    client.force_login(buyer2)  # not in their scope: not on their page, whatever the cache holds
    assert f'id="row-{row.pk}"' not in _page(client)
    assert client.get(reverse("exceptions:detail", args=[row.pk])).status_code == 404


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}})
def test_the_rows_come_from_the_cache_and_the_groups_are_read_once(client, users):
    buyer = users["buyer1"]
    _rows(5, buyer)
    client.force_login(buyer)
    client.get(QUEUE)
    assert len([k for k in cache._cache if "exceptions:qrow:" in k]) == 5  # locmem: its keys can be listed
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    sqls = [q["sql"] for q in queries.captured_queries]
    groups = [s for s in sqls if '"auth_user_groups"' in s and "auth_permission" not in s]
    # the role, the workspace check and the rank share one read (none with ACCESS_CACHE: replenish.core.access)
    assert len(groups) == (0 if settings.ACCESS_CACHE else 1), groups
    # the page reads no JSON column it does not show
    for row in response.context["rows"]:
        assert {"explanation", "value_parts", "outcome"} <= row.get_deferred_fields()
        assert "unit_price" in row.item_location.item.get_deferred_fields()  # nor the item's other columns
