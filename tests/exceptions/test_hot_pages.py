"""The pages a planner hits most (issue 13, throughput; bench/bench_load.py's mix): their queries stay under a
ceiling whatever the rows, and the drawer's two reason lists come from one read."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exceptions.models import ReasonCode
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"
HX = {"HTTP_HX_REQUEST": "true"}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hot-pages"}}


def _rows(n, buyer):
    ils = xf.network(buyer=buyer, n=n)
    return [xf.exception(item_location=il, value_at_stake=Decimal(100 + i)) for i, il in enumerate(ils)]


def _requests(rows):
    pk = rows[-1].pk
    return {
        "queue_page": (QUEUE, {}),
        "queue_partial": (QUEUE + "?ordering=due", {**HX, "HTTP_HX_TARGET": "queue-table"}),
        "drawer": (reverse("exceptions:detail", args=[pk]), {**HX, "HTTP_HX_TARGET": "detail-panel"}),
        "tabs": (reverse("exceptions:queue_tabs"), {**HX, "HTTP_HX_TARGET": "queue-tabs"}),
        "api_list": ("/api/exceptions/", {}),
    }


def _queries(client, rows) -> dict[str, int]:
    out = {}
    for kind, (url, headers) in _requests(rows).items():
        client.get(
            url, **headers
        )  # the caches a worker holds after its first requests (choices, counts, rows)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, **headers).status_code == 200
        out[kind] = len(queries)
    return out


# Each page's queries as counted here (2026-12-07) with sessions in the database (with REDIS_URL the session read is
# a cache hit: one fewer) and the groups and permissions from the cache (ACCESS_CACHE, as in production); without
# that cache up to 3 more (the groups, the user's and the groups' permissions). A regression adds a query per row
# or per feature and fails here.
CEILING = {"queue_page": 11, "queue_partial": 9, "drawer": 12, "tabs": 2, "api_list": 5}


@pytest.mark.parametrize("access_cache", [True, False])
def test_hot_pages_stay_under_their_query_ceiling_whatever_the_rows(client, users, access_cache):
    buyer = users["buyer1"]
    with override_settings(ACCESS_CACHE=access_cache, CACHES=LOCMEM):
        cache.clear()
        client.force_login(buyer)
        few = _queries(client, _rows(3, buyer))
        many = _queries(client, _rows(60, buyer))
        cache.clear()
    assert few == many  # not one more query for 20 times the rows
    extra = 0 if access_cache else 3
    assert {kind: n for kind, n in many.items() if n > CEILING[kind] + extra} == {}, many


def test_the_drawer_offers_each_action_its_reasons_from_one_read(client, users):
    buyer = users["buyer1"]
    (row,) = _rows(1, buyer)
    ReasonCode.objects.create(code="only-override", label="Only override", applies_to="override", position=0)
    ReasonCode.objects.create(code="only-reject", label="Only reject", applies_to="reject", position=0)
    ReasonCode.objects.create(code="both", label="Both", applies_to="any", position=1)
    ReasonCode.objects.create(code="retired", label="Retired", applies_to="any", active=False)
    expected = {
        kind: [
            c.code
            for c in ReasonCode.objects.filter(active=True).order_by("position", "label")
            if c.applies_to in ("any", kind)
        ]
        for kind in ("override", "reject")
    }
    client.force_login(buyer)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("exceptions:detail", args=[row.pk]), **HX).content.decode()
    assert len([q for q in queries if "exceptions_reasoncode" in q["sql"]]) == 1
    for kind in ("override", "reject"):
        select = re.search(rf'id="{kind}-reason".*?</select>', body, re.S).group(0)
        assert re.findall(r'<option value="([^"]+)"', select) == expected[kind]
    assert "only-reject" not in expected["override"] and "retired" not in expected["reject"]
