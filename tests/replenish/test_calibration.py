"""Service calibration (evaluation/calibration.py): groups and factors."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from replenish.engine import PlanInputs
from replenish.evaluation import calibration as calibration_module
from replenish.evaluation.calibration import (
    FACTOR_BOUNDS,
    Calibration,
    calibrate,
    factors_for,
    supply_role,
)
from replenish.evaluation.days import gamma_quantile
from replenish.evaluation.window import EvaluationWindow


def test_supply_role_names_hubs_branches_and_the_rest():
    assert supply_role(np.array([-1, 0, 0, -1, 3])).tolist() == ["hub", "branch", "branch", "hub", "branch"]
    assert supply_role(np.array([-1, -1])).tolist() == ["own", "own"]


def test_each_series_takes_the_factor_of_its_segment_and_role():
    calibration = Calibration(
        groups={"AX|own": {"factor": 0.5}, "CZ|branch": {"factor": 0.4}, "CZ|hub": {"factor": 1.2}}, weeks=39
    )
    plan = pd.DataFrame(
        {"abc": ["A", "C", "C", "B"], "xyz": ["X", "Z", "Z", "Y"], "supply_from_series": [-1, 2, -1, -1]}
    )
    # series 2 is the hub of series 1; BY|own was not calibrated (factor 1)
    assert factors_for(calibration, plan).tolist() == [0.5, 0.4, 1.2, 1.0]


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


def test_each_pass_corrects_the_factor_by_the_shortage_it_measured(monkeypatch):
    # given 30 SKU-locations selling Poisson(70) a week with 3-day lead times (ABC puts 24 of them in AX)
    window = _window(np.random.default_rng(4).poisson(70, (30, 80)).astype(float))

    # when calibrated with one pass, then with the default two
    monkeypatch.setattr(calibration_module, "CALIBRATION_ITERATIONS", 1)
    first = calibrate(window, seed=1).groups["AX|own"]
    monkeypatch.undo()
    second = calibrate(window, seed=1).groups["AX|own"]

    # then the first pass, above its 98% target, loosens: c1 = (1 - 0.98) / (1 - achieved) > 1
    assert first["series"] == 24 and first["target"] == 0.98
    assert first["achieved"] > 0.98
    assert first["factor"] == pytest.approx(
        min(0.02 / (1 - first["achieved"]), FACTOR_BOUNDS[1]), rel=0.015
    )  # achieved is rounded to 4 places
    assert first["factor"] > 1.0
    # and the second pass, planned with c1, multiplies in its own correction: c2 = c1 x 0.02 / (1 - achieved 2)
    expected = np.clip(first["factor"] * 0.02 / (1 - second["achieved"]), *FACTOR_BOUNDS)
    assert second["factor"] == pytest.approx(expected, rel=0.015)
    # a segment of fewer than 20 SKU-locations is not calibrated
    assert all(g["factor"] == 1.0 for g in calibrate(window, seed=1).groups.values() if g["series"] < 20)
