"""KPI snapshots: each figure checked against numbers worked out by hand from the rows the test writes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.kpis import KPI_DEFINITIONS, kpi_backfill, kpi_series, kpi_snapshot_compute
from governance.models import KpiSnapshot
from replenish.models import DemandHistory, TransferOrder
from tests import factories as base

from . import factories as f

pytestmark = pytest.mark.django_db
ON = date(2026, 6, 30)


def _value(kpi: str, dimension: str = "", on: date = ON):
    return KpiSnapshot.objects.get(on=on, kpi=kpi, dimension=dimension).value


def test_fill_rate_counts_backordered_units_as_unfilled_inside_the_window():
    item = base.item()
    f.sales_order_line(item=item, requested=ON, quantity=10)
    f.sales_order_line(item=item, requested=ON - timedelta(days=27), quantity=20, status="backordered")
    f.sales_order_line(
        item=item, requested=ON - timedelta(days=5), quantity=30, status="shipped", quantity_shipped=30
    )
    f.sales_order_line(
        item=item, requested=ON - timedelta(days=28), quantity=500, status="backordered"
    )  # outside
    f.sales_order_line(item=item, requested=ON, quantity=70, status="cancelled")  # ignored
    kpi_snapshot_compute(on=ON)
    assert _value("fill_rate") == pytest.approx(100 * 40 / 60)
    snap = KpiSnapshot.objects.get(on=ON, kpi="fill_rate", dimension="")
    assert (snap.numerator, snap.denominator, snap.is_proxy, snap.unit) == (40, 60, True, "%")


def test_order_cycle_time_and_transfer_efficiency():
    item, supplier, loc = base.item(), base.supplier(), base.location()
    f.receipt(item=item, supplier=supplier, location=loc, ordered=ON - timedelta(days=10), received=ON)
    f.receipt(
        item=item,
        supplier=supplier,
        location=loc,
        ordered=ON - timedelta(days=20),
        received=ON - timedelta(6),
    )
    f.receipt(item=item, supplier=supplier, location=loc, ordered=date(2025, 1, 1), received=date(2025, 3, 1))
    other = base.location()
    for i, status in enumerate(["received", "received", "in_transit", "cancelled"]):
        TransferOrder.objects.create(
            external_id=f"T{i}",
            number=f"T{i}",
            item=item,
            from_location=loc,
            to_location=other,
            quantity=5,
            ship_date=ON - timedelta(days=9),
            expected_arrival=ON - timedelta(days=3),
            status=status,
        )
    kpi_snapshot_compute(on=ON)
    assert _value("order_cycle_time") == pytest.approx((10 + 14) / 2)
    assert _value("transfer_efficiency") == pytest.approx(100 * 2 / 3)


def test_inventory_turns_and_stockouts_from_the_plan_in_force():
    il1 = base.item_location(item=base.item(unit_cost=Decimal("10"), category="Pumps"), on_hand=40)
    il2 = base.item_location(item=base.item(unit_cost=Decimal("2"), category="Valves"), on_hand=0)
    # 13 weeks of demand ending in the week of ON: 100 units of il1 (10 each), 50 of il2 (2 each)
    monday = ON - timedelta(days=ON.weekday())
    DemandHistory.objects.create(item_location=il1, period_start=monday, quantity=60)
    DemandHistory.objects.create(item_location=il1, period_start=monday - timedelta(weeks=12), quantity=40)
    DemandHistory.objects.create(item_location=il2, period_start=monday - timedelta(weeks=3), quantity=50)
    DemandHistory.objects.create(item_location=il2, period_start=monday - timedelta(weeks=13), quantity=999)
    tz = timezone.get_current_timezone()
    run = f.plan_run(finished_at=timezone.make_aware(timezone.datetime(2026, 6, 29, 3, 0), tz))
    f.sku_plan(
        run=run,
        item_location=il1,
        inventory_position=50.0,
        projected_stockout_date=date(2026, 7, 10),
        mase=0.6,
        bias=2.0,
        forecast_weekly=10.0,
    )
    f.sku_plan(
        run=run,
        item_location=il2,
        inventory_position=-5.0,
        projected_stockout_date=date(2026, 7, 20),
        mase=1.2,
        bias=-1.0,
        forecast_weekly=5.0,
    )
    kpi_snapshot_compute(on=ON)
    # turns: (100 x 10 + 50 x 2) x 4 / (40 x 10 + 0 x 2)
    assert _value("inventory_turns") == pytest.approx((1000 + 100) * 4 / 400)
    # stockout within 14 days of the run (2026-07-13): only il1
    assert _value("stockout_frequency") == pytest.approx(50.0)
    assert _value("forecast_error") == pytest.approx(0.9)
    assert _value("forecast_error", "category:Pumps") == pytest.approx(0.6)
    assert _value("forecast_error", "category:Valves") == pytest.approx(1.2)
    assert _value("forecast_bias") == pytest.approx(100 * 1.0 / 15.0)
    assert _value("forecast_bias", "category:Valves") == pytest.approx(-20.0)
    # a day before the run finished, no plan was in force
    kpi_snapshot_compute(on=date(2026, 6, 28))
    assert _value("stockout_frequency", on=date(2026, 6, 28)) is None


def test_snapshot_is_idempotent_and_backfill_builds_a_weekly_series():
    item, supplier, loc = base.item(), base.supplier(), base.location()
    for weeks_ago in range(0, 8):
        received = ON - timedelta(weeks=weeks_ago)
        f.receipt(
            item=item,
            supplier=supplier,
            location=loc,
            ordered=received - timedelta(days=7 + weeks_ago),
            received=received,
        )
    first = kpi_snapshot_compute(on=ON)
    assert kpi_snapshot_compute(on=ON) == first
    assert KpiSnapshot.objects.filter(on=ON).count() == first
    kpi_backfill(end=ON, weeks=4)
    series = kpi_series(kpis=["order_cycle_time"])["order_cycle_time"][""]
    assert [day for day, _ in series] == [ON - timedelta(weeks=w) for w in range(4, -1, -1)]
    # on ON the window holds receipts 0..3 weeks ago: lead times 7, 8, 9, 10 days
    assert series[-1][1] == pytest.approx(8.5)
    assert series[-1][1] < series[0][1]  # older windows hold the longer lead times


def test_every_kpi_of_the_issue_is_defined_and_proxies_say_how():
    assert set(KPI_DEFINITIONS) == {
        "fill_rate",
        "stockout_frequency",
        "inventory_turns",
        "exception_review_time",
        "expedite_frequency",
        "emergency_freight",
        "order_cycle_time",
        "transfer_efficiency",
        "acceptance_rate",
        "override_rate",
        "forecast_error",
        "forecast_bias",
    }
    for definition in KPI_DEFINITIONS.values():
        if definition.is_proxy:
            assert definition.how.startswith("Proxy:"), definition.key


def _recommendation(action: str, due):
    from replenish.models import Recommendation

    run = f.plan_run()
    return Recommendation.objects.create(
        run=run, item_location=base.item_location(), action=action, quantity=10, due_date=due, reason="r"
    )


def test_decision_kpis_acceptance_override_by_buyer_and_reason_review_time_and_expedites():
    from exceptions.models import Decision, PlanningException

    tz = timezone.get_current_timezone()
    noon = timezone.make_aware(timezone.datetime(2026, 6, 20, 12, 0), tz)
    alice, bob = f.user("buyer", username="alice"), f.user("buyer", username="bob")
    plan = [  # actor, action, reason, recommendation action, hours to decide
        (alice, "approve", "", "expedite", 2),
        (alice, "override", "promotion", "purchase_order", 4),
        (alice, "override", "forecast_too_high", "expedite", 6),
        (bob, "approve", "", "purchase_order", 8),
        (bob, "reject", "data_error", "transfer", 10),
        (None, "auto_execute", "", "expedite", 1),
    ]
    for actor, action, reason, rec_action, hours in plan:
        rec = _recommendation(rec_action, due=date(2026, 6, 23))
        exc = f.exception(recommendation=rec)
        PlanningException.objects.filter(pk=exc.pk).update(created_at=noon - timedelta(hours=hours))
        d = f.decision(exception_=exc, action=action, actor=actor, reason_code=reason)
        Decision.objects.filter(pk=d.pk).update(created_at=noon)
    kpi_snapshot_compute(on=ON)
    assert _value("acceptance_rate") == pytest.approx(100 * 2 / 5)
    assert _value("override_rate") == pytest.approx(100 * 2 / 5)
    assert _value("override_rate", "buyer:alice") == pytest.approx(100 * 2 / 3)
    assert _value("override_rate", "buyer:bob") == pytest.approx(0.0)
    assert _value("override_rate", "reason:promotion") == pytest.approx(100 * 1 / 5)
    assert _value("exception_review_time") == pytest.approx((2 + 4 + 6 + 8 + 10) / 5)
    # expedites approved, overridden or auto-executed: 3 in four weeks
    assert _value("expedite_frequency") == pytest.approx(3 / 4)
    # due within 7 days of the decision: the three expedites (transfer was rejected)
    assert _value("emergency_freight") == pytest.approx(3 / 4)
