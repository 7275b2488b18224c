"""Value at stake and confidence, checked against independent computations (scipy integration, hand arithmetic)."""

from decimal import Decimal

import numpy as np
import pytest
from scipy import integrate, stats

from exceptions import scoring


@pytest.mark.parametrize("k", [-2.0, -0.5, 0.0, 0.7, 2.5])
def test_normal_loss_is_the_expected_excess_of_a_standard_normal(k):
    expected, _ = integrate.quad(lambda z: (z - k) * stats.norm.pdf(z), k, np.inf)
    assert scoring.normal_loss(k) == pytest.approx(expected, abs=1e-9)


def test_expected_shortage_matches_numerical_integration_and_the_degenerate_case():
    mean, sd, position = 140.0, 35.94, 100.0
    expected, _ = integrate.quad(lambda x: (x - position) * stats.norm.pdf(x, mean, sd), position, np.inf)
    assert scoring.expected_shortage(position, mean, sd) == pytest.approx(expected, rel=1e-7)
    # sd = 0: the shortage is certain and exact
    assert scoring.expected_shortage(100.0, 140.0, 0.0) == pytest.approx(40.0)
    assert scoring.expected_shortage(150.0, 140.0, 0.0) == pytest.approx(0.0)


def test_lead_time_demand_follows_the_textbook_formula():
    # 70 a week = 10 a day; weekly sd 14 -> daily variance 14^2 / 7 = 28; L = 14 days, sd_L = 3 days
    mean, sd = scoring.lead_time_demand(70.0, 14.0, 14.0, 3.0)
    assert mean == pytest.approx(140.0)
    assert sd == pytest.approx(np.sqrt(14 * 28 + 10**2 * 3**2))


def test_feasibility_is_the_probability_of_arriving_before_the_stockout():
    # arrival ~ N(14, 3), stockout on day 9: P(arrival <= 9) = Phi(-5/3)
    assert scoring.arrival_feasibility(9.0, 14.0, 3.0) == pytest.approx(stats.norm.cdf(-5 / 3))
    # nothing runs out: feasibility 1
    assert scoring.arrival_feasibility(np.nan, 14.0, 3.0) == 1.0
    # the sd never drops below a day
    assert scoring.arrival_feasibility(10.0, 9.0, 0.0) == pytest.approx(stats.norm.cdf(1.0))


def test_value_parts_add_up_and_a_costly_action_is_worth_nothing_but_capital():
    value, parts = scoring.value_parts(
        expected_short_units=42.405,
        unit_margin=6.0,
        revenue_at_risk=120.0,
        tier_penalties=30.0,
        action_cost=95.0,
        feasibility=0.5,
    )
    # (254.43 + 120 + 30 - 95) * 0.5 = 154.715 -> 154.72 (half up)
    assert parts["lost_margin"] == "254.43"
    assert value == Decimal("154.72")
    assert scoring.value_from_parts(parts) == value
    value, parts = scoring.value_parts(
        expected_short_units=1,
        unit_margin=5,
        revenue_at_risk=0,
        tier_penalties=0,
        action_cost=80,
        feasibility=1,
        working_capital=33.333,
    )
    assert parts["net"] == "-75.00"
    assert value == Decimal("33.33")


def test_confidence_blends_data_quality_with_the_acceptance_probability():
    total, parts = scoring.confidence(
        mase=[0.4, 1.5, np.nan],
        flags=[[], ["flag_zero_cost", "capacity_limited"], []],
        lead_time_source=["supplier_item", "contracted", "default"],
        lead_time_unstable=[False, True, False],
        acceptance=[0.5, 0.5, 0.9],
    )
    # series 1: perfect data -> 0.7 * 1 + 0.3 * 0.5
    assert total[0] == pytest.approx(0.85)
    # series 2: forecast exp(-0.5) x one real flag 0.85 x contracted 0.75 x unstable 0.8
    assert parts["forecast"][1] == pytest.approx(np.exp(-0.5))
    assert total[1] == pytest.approx(round(0.7 * np.exp(-0.5) * 0.85 * 0.75 * 0.8 + 0.15, 3))
    # series 3: never backtested (0.5) and a default lead time (0.5)
    assert total[2] == pytest.approx(round(0.7 * 0.25 + 0.3 * 0.9, 3))
