"""Service calibration, the engine's part (engine/calibration.py): groups, factors, the update rule."""

import numpy as np
import pandas as pd
import pytest

from replenish.engine import PlanInputs, run_plan
from replenish.engine.calibration import (
    FACTOR_BOUNDS,
    calibration_groups,
    group_factors,
    planning_target,
    supply_role,
    updated_factor,
)


def test_supply_role_names_hubs_branches_and_the_rest():
    assert supply_role(np.array([-1, 0, 0, -1, 3])).tolist() == ["hub", "branch", "branch", "hub", "branch"]
    assert supply_role(np.array([-1, -1])).tolist() == ["own", "own"]


def test_groups_are_segment_and_role_and_launches_are_new():
    groups = calibration_groups(
        np.array(["A", "C", "C", "B"]), np.array(["X", "Z", "Z", "Y"]), np.array([-1, 2, -1, -1]),
        np.array([104, 104, 30, 12]),
    )  # fmt: skip
    assert groups.tolist() == ["AX|own", "CZ|branch", "CZ|hub", "new"]


def test_each_series_takes_its_groups_factor_within_the_bounds_and_one_without():
    groups = np.array(["AX|own", "CZ|branch", "CZ|hub", "BY|own", "new"], dtype=object)
    factors = group_factors(groups, {"AX|own": 0.5, "CZ|branch": 40.0, "CZ|hub": 1.2})
    assert factors.tolist() == [0.5, FACTOR_BOUNDS[1], 1.2, 1.0, 1.0]
    assert group_factors(groups, None).tolist() == [1.0] * 5


def test_planning_target_scales_the_allowed_shortage():
    # 95% with c = 0.4 -> 1 - 0.05 x 0.4 = 98%; c = 3 on 90% -> 70%; bounded to [0.5, 0.9999]
    np.testing.assert_allclose(
        planning_target(np.array([0.95, 0.9, 0.6, 0.999]), np.array([0.4, 3.0, 5.0, 0.01])),
        [0.98, 0.70, 0.5, 0.9999],
    )


def test_first_replay_corrects_in_proportion_to_the_shortfall():
    # target 95% (5% allowed), planned with c = 1, achieved 92% (8% short): c = 5 / 8
    assert updated_factor(0.95, [(1.0, 0.92)]) == pytest.approx(0.625)
    # over-served: achieved 98% -> c = 5 / 2
    assert updated_factor(0.95, [(1.0, 0.98)]) == pytest.approx(2.5)
    # far off: bounded
    assert updated_factor(0.98, [(1.0, 0.5)]) == FACTOR_BOUNDS[0]


def test_second_replay_solves_a_power_law_response_exactly():
    # given shortages that respond to c as 0.12 c^0.6 (weakly, as slow movers with large lots do)
    def achieved(c: float) -> float:
        return 1.0 - 0.12 * c**0.6

    target = 0.95
    first = updated_factor(target, [(1.0, achieved(1.0))])
    second = updated_factor(target, [(1.0, achieved(1.0)), (first, achieved(first))])

    # then the first-order step under-corrects and the secant step lands on the target
    assert achieved(first) < target - 0.005
    assert achieved(second) == pytest.approx(target, abs=1e-9)


def test_a_shortage_that_did_not_respond_keeps_the_first_order_step():
    # the second replay measured more shortage at a smaller factor (noise): slope 1, c x allowed / shortfall
    assert updated_factor(0.9, [(1.0, 0.85), (0.5, 0.84)]) == pytest.approx(0.5 * 0.1 / 0.16)


def test_the_plan_applies_the_factor_of_each_series_group():
    # given two smooth series (one A, one C by revenue) and a factor for AX|own only
    rng = np.random.default_rng(3)
    demand = rng.poisson([[50.0], [1.0]], (2, 60)).astype(np.float32)
    series = pd.DataFrame(
        {"item_id": [1, 2], "unit_cost": [10.0, 10.0], "unit_price": [15.0, 15.0], "ordering_cost": 25.0,
         "holding_rate": 0.25}
    )  # fmt: skip
    plain = run_plan(PlanInputs(series=series, demand=demand)).plan
    group = plain["calibration_group"].iloc[0]
    assert group.endswith("|own") and plain["calibration_factor"].tolist() == [1.0, 1.0]

    calibrated = run_plan(PlanInputs(series=series, demand=demand, service_calibration={group: 0.5})).plan

    target = calibrated["service_target"].iloc[0]
    assert calibrated["calibration_factor"].tolist() == [0.5, 1.0]
    assert calibrated["planning_target"].iloc[0] == pytest.approx(1 - (1 - target) * 0.5)
    assert calibrated["planning_target"].iloc[1] == pytest.approx(calibrated["service_target"].iloc[1])
    assert calibrated["reorder_point"].iloc[0] > plain["reorder_point"].iloc[0]
    assert calibrated["reorder_point"].iloc[1] == plain["reorder_point"].iloc[1]
