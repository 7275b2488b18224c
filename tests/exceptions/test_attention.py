"""Human review only where it pays: the value floor (Low value), today's work sized to a person's capacity (To do,
Later), the same split in SQL as in the pure ranking the simulator calls."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.utils import timezone

from exceptions.models import Decision, ExceptionType, PlanningException, TeamSetting, WorkCapacity
from exceptions.selectors import QueueFilters, exception_list, queue_counts
from exceptions.services import exceptions_refresh
from replenish import models as m
from replenish.engine import attention
from tests.exceptions import factories as xf

pytestmark = pytest.mark.django_db


def test_the_work_by_day_is_the_last_day_to_act_capped_by_the_days_waited():
    # today 100; (first day, last day to act before the stockout) -> min(first + 28, last day), floored; a last day
    # already past (96.5) or unknown (inf, nan) -> first + 28
    days = attention.work_by_day(
        [100, 100, 100, 70, 100, 100, 100], 100, [106, 186, np.inf, np.nan, 96.5, 100.5, 127.9]
    )
    assert days.tolist() == [106, 128, 128, 98, 128, 100, 127]
    # as dates: first seen on 1 Dec, refreshed on 10 Dec, stockout 20 days after the refresh, lead time 14: 16 Dec
    assert attention.work_by_date(date(2026, 12, 1), date(2026, 12, 10), 20 - 14) == date(2026, 12, 16)
    # no stockout projected, or too late for the lead time: 28 days after it first appeared
    assert attention.work_by_date(date(2026, 12, 1), date(2026, 12, 10), np.inf) == date(2026, 12, 29)
    assert attention.work_by_date(date(2026, 12, 1), date(2026, 12, 10), 5 - 14) == date(2026, 12, 29)


def test_the_pure_rank_is_value_then_work_by_then_id():
    today = 200
    # a slow mover worth 0 waiting since day 150 with its stockout a year away (lead time 30): work by 150 + 28
    slow = attention.work_by_day(150, today, today + 365 - 30)
    # a fresh task worth 0, stockout in 25 days, lead time 14: work by 211
    fresh = attention.work_by_day(today, today, today + 25 - 14)
    # a fresh task worth 0 already too late for its lead time (stockout in 5 days): by its first day + 28, 228
    late = attention.work_by_day(today, today, today + 5 - 14)
    assert (slow, fresh, late) == (178, 211, 228)
    values = [0.0, 0.0, 0.0, 40.0, 0.0]
    work_by = [fresh, slow, late, fresh, slow]
    ids = [1, 2, 3, 4, 5]
    # 40 first (money first), then the zero-value tasks: the slow mover that waited (178: ids 2, 5 by id), the fresh
    # one that can still be saved (211), the late one (228)
    assert attention.rank_order(values, work_by, ids).tolist() == [3, 1, 4, 0, 2]
    # grouped (the simulator's planners): each planner's tasks together, each in the same order
    assert attention.rank_order(values, work_by, ids, group=[1, 0, 1, 0, 0]).tolist() == [3, 1, 4, 0, 2]
    assert attention.rank_order(values, work_by, ids, group=[1, 1, 0, 0, 0]).tolist() == [3, 4, 2, 1, 0]


def test_the_pure_split_ranks_by_value_then_work_by_then_id_and_sizes_the_day():
    values = [50.0, 300.0, 120.0, 120.0, 90.0, 1000.0]
    work_by = [5, 5, 9, 3, 5, 5]
    ids = [1, 2, 3, 4, 5, 6]
    # 1000, 300, 120 (work by 3, id 4), 120 (work by 9, id 3), 90, 50
    assert list(attention.rank_order(values, work_by, ids)) == [5, 1, 3, 2, 4, 0]
    split = attention.day_split(values, work_by, ids, floors=100.0, capacity=4, decided_today=1)
    # below 100: low; of the rest, the first 4 - 1 = 3 by rank are today's work
    assert list(split) == ["low", "todo", "later", "todo", "low", "todo"]
    assert list(attention.day_split(values, work_by, ids, 100.0, capacity=2, decided_today=5)) == [
        "low",
        "later",
        "later",
        "later",
        "low",
        "later",
    ]


def test_the_queue_tabs_apply_the_same_split_as_the_pure_function(users):
    buyer = users["buyer1"]
    values = [Decimal(v) for v in ("50", "300", "120", "120", "120", "90", "1000", "120")]
    # units short per day of delay: among the 120s, 2.1 and two ties at 1.4 (the work-by day decides those), then 0
    delays = [0.0, 0.0, 1.4, 0.0, 2.1, 0.5, 0.0, 1.4]
    first = date(2026, 12, 1)
    work_by = [first + timedelta(days=d) for d in (5, 5, 9, 3, 9, 5, 5, 1)]
    ils = xf.network(buyer=buyer, n=len(values))
    rows = [
        xf.exception(item_location=il, value_at_stake=v, delay_rate=r, work_by=w)
        for il, v, r, w in zip(ils, values, delays, work_by)
    ]
    TeamSetting.objects.filter(team="procurement").update(value_floor=Decimal("100"))
    WorkCapacity.objects.create(user=buyer, daily_decisions=5)
    done = xf.exception(item_location=xf.network(buyer=buyer)[0], status="approved")
    Decision.objects.create(exception=done, actor=buyer, action="approve", version=1)  # one decided today
    expected = attention.day_split(
        [float(v) for v in values],
        [w.toordinal() for w in work_by],
        [r.pk for r in rows],
        100.0,
        capacity=5,
        decided_today=1,
        delay=delays,
    )
    # hand-computed: 1000, 300, then the 120s by delay (2.1: index 4, work by 9; 1.4 with work by 1: index 7), room 4;
    # Later the 120 losing 1.4 with work by 9 (index 2) and the one losing nothing (index 3, work by 3, the earliest
    # of the 120s but for index 7: without the delay it would be To do)
    assert list(expected) == ["low", "todo", "later", "later", "todo", "low", "todo", "todo"]

    def tab(name):
        user = type(buyer).objects.get(pk=buyer.pk)
        return [r.pk for r in exception_list(user=user, filters=QueueFilters(queue=name))]

    order = attention.rank_order(
        [float(v) for v in values], [w.toordinal() for w in work_by], [r.pk for r in rows], delay=delays
    )
    assert [rows[i].pk for i in order if expected[i] != "low"] == [rows[i].pk for i in (6, 1, 4, 7, 2, 3)]
    for name, key in (("open", "todo"), ("later", "later"), ("low", "low")):
        assert tab(name) == [rows[i].pk for i in order if expected[i] == key], name
    counts = queue_counts(type(buyer).objects.get(pk=buyer.pk))
    assert (counts["open"], counts["later"], counts["low"]) == (4, 2, 2)
    # filters compose with the day: To do of one SKU; the later 120.00 rows are Later whatever the filter
    user = type(buyer).objects.get(pk=buyer.pk)
    sku = rows[6].item_location.item.sku
    assert [r.pk for r in exception_list(user=user, filters=QueueFilters(queue="open", search=sku))] == [
        rows[6].pk
    ]
    for later in (2, 3):
        sku = rows[later].item_location.item.sku
        assert list(exception_list(user=user, filters=QueueFilters(queue="open", search=sku))) == []
    # the model's default order is the same rank
    mine = PlanningException.objects.filter(pk__in=[r.pk for r in rows])
    assert [r.pk for r in mine] == [rows[i].pk for i in order]


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


def test_the_refresh_stores_each_tasks_work_by_day_from_its_first_day_stockout_and_lead_time(users):
    buyer = users["buyer1"]
    today = xf.today()
    run = xf.plan_run()
    # runs out in 20 days; a purchase order due today lands in 14 (the lead time): its last day to act is in 6 days
    il, _plan, rec = xf.stockout_case(
        run=run, buyer=buyer, action="purchase_order", projected_stockout_date=today + timedelta(days=20)
    )
    # runs out in 9 days: too late for the lead time, so 28 days after it first appeared (today)
    late_il, _plan, _rec = xf.stockout_case(run=run, buyer=buyer, action="purchase_order")
    exceptions_refresh(run=run)
    live = PlanningException.objects.exclude(status="closed")
    tasks = live.exclude(type=ExceptionType.DRAFT_PO)
    line = tasks.get(item_location=il)
    assert line.work_by == today + timedelta(days=6)
    assert tasks.get(item_location=late_il).work_by == today + timedelta(days=28)

    def draft_of(task):
        return next(
            d
            for d in live.filter(type=ExceptionType.DRAFT_PO)
            if task.pk in [x["exception_id"] for x in d.proposal["lines"]]
        )

    assert draft_of(line).work_by == today + timedelta(days=6)  # its most urgent line's still ahead
    # the same task, first seen 40 days ago: 28 days after its first day is sooner (12 days ago)
    PlanningException.objects.filter(pk=line.pk).update(created_at=timezone.now() - timedelta(days=40))
    run2 = xf.plan_run()
    xf.sku_plan(run=run2, item_location=il, projected_stockout_date=today + timedelta(days=20))
    xf.recommendation(run=run2, item_location=il, supplier=rec.supplier, action="purchase_order")
    exceptions_refresh(run=run2)
    again = tasks.get(item_location=il)
    assert again.pk == line.pk and again.work_by == today - timedelta(days=12)


def _two_lines_of_one_draft(buyer):
    """Two lines of one draft PO (one supplier, one location), refreshed; 70 a week: 10 a day each; a PO due today
    lands in 14 days (the lead time), sd 3 days. `soon` runs out in 20 days: P(lands first) = Phi((20 - 14) / 3) =
    Phi(2) = 0.9772, 10 x 0.0228 = 0.228 a day; `late` in 9: Phi(-5 / 3) = 0.0478, 10 x 0.9522 = 9.522 a day."""
    run = xf.plan_run()
    soon, late = xf.network(buyer=buyer, n=2)
    supplier = m.SupplierItem.objects.get(item=soon.item, is_primary=True).supplier
    xf.sku_plan(run=run, item_location=soon, projected_stockout_date=xf.today() + timedelta(days=20))
    xf.sku_plan(run=run, item_location=late)
    for il in (soon, late):
        xf.recommendation(run=run, item_location=il, supplier=supplier, action="purchase_order")
    exceptions_refresh(run=run)
    return run, soon, late


def test_the_refresh_stores_each_tasks_delay_rate_and_a_draft_po_the_sum_of_its_lines(users, client):
    buyer = users["buyer1"]
    run, soon, late = _two_lines_of_one_draft(buyer)
    live = PlanningException.objects.exclude(status="closed")
    line = live.get(item_location=soon)
    assert line.value_parts["basis"]["daily_demand"] == 10.0 and line.value_parts["feasibility"] == 0.9772
    assert line.delay_rate == 0.228
    assert live.get(item_location=late).delay_rate == 9.522
    (draft,) = live.filter(type=ExceptionType.DRAFT_PO)
    assert sorted(x["exception_id"] for x in draft.proposal["lines"]) == sorted(
        live.filter(item_location__in=[soon, late]).values_list("pk", flat=True)
    )
    assert draft.delay_rate == 9.75  # 0.228 + 9.522, as its value is the sum of its lines'
    # a task whose figures are otherwise unchanged (the same run, the same recommendation) still gets its delay
    # rate (one stored before it had one: 0)
    PlanningException.objects.filter(pk__in=[line.pk, draft.pk]).update(delay_rate=0.0)
    exceptions_refresh(run=run)
    again = live.get(item_location=soon)
    assert again.pk == line.pk and again.version == line.version and again.delay_rate == 0.228
    assert live.get(pk=draft.pk).delay_rate == 9.75
    # the drawer says it: 10 a day x (1 - 0.0478) = 95% chance the order lands after the stockout
    client.force_login(buyer)
    page = client.get(f"/queue/{live.get(item_location=late).pk}/").content.decode()
    assert (
        "Each day this waits loses about 9.5 units of demand (10 a day × 95% chance the order lands" in page
    )


def test_the_migration_fills_the_delay_rate_of_tasks_stored_before_their_basis_had_daily_demand(users):
    from importlib import import_module

    from django.apps import apps

    buyer = users["buyer1"]
    _, soon, late = _two_lines_of_one_draft(buyer)
    no_action = xf.exception(item_location=xf.network(buyer=buyer)[0])  # no supply action in its basis: 0
    # as stored before: no daily demand in the basis, no delay rate
    for task in PlanningException.objects.exclude(status="closed"):
        task.value_parts.get("basis", {}).pop("daily_demand", None)
        task.delay_rate = 0.0
        task.save(update_fields=["value_parts", "delay_rate"])
    import_module("exceptions.migrations.0014_delay_rate").fill_delay_rates(apps, None)
    live = PlanningException.objects.exclude(status="closed")
    # the daily demand from the horizon demand over the horizon days (10 a day): as the refresh computes it
    assert live.get(item_location=soon).delay_rate == 0.228
    assert live.get(item_location=late).delay_rate == 9.522
    assert live.get(type=ExceptionType.DRAFT_PO).delay_rate == 9.75
    assert live.get(pk=no_action.pk).delay_rate == 0.0


def test_the_drawer_says_what_a_days_wait_costs():
    from types import SimpleNamespace

    from exceptions.templatetags.exceptions_tags import delay_sentence

    task = SimpleNamespace(
        delay_rate=1.365,
        value_parts={"feasibility": 0.35, "basis": {"daily_demand": 2.1}},
        proposal={"action": "purchase_order"},
    )
    assert delay_sentence(task) == (
        "Each day this waits loses about 1.4 units of demand (2.1 a day × 65% chance the order lands after the "
        "stockout)."
    )
    assert delay_sentence(SimpleNamespace(delay_rate=0.0, value_parts={}, proposal={})) == ""
    header = SimpleNamespace(
        delay_rate=9.75, value_parts={"feasibility": None, "basis": {"tasks": 2}}, proposal={}
    )
    assert delay_sentence(header).startswith(
        "Each day this waits loses about 9.8 units of demand across its lines"
    )
    # stored before its basis carried the daily demand (a refresh keeps the parts of a task whose figures hold)
    old = SimpleNamespace(
        delay_rate=0.05, value_parts={"feasibility": 0.9, "basis": {}}, proposal={"action": "transfer"}
    )
    assert delay_sentence(old) == (
        "Each day this waits loses about 0.05 units of demand (its daily demand × the chance the transfer lands "
        "after the stockout)."
    )
