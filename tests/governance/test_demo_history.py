"""The demo's simulated past: plan runs of past Mondays, the buyers' decisions, KPI trends, the acceptance model,
and the drift check finding the suppliers the generator made drift."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from exceptions.models import Decision, PlanningException
from governance.acceptance import acceptance_predict, current_bundle
from governance.demo_history import demo_history_backfill
from governance.drift import drift_report_run
from governance.kpis import KPI_DEFINITIONS, kpi_series
from governance.models import AcceptanceModel, DriftFinding
from replenish import models as m
from replenish.planning.refresh import plan_refresh
from replenish.scenario.generate import ScenarioGenerator, ScenarioSpec, rng_for
from replenish.scenario.load import scenario_load

AS_OF = date(2026, 11, 23)  # a Monday


@pytest.fixture
def history(db):
    scenario_load(ScenarioSpec(skus=400, locations=3, weeks=104, seed=7, as_of=AS_OF))
    plan_refresh(as_of=AS_OF)
    return demo_history_backfill(weeks=8, today=AS_OF)


def test_past_mondays_get_plan_runs_and_the_buyers_decide_in_their_week(history):
    runs = list(m.PlanRun.objects.filter(filters__history=True).order_by("finished_at"))
    assert history.runs == len(runs) == 9  # the 8 weeks of KPI history and the week before
    mondays = [AS_OF - timedelta(weeks=k) for k in range(9, 0, -1)]
    assert [r.filters["as_of"] for r in runs] == [d.isoformat() for d in mondays]
    assert all(r.status == "complete" and not r.is_current for r in runs)
    assert [r.finished_at.date() for r in runs] == mondays
    assert m.PlanRun.objects.filter(is_current=True).count() == 1
    # the plan of a past Monday forecast from the demand known then: its backtest window ends that Monday
    assert all(m.SkuPlan.objects.filter(run=r).count() == m.ItemLocation.objects.count() for r in runs)
    # a second call finds the weeks there and does nothing
    assert demo_history_backfill(weeks=8, today=AS_OF).runs == 0
    # the buyers' decisions are dated in their week and leave no live exception behind
    decisions = Decision.objects.select_related("exception__run").all()
    assert sum(history.decisions.values()) == decisions.count() > 100
    for decision in decisions:
        opened = decision.exception.run.finished_at
        assert opened <= decision.created_at < opened + timedelta(days=7)
        assert decision.exception.created_at == opened
    assert set(history.decisions) == {"approve", "override", "reject"}
    assert not PlanningException.objects.filter(outcome__demo_history=True).exclude(status="closed").exists()
    # overrides carry a reason and the new quantity; the before/after read as the decision services write them
    override = Decision.objects.filter(action="override").first()
    assert (
        override.reason_code
        and override.after["proposal"]["quantity"] != override.before["proposal"]["quantity"]
    )


def test_every_kpi_tile_has_8_weeks_of_history_and_the_acceptance_model_is_trained(history):
    series = kpi_series(since=AS_OF - timedelta(weeks=9))
    for key in KPI_DEFINITIONS:
        points = [(day, value) for day, value in series[key][""] if value is not None]
        assert len(points) >= 9, key
        assert (points[-1][0] - points[0][0]).days >= 56, key
    # the decision KPIs move with the simulated decisions, not only today's
    acceptance = [v for _, v in series["acceptance_rate"][""]]
    assert len(set(np.round(acceptance, 3))) > 1
    # the acceptance model is trained on the decisions and learns the simulated planners' habits back
    model = AcceptanceModel.objects.get(active=True)
    assert history.acceptance_model == model.version and model.n_samples == sum(history.decisions.values())
    assert model.validation_auc > 0.6
    bundle = current_bundle()
    row = {
        "action": "purchase_order",
        "value": 500.0,
        "confidence": 0.7,
        "abc": "B",
        "xyz": "Y",
        "category": "",
    }
    buyers = ["buyer1", "buyer2", "buyer3"]  # leaning to trust, neutral, checking more
    p = acceptance_predict(bundle, pd.DataFrame([row | {"buyer": b} for b in buyers]))
    assert p[0] > p[1] > p[2]
    low, high = acceptance_predict(bundle, pd.DataFrame([row | {"confidence": c} for c in (0.3, 0.9)]))
    assert high > low


def test_the_generator_always_makes_a_supplier_drift_and_keeps_networks_that_had_one():
    small = ScenarioGenerator(ScenarioSpec(skus=2000, locations=5, seed=7, as_of=AS_OF))
    assert (
        small.truth.supplier_drift > 1
    ).sum() == 1  # the demo's 6 suppliers drew none: one is made to drift
    # a network whose draws already had drifting suppliers is generated as before (the same draws, in order)
    spec = ScenarioSpec(skus=30_000, locations=5, seed=3, as_of=AS_OF)
    rng = rng_for(spec.seed, "truth")
    n = spec.n_suppliers
    rng.uniform(5, 40, n), rng.uniform(0.1, 0.35, n)
    unstable = rng.random(n) < 0.2
    assert unstable.any()
    assert np.array_equal(ScenarioGenerator(spec).truth.supplier_drift > 1, unstable)


@pytest.mark.slow
def test_drift_check_flags_the_suppliers_the_demo_made_drift(db):
    # given the demo network (2,000 SKUs x 5 locations, seed 7)
    spec = ScenarioSpec(skus=2000, locations=5, weeks=104, seed=7, as_of=AS_OF)
    scenario_load(spec)
    drifting = set((np.flatnonzero(ScenarioGenerator(spec).truth.supplier_drift > 1) + 1).tolist())
    # when the drift check runs
    drift_report_run()
    # then it flags lead-time shifts of the drifting suppliers, and of no other
    flagged = set(
        DriftFinding.objects.filter(kind="lead_time_shift").values_list("supplier__code", flat=True)
    )
    codes = set(m.Supplier.objects.filter(pk__in=drifting).values_list("code", flat=True))
    assert flagged and flagged <= codes
