"""The value module (replenish/engine/value.py) and the confidence definition against hand-computed values."""

from decimal import Decimal

import numpy as np
import pytest
from scipy import stats

from replenish.engine import confidence as conf
from replenish.engine import value as v

S = v.ValueSettings(holding_rate=0.25, ordering_cost=25.0, review_days=1.0, obsolescence_share=0.5)


def test_expected_short_units_over_lead_time_plus_review():
    # weekly 70 (10 a day), sd 14 a week, lead time 14 +- 3 days, review 1: horizon 15 days
    mean, sd = v.horizon_demand(70.0, 14.0, 14.0, 3.0, S)
    assert mean == pytest.approx(150.0)
    assert sd == pytest.approx(np.sqrt(15 * 14**2 / 7 + 10**2 * 3**2))
    k = (100 - 150.0) / sd
    expected = sd * (stats.norm.pdf(k) - k * stats.norm.sf(k))
    assert v.expected_short_units(100.0, mean, sd) == pytest.approx(expected)
    assert v.expected_short_units(100.0, 140.0, 0.0) == pytest.approx(40.0)
    assert v.decision_horizon_days(14.0, S) == pytest.approx(15.0)


def test_named_order_lines_are_valued_once_at_their_margin():
    # 30 expected short units; 12 of them are named order lines (margin 7.50 each at the line's price)
    parts = v.shortage_parts(
        short_units=30.0, unit_margin=6.0, named_short_units=12.0, named_margin=12 * 7.5, named_penalties=40.0
    )
    assert parts["lost_margin"] == pytest.approx(18 * 6.0)  # the 18 anonymous units only
    assert parts["order_exposure"] == pytest.approx(90.0)
    assert parts["tier_penalties"] == pytest.approx(40.0)
    # more named units than expected short units: no anonymous units are added
    assert v.shortage_parts(short_units=5.0, unit_margin=6.0, named_short_units=9.0)["lost_margin"] == 0.0


def test_excess_holding_is_capital_x_rate_x_cover_capped_by_the_write_down():
    # 540 units x 10.00 = 5,400 capital; 7.714 weeks of cover at 70 a week
    cover = v.weeks_of_cover(540.0, 70.0)
    assert cover == pytest.approx(540 / 70)
    held = v.holding_cost(540.0, 10.0, cover, S)
    assert held["capital"] == pytest.approx(5400.0)
    assert held["holding_cost"] == pytest.approx(5400 * 0.25 * (540 / 70) / 52)
    # dead stock (no demand): infinite cover, capped at 50 % of the capital
    dead = v.holding_cost(100.0, 10.0, v.weeks_of_cover(100.0, 0.0), S)
    assert dead["holding_cost"] == pytest.approx(500.0)
    # a cancellation avoids the units' cover, a deferral only its days
    cancel, defer = v.excess_action_holding(
        ["cancel", "defer"], [200, 200], [10.0, 10.0], [cover, cover], [0, 30], S
    )
    assert cancel == pytest.approx(2000 * 0.25 * (540 / 70) / 52)
    assert defer == pytest.approx(2000 * 0.25 * (30 / 7) / 52)


def test_action_cost_spend_and_feasibility():
    cost = v.action_cost(
        ["purchase_order", "expedite", "transfer", "cancel"], [8922.0, 900.0, 1000.0, 5000.0], S
    )
    assert list(cost) == pytest.approx([25.0, 75 + 0.04 * 900, 40 + 0.03 * 1000, 0.0])
    spend = v.action_spend(["purchase_order", "expedite", "transfer"], [200, 100, 50], [44.61, 9.0, 20.0], S)
    assert list(spend["amount"]) == pytest.approx([8922.0, 900 + 75 + 36, 1000 + 40 + 30])
    assert v.arrival_feasibility(9.0, 14.0, 3.0, S) == pytest.approx(stats.norm.cdf(-5 / 3))
    assert v.arrival_feasibility(np.nan, 14.0, 3.0, S) == 1.0
    assert v.arrival_feasibility(10.0, 9.0, 0.0, S) == pytest.approx(stats.norm.cdf(1.0))  # sd at least a day


def test_parts_add_up_to_the_value_exactly_and_nothing_is_counted_twice():
    composed = v.compose(
        lost_margin=[254.434],
        order_exposure=[120.0],
        tier_penalties=[30.0],
        feasibility=[0.5],
        action_cost=[95.0],
    )
    cents = v.parts_in_cents({name: composed[name][0] for name in v.PARTS})
    # benefit 404.43 x 0.5 = 202.215 -> 202.22 (half up); minus 95 = 107.22
    assert cents["lost_margin"] == Decimal("254.43")
    assert cents["feasibility_adjustment"] == Decimal("-202.21")
    assert cents["action_cost"] == Decimal("-95.00")
    assert cents["value"] == Decimal("107.22")
    assert sum(cents[name] for name in v.PARTS) == cents["value"]
    assert v.value_from_parts({k: str(a) for k, a in cents.items()}) == Decimal("107.22")
    # an action that costs more than it is worth: floored at 0, the floor shown as a part
    composed = v.compose(lost_margin=[5.0], action_cost=[80.0])
    cents = v.parts_in_cents({name: composed[name][0] for name in v.PARTS})
    assert cents["floor"] == Decimal("75.00") and cents["value"] == Decimal("0.00")


def test_a_platinum_stockout_outranks_cancelling_excess_with_less_holding_cost():
    # A platinum order of 40 units (price 25.00, cost 15.00) goes short when the SKU runs out (P = 0.9): its margin
    # 40 x 10 x 0.9 = 360 plus the tier penalty (150 + 10 % of 1,000) x 0.9 = 225. An 8-unit anonymous shortfall at
    # 10.00 margin adds 80. Expedite freight 75 + 4 % of 2,000, feasibility 0.95.
    shortage = v.shortage_parts(
        short_units=44.0, unit_margin=10.0, named_short_units=36.0, named_margin=360.0, named_penalties=225.0
    )
    stockout = v.compose(
        lost_margin=shortage["lost_margin"],
        order_exposure=shortage["order_exposure"],
        tier_penalties=shortage["tier_penalties"],
        feasibility=0.95,
        action_cost=75 + 0.04 * 2000,
    )
    # Cancelling 100 units of a 300-unit PO line worth 40.00 each: 26,600 of capital tied up ...
    cover = v.weeks_of_cover(665.0, 30.0)  # 22.2 weeks to sell the excess
    cancel = v.compose(holding_cost=v.excess_action_holding(["cancel"], [100.0], [40.0], [cover], [0.0], S))
    # ... whose holding over its cover is 4,000 x 25 % x 22.17 / 52 = 426.28, capped at 2,000: below the stockout
    assert cancel["value"][0] == pytest.approx(round(4000 * 0.25 * (665 / 30) / 52, 2))
    assert stockout["value"][0] == pytest.approx(round((80 + 360 + 225) * 0.95 - 155, 2))
    assert stockout["value"][0] > cancel["value"][0]
    # the capital itself (26,600) would have ranked it first: it is a fact, never the value
    assert stockout["value"][0] < 665 * 40.0


def test_confidence_has_one_definition_with_lead_time_sample_size():
    data = conf.data_confidence(
        mase=[0.4, 1.5, np.nan, 0.5],
        flags=[[], ["flag_zero_cost", "capacity_limited"], [], []],
        lead_time_source=["supplier_item", "contracted", "default", "supplier_item"],
        lead_time_unstable=[False, True, False, False],
        lead_time_samples=[np.nan, 40, np.nan, 5],
    )
    # series 1: perfect data; series 4: 5 receipts halve the lead-time quality
    assert data["data"][0] == pytest.approx(1.0)
    assert data["lead_time"][3] == pytest.approx(0.5)
    # series 2: forecast exp(-0.5) x one real flag 0.85 x contracted 0.75 (no sample) x unstable 0.8
    assert data["data"][1] == pytest.approx(np.exp(-0.5) * 0.85 * 0.75 * 0.8)
    total = conf.confidence(data["data"], [0.5, 0.5, 0.9, 0.5])
    assert total[0] == pytest.approx(0.85)
    assert total[2] == pytest.approx(round(0.7 * 0.25 + 0.3 * 0.9, 3))
    assert conf.fault_flags(["flag_zero_cost", "pooled_hub"]) == ["zero_cost"]


def test_the_freight_of_one_action_is_the_vectorized_freight():
    actions = ["expedite", "transfer", "purchase_order", "cancel"]
    goods = [900.0, 1000.0, 8922.0, 50.0]
    assert [v.freight_one(a, g, S) for a, g in zip(actions, goods)] == pytest.approx(
        list(v.action_freight(actions, goods, S))
    )
