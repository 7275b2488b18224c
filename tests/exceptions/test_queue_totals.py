"""The grid's total at scale (issue 12): exact on To do, Later and Low value for any filter, checked against a count
computed here from the rows; the Decided tab, which only grows, counted up to COUNT_CAP and shown as "more than"."""

from decimal import Decimal

import pytest
from django.utils import timezone

from exceptions import selectors
from exceptions.models import DECIDED, PlanningException, Status, TeamSetting, WorkCapacity
from tests import factories as f
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"


def spread(buyer, n=90):
    """n rows of the buyer over two locations and two types, values 10 to n x 10 (some under the floor)."""
    locations = [f.location(code="WA"), f.location(code="WB")]
    rows = []
    for i in range(n):
        (il,) = xf.network(buyer=buyer, location=locations[i % 3 == 0])
        kind = "excess" if i % 2 else "stockout_risk"
        rows.append(xf.exception(item_location=il, value_at_stake=Decimal(10 * (i + 1)), type=kind))
    return rows


def tabs_by_hand(rows, buyer):
    """To do / Later / Low value, computed from the rule (floors, capacity, rank by value then id), not the SQL."""
    floors = dict(TeamSetting.objects.values_list("team", "value_floor"))
    capacity = WorkCapacity.objects.filter(user=buyer).values_list("daily_decisions", flat=True).first() or 60
    above = sorted(
        (r for r in rows if r.value_at_stake >= floors.get(r.owner_team, 0)),
        key=lambda r: (-r.value_at_stake, r.pk),
    )
    low = [r for r in rows if r.value_at_stake < floors.get(r.owner_team, 0)]
    return {"open": above[:capacity], "later": above[capacity:], "low": low}


@pytest.mark.parametrize(
    "params",
    [
        {"queue": "later"},
        {"queue": "low"},
        {"queue": "later", "location": "WB"},
        {"queue": "later", "type": "excess", "min_value": "200"},
        {"location": "WA", "type": "stockout_risk"},
        {"queue": "low", "location": "WA", "type": "excess"},
    ],
)
def test_the_total_of_each_tab_and_filter_is_the_exact_count(client, users, params):
    buyer = users["buyer1"]
    TeamSetting.objects.filter(team="procurement").update(value_floor=Decimal("105"))
    rows = spread(buyer)
    for row in rows:
        row.refresh_from_db()
    tab = tabs_by_hand(rows, buyer)[params.get("queue", "open")]
    want = [
        r
        for r in tab
        if params.get("location") in (None, r.location.code)
        and params.get("type") in (None, r.type)
        and r.value_at_stake >= Decimal(params.get("min_value", "0"))
    ]
    assert want  # each case matches some rows
    client.force_login(buyer)
    response = client.get(QUEUE, params)
    assert response.context["total"] == len(want) and response.context["total_exact"]
    assert response.context["pages"] == -(-len(want) // selectors.PAGE_SIZE)
    assert f"<strong>{len(want)}</strong> row" in response.content.decode()


def grid_total(response):
    return response.context["total"], response.context["total_exact"], response.context["pages"]


def test_the_decided_tab_counts_up_to_the_cap_then_says_more_than(client, users, monkeypatch):
    buyer = users["buyer1"]
    rows = spread(buyer, n=7)
    now = timezone.now()
    PlanningException.objects.filter(pk__in=[r.pk for r in rows[:5]]).update(
        status=Status.APPROVED, decided_at=now
    )
    decided = PlanningException.objects.filter(buyer=buyer, status__in=DECIDED).count()
    assert decided == 5
    client.force_login(buyer)
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)  # exactly at the cap: still exact
    response = client.get(QUEUE, {"queue": "decided"})
    assert grid_total(response) == (5, True, 1)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)  # past the cap: "more than 3", no last page to link
    response = client.get(QUEUE, {"queue": "decided"})
    assert grid_total(response) == (3, False, None)
    body = response.content.decode()
    assert "<strong>more than 3</strong> rows" in body and "page 1 of" not in body and "Last »" not in body
    assert len(response.context["rows"]) == decided  # the page itself is not capped
