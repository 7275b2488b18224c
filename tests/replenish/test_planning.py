import re
import time
from datetime import date, timedelta

import numpy as np
import pytest
from django.db.models import Count

from replenish import models as m
from replenish.core.models import AuditEvent
from replenish.planning.inputs import load_plan_inputs
from replenish.planning.refresh import plan_chunk_compute, plan_refresh, plan_refresh_start
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load
from tests.live_worker import wait_until_worker_idle

AS_OF = date(2026, 11, 23)


@pytest.fixture
def network(db):
    scenario_load(ScenarioSpec(skus=300, locations=3, weeks=104, seed=5, as_of=AS_OF))


def test_full_refresh_in_chunks_makes_one_current_run(network):
    run = plan_refresh(as_of=AS_OF, chunk_items=100)
    assert run.status == "complete" and run.is_current
    assert run.chunks_total == 3 and run.chunks_done == 3
    assert m.SkuPlan.objects.filter(run=run).count() == m.ItemLocation.objects.count() == 900
    # every SKU-location exactly once in the current run
    assert (
        not m.SkuPlan.objects.filter(run=run).values("item_location").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert run.recommendation_count == m.Recommendation.objects.filter(run=run).count() > 0
    # the audit trail references the run with its model version and input snapshot
    event = AuditEvent.objects.get(subject_type="plan_run", subject_id=str(run.pk))
    assert event.payload["model_version"] == run.model_version
    assert event.payload["input_snapshot"]["series"] == 900

    second = plan_refresh(as_of=AS_OF, chunk_items=1000)
    run.refresh_from_db()
    assert second.is_current and not run.is_current
    assert m.PlanRun.objects.filter(is_current=True).count() == 1


def test_a_refresh_in_progress_is_invisible_until_its_last_chunk(network):
    first = plan_refresh(as_of=AS_OF, chunk_items=1000)
    run = plan_refresh_start(as_of=AS_OF, chunk_items=100)
    chunks = list(run.chunks.order_by("index"))
    plan_chunk_compute(chunk_id=chunks[0].pk)
    first.refresh_from_db()
    run.refresh_from_db()
    assert first.is_current and not run.is_current and run.chunks_done == 1
    assert run.progress == pytest.approx(100 / 3)
    for chunk in chunks[1:]:
        plan_chunk_compute(chunk_id=chunk.pk)
    run.refresh_from_db()
    assert run.is_current and run.status == "complete"


def test_chunks_are_idempotent(network):
    run = plan_refresh_start(as_of=AS_OF, chunk_items=1000)
    chunk = run.chunks.get()
    # a crashed attempt left a stray row behind: the retry replaces it
    stray = m.ItemLocation.objects.first()
    m.SkuPlan.objects.create(
        run=run,
        item_location=stray,
        demand_class="x",
        abc="A",
        xyz="X",
        method="x",
        forecast_weekly=0,
        forecast_sd_weekly=0,
        lead_time_mean=0,
        lead_time_sd=0,
        lead_time_source="x",
        target_type="cycle",
        service_target=0,
        safety_stock=0,
        reorder_point=0,
        order_up_to=0,
        order_quantity=0,
        inventory_position=0,
        stockout_probability=0,
    )
    plan_chunk_compute(chunk_id=chunk.pk)
    count = m.SkuPlan.objects.filter(run=run).count()
    plan_chunk_compute(chunk_id=chunk.pk)  # delivered twice
    run.refresh_from_db()
    assert count == 900 == m.SkuPlan.objects.filter(run=run).count()
    assert run.chunks_done == 1 and m.SkuPlan.objects.get(run=run, item_location=stray).demand_class != "x"


def test_partial_refresh_swaps_only_the_touched_rows(network):
    full = plan_refresh(as_of=AS_OF)
    before = dict(m.SkuPlan.objects.filter(run=full).values_list("item_location_id", "pk"))
    location = m.Location.objects.get(code="WH2")
    touched = set(m.ItemLocation.objects.filter(location=location).values_list("pk", flat=True))
    m.ItemLocation.objects.filter(pk__in=touched).update(on_hand=0)
    partial = plan_refresh(location_code="WH2", as_of=AS_OF)
    full.refresh_from_db()
    assert partial.scope == "partial" and full.is_current and not partial.is_current
    after = dict(m.SkuPlan.objects.filter(run=full).values_list("item_location_id", "pk"))
    assert set(after) == set(before)
    assert all(after[i] != before[i] for i in touched)
    assert all(after[i] == before[i] for i in set(before) - touched)
    positions = m.SkuPlan.objects.filter(run=full, item_location_id__in=touched)
    assert positions.filter(inventory_position__gt=1e6).count() == 0


@pytest.mark.slow  # measured over 5 s
def test_partial_refresh_of_a_location_keeps_the_item_level_pooling_of_the_full_plan(network):
    # given a full plan in which some WH2 SKU-locations are supplied from their item's hub (MOQ pooling)
    full = plan_refresh(as_of=AS_OF)
    location = m.Location.objects.get(code="WH2")

    def pooled(run):
        rows = m.SkuPlan.objects.filter(run=run, item_location__location=location)
        return {p.item_location_id: p.reorder_point for p in rows if "supplied_from_hub" in p.flags}

    before = pooled(full)
    assert len(before) > 10

    # when only WH2 is re-planned, with nothing changed
    plan_refresh(location_code="WH2", as_of=AS_OF)

    # then the same SKU-locations are still supplied from their hub, with the same reorder points (a WH2-only plan
    # would have seen one location per item and bought each one its own supplier lot)
    after = pooled(full)
    assert after.keys() == before.keys()
    assert all(after[i] == pytest.approx(before[i]) for i in before)


def test_unknown_location_or_sku_is_refused(network):
    from replenish.planning.refresh import RefreshError

    with pytest.raises(RefreshError, match="Unknown location code 'NOPE'"):
        plan_refresh(location_code="NOPE", as_of=AS_OF)
    with pytest.raises(RefreshError, match="SKU-NOPE"):
        plan_refresh(skus=["SKU-NOPE"], as_of=AS_OF)
    assert not m.PlanRun.objects.exists()


def test_inputs_use_the_asn_date_over_the_promised_date(network):
    line = m.ShipmentLine.objects.select_related("po_line", "shipment").first()
    item_location = m.ItemLocation.objects.get(item=line.po_line.item, location=line.shipment.location)
    loaded = load_plan_inputs(as_of=AS_OF, item_location_ids=np.array([item_location.pk]))
    supply = loaded.inputs.open_supply
    row = supply[supply.po_line_id == line.po_line_id].iloc[0]
    assert row.arrival_day == max((line.shipment.expected_arrival - AS_OF).days, 0)
    assert row.quantity == line.po_line.quantity_ordered - line.po_line.quantity_received
    # demand: weeks before history start are NaN, after it the stored quantities (zeros where no row)
    demand = loaded.inputs.demand[0]
    stored = dict(
        m.DemandHistory.objects.filter(item_location=item_location).values_list("period_start", "quantity")
    )
    first_week = AS_OF - timedelta(weeks=104)
    for week in range(104):
        day = first_week + timedelta(weeks=week)
        if item_location.history_start and day >= item_location.history_start:
            assert demand[week] == stored.get(day, 0)


def test_recommendations_read_in_dates_and_codes(network):
    plan_refresh(as_of=AS_OF)
    reasons = list(m.Recommendation.objects.values_list("reason", flat=True))
    assert reasons and not any(re.search(r"\bday \d+\b", r) for r in reasons)
    po = m.Recommendation.objects.filter(action="purchase_order").select_related("supplier").first()
    assert po.supplier.code in po.reason and po.quantity > 0


@pytest.mark.redis
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_refresh_chunks_run_on_the_live_worker():
    scenario_load(ScenarioSpec(skus=200, locations=2, weeks=60, seed=9, as_of=AS_OF))
    run = plan_refresh(as_of=AS_OF, chunk_items=50, inline=False)
    deadline = time.monotonic() + 120
    while run.status == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        run.refresh_from_db()
    assert run.status == "complete", run.error
    assert run.chunks_done == 4 and run.is_current
    assert m.SkuPlan.objects.filter(run=run).count() == 400
    wait_until_worker_idle()  # the exceptions refresh the run queued, before the database is flushed
