"""Service calibration (evaluation/calibration.py): groups and factors."""

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from replenish.engine import PlanInputs
from replenish.engine.calibration import FACTOR_BOUNDS, updated_factor
from replenish.evaluation import calibration as calibration_module
from replenish.evaluation import planning
from replenish.evaluation.calibration import calibrate
from replenish.evaluation.days import gamma_quantile
from replenish.evaluation.window import EvaluationWindow


def _window(history: np.ndarray) -> EvaluationWindow:
    n, weeks = history.shape
    series = pd.DataFrame(
        {
            "item_id": np.arange(1, n + 1), "location_id": 1, "supplier_id": 1, "unit_cost": 10.0,
            "unit_price": 15.0, "pack_size": 1.0, "moq": 0.0, "ordering_cost": 25.0, "holding_rate": 0.25,
            "contracted_lead_time_days": 3.0, "capacity": np.nan,
        }
    )  # fmt: skip
    receipts = pd.DataFrame(
        {"supplier_id": [1] * 5, "item_id": [1] * 5, "lead_time_days": [3.0] * 5,
         "received_date": pd.to_datetime(["2025-01-06"] * 5)}
    )  # fmt: skip
    return EvaluationWindow(
        mode="generated", period="week", plan_as_of=date(2026, 1, 5),
        inputs=PlanInputs(series=series, demand=history.astype(np.float32), receipts=receipts),
        item_location_ids=np.arange(1, n + 1), future=np.zeros((n, 1), np.float32),
        future_promo=np.zeros((n, 1), bool), period_days=np.array([7]), warmup_periods=0,
        lead_time_quantile=gamma_quantile(np.full(n, 3.0), np.zeros(n)), capacity=np.full(n, np.nan),
        static_min=np.zeros(n), static_max=np.zeros(n),
    )  # fmt: skip


@pytest.mark.slow  # measured over 5 s
def test_each_pass_corrects_the_factor_by_the_shortage_it_measured(monkeypatch):
    # given 30 SKU-locations selling Poisson(70) a week with 3-day lead times (ABC puts 24 of them in AX)
    window = _window(np.random.default_rng(4).poisson(70, (30, 80)).astype(float))

    # when calibrated with one pass, then with the default two
    first = calibrate(window, seed=1, passes=1).groups["AX|own"]
    second = calibrate(window, seed=1).groups["AX|own"]

    # then the first pass, above its target, loosens: c1 = (1 - target) / (1 - achieved) > 1. The group is the
    # 24 SKU-locations the current plan puts in AX; the replay's plan, a year earlier, put some of them in AY (97%):
    # the target is their demand-weighted mix
    assert first["series"] == 24 and 0.97 <= first["target"] <= 0.98
    assert first["achieved"] > first["target"]
    assert first["factor"] == pytest.approx(
        min((1 - first["target"]) / (1 - first["achieved"]), FACTOR_BOUNDS[1]), rel=0.015
    )  # achieved and target are rounded to 4 places
    assert first["achieved_se"] > 0
    assert first["factor"] > 1.0
    # and the second pass replays with c1 and moves on from both measurements (the engine's update rule)
    assert second["passes"][0] == [1.0, first["achieved"]]
    assert second["passes"][1][0] == pytest.approx(first["factor"], rel=1e-3)
    expected = updated_factor(second["target"], [tuple(p) for p in second["passes"]])
    assert second["factor"] == pytest.approx(expected, rel=1e-3)
    # a segment of fewer than 20 SKU-locations is not calibrated
    assert all(g["factor"] == 1.0 for g in calibrate(window, seed=1).groups.values() if g["series"] < 20)


def test_the_achieved_fill_has_the_ratio_estimators_standard_error_over_the_groups_series():
    # given three SKU-locations of one group: demand 10, 20, 30, filled 10, 15, 27 (short 0, 5, 3 of 60)
    frame = pd.DataFrame(
        {"group": "CY|own", "series": [0, 1, 2], "target": 0.9, "fill_target": True,
         "demand": [10.0, 20.0, 30.0], "filled": [10.0, 15.0, 27.0], "sold": True}
    )  # fmt: skip

    measured = calibration_module._measured(frame)["CY|own"]

    # then: s = 8 / 60; residuals short - s x demand = -4/3, 7/3, -1; se = sqrt(3/2 x 74/9) / 60
    assert measured["achieved"] == pytest.approx(52 / 60, abs=1e-4)
    assert measured["achieved_se"] == pytest.approx(np.sqrt(1.5 * 74 / 9) / 60, abs=1e-4)


def test_a_group_that_under_served_in_the_replay_plans_for_a_higher_target():
    # given demand that steps up from 40 to 70 a week halfway through the replayed weeks (the plan, re-planned
    # every 4 weeks, runs behind it)
    rate = np.where(np.arange(80) < 67, 40.0, 70.0)
    window = _window(np.random.default_rng(7).poisson(rate, (30, 80)).astype(float))

    calibration = calibrate(window, seed=2, passes=1)

    short = {
        name: g for name, g in calibration.groups.items() if g["calibrated"] and g["achieved"] < g["target"]
    }
    assert short, calibration.groups
    for group in short.values():
        assert group["factor"] < 1.0  # a smaller allowed shortage: a higher planning target


def test_monthly_history_is_calibrated_on_its_own_months():
    # given 48 months of Poisson(20) demand a month
    window = _window(np.random.default_rng(5).poisson(20, (30, 48)).astype(float))
    window = replace(window, period="month", plan_as_of=date(2026, 1, 1))

    calibration = calibrate(window, seed=1)

    assert calibration.period == "month" and calibration.periods == 12 and calibration.warmup_periods == 3
    assert any(g["calibrated"] for g in calibration.groups.values())
    # too little history to replay 12 months after 12 of training: no calibration
    short = replace(window, inputs=replace(window.inputs, demand=window.inputs.demand[:, :20]))
    assert calibrate(short, seed=1) is None


def test_the_replans_keep_the_factor_of_the_group_each_series_started_in(monkeypatch):
    # given 30 SKU-locations and 8 simulated weeks in which the first ten sell six times as much (their class moves)
    rng = np.random.default_rng(3)
    window = _window(rng.poisson(np.linspace(5, 80, 30)[:, None], (30, 80)).astype(float))
    future = rng.poisson(np.linspace(5, 80, 30)[:, None], (30, 8)).astype(np.float32)
    future[:10] *= 6
    window = replace(window, future=future, future_promo=np.zeros((30, 8), bool), period_days=np.full(8, 7))
    seen = []

    def recording(inputs):
        result = real_run_plan(inputs)
        seen.append((inputs.target_calibration, result.plan["calibration_group"].astype(str).to_numpy()))
        return result

    real_run_plan = planning.run_plan
    monkeypatch.setattr(planning, "run_plan", recording)
    factors = {"AX|own": 0.5, "BX|own": 2.0, "CX|own": 3.0, "AY|own": 0.7}

    # when the schedule plans every 2 weeks with these factors
    planning.plan_schedule(window, replan_periods=2, service_calibration=factors)

    # then the first plan maps factors by its groups, and every re-plan keeps those per series
    assert len(seen) == 4 and seen[0][0] is None
    first_groups = seen[0][1]
    expected = np.array([factors.get(g, 1.0) for g in first_groups])
    assert len(set(expected)) > 1
    for given, _groups in seen[1:]:
        np.testing.assert_allclose(given, expected)


@pytest.mark.slow  # measured over 5 s
def test_several_replay_windows_are_pooled(monkeypatch):
    # given 30 SKU-locations selling Poisson(70) a week, 104 weeks of history
    window = _window(np.random.default_rng(4).poisson(70, (30, 104)).astype(float))
    monkeypatch.setattr(calibration_module, "REPLAY_OFFSETS", {"week": (13,), "month": (0,)})
    earlier = calibrate(window, seed=1, passes=1).groups["AX|own"]
    monkeypatch.setattr(calibration_module, "REPLAY_OFFSETS", {"week": (0,), "month": (0,)})
    latest = calibrate(window, seed=1, passes=1).groups["AX|own"]

    # when the replay pools the window of the last 26 weeks and the one ending 13 weeks earlier
    monkeypatch.setattr(calibration_module, "REPLAY_OFFSETS", {"week": (0, 13), "month": (0,)})
    pooled = calibrate(window, seed=1, passes=1)

    # then its achieved fill lies between the two windows' (units filled over units demanded, both windows)
    group = pooled.groups["AX|own"]
    assert pooled.windows == 2 and group["series"] == latest["series"] == 24
    low, high = sorted([earlier["achieved"], latest["achieved"]])
    assert low - 1e-4 <= group["achieved"] <= high + 1e-4 and low < high
