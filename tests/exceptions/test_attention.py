"""Human review only where it pays: the value floor (Low value), today's work sized to a person's capacity (To do,
Later), the same split in SQL as in the pure ranking the simulator calls."""

from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from exceptions.models import Decision, PlanningException, TeamSetting, WorkCapacity
from exceptions.selectors import QueueFilters, exception_list, queue_counts
from replenish.engine import attention
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


def test_the_pure_split_ranks_by_value_then_id_and_sizes_the_day():
    values = [50.0, 300.0, 120.0, 120.0, 90.0, 1000.0]
    ids = [1, 2, 3, 4, 5, 6]
    assert list(attention.rank_order(values, ids)) == [
        5,
        1,
        2,
        3,
        4,
        0,
    ]  # 1000, 300, 120 (id 3), 120 (id 4), ...
    split = attention.day_split(values, ids, floors=100.0, capacity=3, decided_today=1)
    # below 100: low; of the rest, the first 3 - 1 = 2 by rank are today's work
    assert list(split) == ["low", "todo", "later", "later", "low", "todo"]
    assert list(attention.day_split(values, ids, 100.0, capacity=2, decided_today=5)) == [
        "low",
        "later",
        "later",
        "later",
        "low",
        "later",
    ]


def test_the_queue_tabs_apply_the_same_split_as_the_pure_function(users):
    buyer = users["buyer1"]
    values = [Decimal(v) for v in ("50", "300", "120", "120", "90", "1000")]
    ils = xf.network(buyer=buyer, n=len(values))
    rows = [xf.exception(item_location=il, value_at_stake=v) for il, v in zip(ils, values)]
    TeamSetting.objects.filter(team="procurement").update(value_floor=Decimal("100"))
    WorkCapacity.objects.create(user=buyer, daily_decisions=3)
    done = xf.exception(item_location=xf.network(buyer=buyer)[0], status="approved")
    Decision.objects.create(exception=done, actor=buyer, action="approve", version=1)  # one decided today
    expected = attention.day_split(
        [float(v) for v in values], [r.pk for r in rows], 100.0, capacity=3, decided_today=1
    )

    def tab(name):
        user = type(buyer).objects.get(pk=buyer.pk)
        return [r.pk for r in exception_list(user=user, filters=QueueFilters(queue=name))]

    for name, key in (("open", "todo"), ("later", "later"), ("low", "low")):
        want = [
            r.pk
            for r, e in sorted(zip(rows, expected), key=lambda x: (-x[0].value_at_stake, x[0].pk))
            if e == key
        ]
        assert tab(name) == want, name
    counts = queue_counts(type(buyer).objects.get(pk=buyer.pk))
    assert (counts["open"], counts["later"], counts["low"]) == (2, 2, 2)
    # filters compose with the day: To do of one SKU; the 120.00 rows are Later whatever the filter
    user = type(buyer).objects.get(pk=buyer.pk)
    sku = rows[5].item_location.item.sku
    assert [r.pk for r in exception_list(user=user, filters=QueueFilters(queue="open", search=sku))] == [
        rows[5].pk
    ]
    sku = rows[2].item_location.item.sku
    assert list(exception_list(user=user, filters=QueueFilters(queue="open", search=sku))) == []


def test_a_manager_sets_a_capacity_and_a_floor_audited(users, client):
    from replenish.core.models import AuditEvent

    client.force_login(users["manager1"])
    page = client.get("/queue/capacity/")
    assert page.status_code == 200 and "buyer1" in page.content.decode()
    response = client.post("/queue/capacity/", {"user": users["buyer1"].pk, "daily_decisions": "25"})
    assert response.status_code == 302
    assert WorkCapacity.objects.get(user=users["buyer1"]).daily_decisions == 25
    client.post("/queue/capacity/", {"team": "procurement", "value_floor": "250"})
    assert TeamSetting.objects.get(team="procurement").value_floor == Decimal("250")
    assert AuditEvent.objects.filter(kind="policy_change", action="capacity_set").exists()
    assert AuditEvent.objects.filter(kind="policy_change", action="team_floor_set").exists()
    bad = client.post("/queue/capacity/", {"user": users["buyer1"].pk, "daily_decisions": "-3"})
    assert bad.status_code == 400 and "whole number" in bad.content.decode()
    # a buyer may not
    client.force_login(users["buyer1"])
    assert client.post("/queue/capacity/", {"team": "procurement", "value_floor": "0"}).status_code == 403
    assert TeamSetting.objects.get(team="procurement").value_floor == Decimal("250")


def test_decisions_today_count_only_the_persons_own(users):
    from exceptions.attention import decided_today

    buyer = users["buyer1"]
    exc = xf.exception(item_location=xf.network(buyer=buyer)[0])
    Decision.objects.create(exception=exc, actor=None, action="auto_execute", version=1)
    assert decided_today(buyer, timezone.localdate()) == 0
    assert not np.isnan(0.0)
    assert PlanningException.objects.count() == 1


def test_the_day_inputs_read_in_one_query_are_the_three_reads(users, django_assert_num_queries):
    """day_inputs (floors, capacity, decisions today in one query) gives what team_floors, capacity_of and
    decided_today give, with and without a capacity row, decisions before today not counted, another person's
    decisions not counted, and with no team floor row at all."""
    from datetime import timedelta

    from exceptions.attention import capacity_of, day_inputs, decided_today, team_floors

    buyer, other = users["buyer1"], users["buyer2"]
    today = timezone.localdate()

    def separate(user):
        return team_floors(), capacity_of(user), decided_today(user, today)

    TeamSetting.objects.update_or_create(team="procurement", defaults={"value_floor": Decimal("125.50")})
    assert TeamSetting.objects.count() >= 1
    with django_assert_num_queries(1):
        first = day_inputs(buyer, today)
    assert first == separate(buyer) == (team_floors(), WorkCapacity.DEFAULT_DAILY_DECISIONS, 0)
    WorkCapacity.objects.create(user=buyer, daily_decisions=7)
    rows = [xf.exception(item_location=il, status="approved") for il in xf.network(buyer=buyer, n=4)]
    for row in rows[:3]:
        Decision.objects.create(exception=row, actor=buyer, action="approve", version=1)
    old = Decision.objects.create(exception=rows[3], actor=buyer, action="approve", version=1)
    Decision.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    Decision.objects.create(exception=rows[3], actor=other, action="approve", version=2)
    with django_assert_num_queries(1):
        floors, capacity, decided = day_inputs(buyer, today)
    assert (floors, capacity, decided) == separate(buyer)
    assert floors["procurement"] == Decimal("125.50") and capacity == 7 and decided == 3
    assert day_inputs(other, today) == separate(other) and day_inputs(other, today)[2] == 1
    TeamSetting.objects.all().delete()
    assert day_inputs(buyer, today) == separate(buyer) == ({}, 7, 3)
