"""Service calibration of the nightly plan (replenish/planning/calibration.py): learned from a replay of the plan's
own history, stored with the run, applied by the next run, watched by drift."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from governance.drift import drift_report_run
from governance.models import DriftFinding
from integrations.files.importers import file_import
from replenish import models as m
from replenish.core.models import AuditEvent
from replenish.engine.calibration import FACTOR_BOUNDS
from replenish.planning import calibration as calibration_module
from replenish.planning.calibration import (
    CalibrationError,
    calibration_drift_check,
    calibration_latest,
    service_calibration_learn,
)
from replenish.planning.refresh import plan_refresh
from replenish.scenario.generate import ScenarioSpec
from replenish.scenario.load import scenario_load

AS_OF = date(2026, 11, 23)
MONTHLY_AS_OF = date(2026, 12, 7)


@pytest.fixture
def surging_network(db, monkeypatch):
    # a generated network whose demand doubled over the last 8 weeks: the plan replayed from 26 weeks ago, re-planned
    # on the demand seen so far (every 4 weeks here, to keep the test short; weekly in production), runs behind the
    # surge and under-serves
    monkeypatch.setattr(calibration_module, "CALIBRATION_REPLAN_WEEKS", 4)
    scenario_load(ScenarioSpec(skus=150, locations=3, weeks=104, seed=5, as_of=AS_OF))
    m.DemandHistory.objects.filter(period_start__gte=AS_OF - timedelta(weeks=8)).update(
        quantity=F("quantity") * 2
    )


def test_an_under_served_group_gets_a_higher_planning_target_in_the_next_run(surging_network):
    # given a first plan run, planned without calibration
    first = plan_refresh(as_of=AS_OF)
    assert first.calibration_applied == {}
    assert not m.SkuPlan.objects.filter(run=first).exclude(calibration_factor=1.0).exists()

    # when the nightly calibration replays its history (two passes the first time) and the next plan runs
    service_calibration_learn(run=first)
    first.refresh_from_db()
    learned = first.calibration_learned
    second = plan_refresh(as_of=AS_OF)

    # then the groups that under-served in the replay (achieved below target) got a factor below 1 ...
    groups = learned["groups"]
    short = [
        g for g, row in groups.items() if row["calibrated"] and row["passes"][-1][1] < row["target"] - 0.005
    ]
    assert short, groups
    for group in short:
        assert learned["factors"][group] < 1.0
    # ... the next run applies the learned factors, and plans those groups for a higher target than the business one
    assert second.calibration_applied["learned_by_run"] == first.pk
    assert second.calibration_applied["factors"] == learned["factors"]
    rows = m.SkuPlan.objects.filter(run=second, calibration_group__in=short)
    assert rows.exists()
    for row in rows:
        factor = learned["factors"][row.calibration_group]
        assert row.calibration_factor == pytest.approx(factor, rel=1e-6)
        assert row.planning_target == pytest.approx(1 - (1 - row.service_target) * factor, abs=1e-6)
        assert row.planning_target > row.service_target
    # with the same inputs, a higher planning target never lowers a reorder point
    before = dict(m.SkuPlan.objects.filter(run=first).values_list("item_location_id", "reorder_point"))
    raised = [row.reorder_point - before[row.item_location_id] for row in rows]
    assert min(raised) >= -1e-6 and max(raised) > 0
    # uncalibrated groups (launches, small groups) plan for the business target
    for row in m.SkuPlan.objects.filter(run=second, calibration_group="new")[:20]:
        assert row.calibration_factor == 1.0 and row.planning_target == pytest.approx(row.service_target)
    # the learning is audited with its factors
    event = AuditEvent.objects.get(action="service_calibration", subject_id=str(first.pk))
    assert event.payload["factors"] == learned["factors"]

    # and the next night's calibration starts from the factors the plan applied (one pass)
    service_calibration_learn(run=second)
    second.refresh_from_db()
    assert second.calibration_learned["started_from"] == first.pk
    for group, row in second.calibration_learned["groups"].items():
        if row["calibrated"] and group in learned["factors"]:
            assert row["passes"][0][0] == pytest.approx(learned["factors"][group], rel=1e-3)
            assert len(row["passes"]) == 1
    assert calibration_latest()["learned_by_run"] == second.pk


def test_nothing_to_calibrate_is_a_clear_error(db):
    with pytest.raises(CalibrationError, match="No complete plan run"):
        service_calibration_learn()


def test_the_command_prints_the_factors_per_group(surging_network, capsys):
    plan_refresh(as_of=AS_OF)
    call_command("calibrate_service", "--passes", "1", "--max-items", "50")
    out = capsys.readouterr().out
    learned = m.PlanRun.objects.get(is_current=True).calibration_learned
    assert learned["items"] == 50 and learned["series"] == 150  # every third item, at its 3 locations
    assert "150 SKU-locations replayed over 26 weeks" in out
    for group, row in learned["groups"].items():
        assert f"{group:<14}  {row['series']:>6,}" in out


def _calibrated_run(factors: dict, days_ago: int) -> m.PlanRun:
    run = m.PlanRun.objects.create(status="complete", filters={"as_of": AS_OF.isoformat()})
    m.PlanRun.objects.filter(pk=run.pk).update(
        calibration_learned={
            "factors": factors,
            "groups": {g: {"target": 0.95, "achieved": 0.9, "factor": c} for g, c in factors.items()},
        },
        started_at=timezone.now() - timedelta(days=days_ago),
    )
    return run


@pytest.mark.django_db
def test_drift_flags_a_factor_at_a_bound_or_one_that_halved():
    # given three earlier calibrations and the latest
    for days in (3, 2, 1):
        _calibrated_run({"AX|own": 0.8, "CZ|hub": 1.1, "BY|own": 0.9}, days)
    _calibrated_run({"AX|own": 0.3, "CZ|hub": 1.2, "BY|own": FACTOR_BOUNDS[0]}, 0)

    results = {r["category"]: r for r in calibration_drift_check()}

    assert results["AX|own"]["flagged"] and "moved from 0.80 to 0.30" in results["AX|own"]["message"]
    assert not results["CZ|hub"]["flagged"]
    assert results["BY|own"]["flagged"] and "bound" in results["BY|own"]["message"]
    # governance drift opens a finding for each flagged group
    drift_report_run()
    assert set(
        DriftFinding.objects.filter(kind="service_calibration").values_list("category", flat=True)
    ) == {"AX|own", "BY|own"}


@pytest.fixture
def surging_monthly_parts(db, monkeypatch):
    # 80 parts imported as wide-monthly history (48 months to Nov 2026) whose demand jumped 2.5-fold over the last
    # 6 months: the plan replayed from 12 months ago, re-planned monthly on the months seen so far, runs behind
    rng = np.random.default_rng(17)
    months = pd.period_range("2022-12", "2026-11", freq="M")
    rates = rng.uniform(2.0, 12.0, size=80)
    lines = ["month," + ",".join(f"P{k:03d}" for k in range(80))]
    for index, month in enumerate(months):
        surge = 2.5 if index >= len(months) - 6 else 1.0
        lines.append(f"{month}," + ",".join(str(v) for v in rng.poisson(rates * surge)))
    message = file_import(
        kind="demand",
        data="\n".join(lines).encode(),
        filename="parts-monthly.csv",
        options={"format": "wide-monthly", "location": "CP1", "create_missing": True},
    )
    assert message.status == "applied", message.errors[:3]


def test_monthly_history_is_replayed_in_months_and_an_under_served_group_gets_a_higher_target(
    surging_monthly_parts,
):
    # given a first plan run on the monthly parts
    first = plan_refresh(as_of=MONTHLY_AS_OF)

    # when the nightly calibration replays their history and the next plan runs
    service_calibration_learn(run=first)
    first.refresh_from_db()
    learned = first.calibration_learned
    second = plan_refresh(as_of=MONTHLY_AS_OF)

    # then the replay ran in months (12 of them, the window's today the first of the month) ...
    assert learned["period"] == "month" and learned["periods"] == 12
    assert learned["by_period"] == {"month": {"periods": 12, "series": 80}}
    # ... measured in the groups the nightly plan applies factors to ...
    run_groups = set(m.SkuPlan.objects.filter(run=first).values_list("calibration_group", flat=True))
    assert set(learned["groups"]) <= run_groups
    # ... found the surging groups short, and the next run plans them for a higher target than the business one
    short = [
        g
        for g, row in learned["groups"].items()
        if row["calibrated"] and row["passes"][-1][1] < row["target"] - 0.005
    ]
    assert short, learned["groups"]
    rows = m.SkuPlan.objects.filter(run=second, calibration_group__in=short)
    assert rows.exists()
    for row in rows:
        factor = learned["factors"][row.calibration_group]
        assert factor < 1.0
        assert row.calibration_factor == pytest.approx(factor, rel=1e-6)
        assert row.planning_target == pytest.approx(1 - (1 - row.service_target) * factor, abs=1e-6)
        assert row.planning_target > row.service_target
