"""Known-answer tests for the inventory policy simulator (replenish/engine/simulate).

Expected numbers are worked out by hand in the comments (deterministic cases) or computed independently with
scipy.stats (base-stock fill rate), never pasted back from the simulator's own output.
Timing convention under test: an order placed at the end of day t with lead time L is usable from day t + L + 1.
"""

import numpy as np
import pytest
from scipy import stats

from replenish.engine.simulate import (
    InventoryPolicy,
    Scenario,
    SimulationOptions,
    compare_policies,
    simulate,
    static_min_max,
)
from tests.engine.simulate_factories import constant_scenario

# ----------------------------------------------------------------------------------------------------------------
# Deterministic demand and lead time


def test_deterministic_no_stockout_when_reorder_point_covers_lead_time_demand():
    # given d = 10/day, L = 3 days, s = 40 >= d * L = 30, S = 100, start with 70 on hand.
    # End-of-day on hand: 60, 50, 40 (order S - 40 = 60 at end of day 2, usable day 2 + 3 + 1 = 6), 30, 20, 10,
    # day 6: 10 + 60 - 10 = 60, ... a 6-day sawtooth 60, 50, 40, 30, 20, 10 with one order per cycle.
    cycles = 10
    scenario = constant_scenario(
        daily_demand=10, lead_time=3, n_days=6 * cycles, initial_on_hand=70, unit_cost=2.0
    )

    # when
    result = simulate(scenario, InventoryPolicy(reorder_point=40, order_up_to=100))

    # then
    row = result.per_series.iloc[0]
    assert row["unit_fill_rate"] == 1.0
    assert row["line_fill_rate"] == 1.0
    assert row["stockout_days"] == 0
    assert row["avg_on_hand_units"] == pytest.approx((60 + 50 + 40 + 30 + 20 + 10) / 6)  # 35
    assert row["avg_on_hand_value"] == pytest.approx(35 * 2.0)
    assert row["orders"] == cycles  # orders on days 2, 8, 14, ...
    assert row["order_units"] == 60 * cycles
    # turns = annualised COGS / average inventory value = (600 units * 2 * 365 / 60 days) / 70
    assert row["turns"] == pytest.approx(10 * 6 * cycles * 2.0 * 365 / (6 * cycles) / 70)
    assert row["exception_days"] == 0


def test_deterministic_shortfall_when_reorder_point_below_lead_time_demand_backorders():
    # given d = 10, L = 5, s = 30 < d * L = 50, S = 100, 100 on hand.
    # Days 0-6 filled (on hand 30 at end of day 6 -> order 70, usable day 12); days 7-9 filled, 10-11 short (20
    # backordered). Day 12: 70 arrive, 20 go to backorders, 50 left, end 40; end of day 13 position 30 -> order
    # (usable 19); days 14-16 filled, 17-18 short. From day 12 on: 7-day cycles with 5 filled and 2 short days.
    cycles = 6
    n_days = 12 + 7 * cycles
    scenario = constant_scenario(daily_demand=10, lead_time=5, n_days=n_days, initial_on_hand=100)

    # when
    result = simulate(scenario, InventoryPolicy(reorder_point=30, order_up_to=100))

    # then
    row = result.per_series.iloc[0]
    short_days = 2 + 2 * cycles
    assert row["stockout_days"] == short_days
    assert row["unit_fill_rate"] == pytest.approx((n_days - short_days) / n_days)
    assert row["backorder_units"] == 10 * short_days
    assert row["lost_units"] == 0
    assert (
        row["orders"] == 1 + cycles
    )  # days 6, 13, 20, ..., 48 (the one on day 55 would be after the horizon)
    # every short day is also a short line (one line per day)
    assert row["line_fill_rate"] == pytest.approx(row["unit_fill_rate"])
    # shipped = everything demanded minus the backorder still open at the end (the last cycle ends with
    # its 2 short days filled on the first day of the next cycle, which lies after the horizon)
    assert row["ending_backorder_units"] == 20
    assert row["shipped_units"] == 10 * n_days - 20
    # exceptions: projected net stock after L days (on hand + due within 5 days - 50) < 0 on the day before the
    # order (net 40) and on the order day (net 30, order usable after day t + 5): 2 per cycle, first on days 5, 6.
    assert row["exception_days"] == 2 + 2 * cycles


def test_lost_sales_mode_differs_from_backorders_as_worked_by_hand():
    # given the case above under lost sales: the 20 short units vanish, so day 12 starts with 70 on hand.
    # End of days 12-15: 60, 50, 40, 30 -> order at 15 (usable 21); 16-18 filled, 19-20 lost: 9-day cycles
    # from day 12 with 7 filled and 2 lost days.
    cycles = 5
    n_days = 12 + 9 * cycles
    scenario = constant_scenario(daily_demand=10, lead_time=5, n_days=n_days, initial_on_hand=100)
    policy = InventoryPolicy(reorder_point=30, order_up_to=100)

    # when
    lost = simulate(scenario, policy, SimulationOptions(lost_sales=True)).per_series.iloc[0]
    backordered = simulate(scenario, policy).per_series.iloc[0]

    # then
    short_days = 2 + 2 * cycles
    assert lost["lost_units"] == 10 * short_days
    assert lost["backorder_units"] == 0
    assert lost["ending_backorder_units"] == 0
    assert lost["unit_fill_rate"] == pytest.approx((n_days - short_days) / n_days)
    assert lost["shipped_units"] == lost["filled_on_time_units"]
    assert lost["orders"] == 1 + cycles
    # backorders eat part of every receipt, so the same policy fills less on time and orders more often
    assert backordered["unit_fill_rate"] < lost["unit_fill_rate"]
    assert backordered["orders"] > lost["orders"]
    assert backordered["shipped_units"] > lost["shipped_units"]


# ----------------------------------------------------------------------------------------------------------------
# Base stock under Poisson demand against the analytical fill rate


def poisson_loss(mean, level):
    """E[(X - level)^+] for X ~ Poisson(mean) = mean - level + E[(level - X)^+]."""
    x = np.arange(level + 1)
    return mean - level + np.sum((level - x) * stats.poisson.pmf(x, mean))


def test_base_stock_fill_rate_matches_the_analytical_backorder_model():
    # given daily Poisson(4) demand, fixed lead time L = 3, daily review, base stock S = 18 (s = S - 1).
    # With the order of day t usable from day t + L + 1, net stock after day tau's demand is S - D(L + 1 days).
    # Today's demand not filled on time: (D_{L+1} - S)^+ - (D_L - S)^+ (what the previous L days already left short),
    # so beta = 1 - (E[(D_{L+1} - S)^+] - E[(D_L - S)^+]) / E[d]   (Hadley-Whitin / Axsaeter, base stock).
    rate, lead, level = 4.0, 3, 18
    expected_fill = 1 - (poisson_loss(rate * (lead + 1), level) - poisson_loss(rate * lead, level)) / rate
    x = np.arange(level + 1)
    expected_on_hand = np.sum((level - x) * stats.poisson.pmf(x, rate * (lead + 1)))  # E[(S - D_{L+1})^+]
    rng = np.random.default_rng(20240611)
    n_series, n_days = 2000, 400
    scenario = Scenario(
        demand=rng.poisson(rate, (n_series, n_days)).astype(float),
        lead_times=np.full((n_series, n_days), lead),
        initial_on_hand=level,
    )

    # when (the first L days see less than L + 1 days of demand in the pipeline: skip them)
    result = simulate(
        scenario,
        InventoryPolicy(reorder_point=level - 1, order_up_to=level),
        SimulationOptions(warmup_days=10),
    )

    # then: 780,000 series-days; the loss-only approximation (1 - E[(D_{L+1} - S)^+] / d = 0.797) is far outside
    total = result.total.iloc[0]
    assert total["unit_fill_rate"] == pytest.approx(expected_fill, abs=0.004)
    assert result.per_series["avg_on_hand_units"].mean() == pytest.approx(expected_on_hand, rel=0.02)
    # base stock orders after every day with demand
    assert total["orders"] == pytest.approx(n_series * 390 * (1 - stats.poisson.pmf(0, rate)), rel=0.01)


# ----------------------------------------------------------------------------------------------------------------
# Order quantity rules


def test_moq_and_pack_size_round_the_order_quantity():
    # given 31 on hand, 7/day: end of day 2 the position is 10 <= s = 10 -> raw order S - 10 = 20.
    scenario = constant_scenario(daily_demand=7, lead_time=20, n_days=4, initial_on_hand=31)
    options = SimulationOptions(record_orders=True)

    def first_order(**rounding):
        result = simulate(scenario, InventoryPolicy(reorder_point=10, order_up_to=30, **rounding), options)
        return result.orders.iloc[0]

    # then
    assert first_order()["quantity"] == 20
    assert first_order()["day"] == 2
    assert first_order(pack_size=12)["quantity"] == 24  # 20 rounded up to 2 packs
    assert first_order(moq=50)["quantity"] == 50
    assert first_order(moq=50, pack_size=12)["quantity"] == 60  # MOQ 50 rounded up to 5 packs
    assert first_order(pack_size=5)["quantity"] == 20  # already a multiple


def test_fixed_order_quantity_orders_enough_multiples_to_lift_position_above_s():
    # given s = 10, Q = 25; 100/day demand from 40 on hand: end of day 0 position -60 -> n = floor(70/25)+1 = 3
    scenario = constant_scenario(daily_demand=100, lead_time=30, n_days=1, initial_on_hand=40)

    # when
    result = simulate(
        scenario, InventoryPolicy(reorder_point=10, order_quantity=25), SimulationOptions(record_orders=True)
    )

    # then
    assert result.orders["quantity"].tolist() == [75]


def test_periodic_review_orders_only_on_review_days():
    # given weekly review offset to day 3
    scenario = constant_scenario(daily_demand=10, lead_time=2, n_days=70, initial_on_hand=100)
    policy = InventoryPolicy(reorder_point=60, order_up_to=150, review_period_days=7, review_offset_days=3)

    # when
    result = simulate(scenario, policy, SimulationOptions(record_orders=True))

    # then: every order on a day = 3 mod 7, and every such review with position <= 60 orders
    days = result.orders["day"].to_numpy()
    assert len(days) > 0
    assert set(days % 7) == {3}
    # day 3: position 60 -> order 90 (usable day 6); each week then uses 70 and orders back to 150 - 70 + ... :
    # position after ordering is always 150, so position at the next review is 150 - 70 = 80 > 60 -> no order;
    # the review after that sees 10 -> order 140. Orders on days 3, 17, 31, 45, 59.
    assert days.tolist() == [3, 17, 31, 45, 59]


# ----------------------------------------------------------------------------------------------------------------
# Common random numbers


def test_lead_time_draws_are_shared_by_order_sequence_number():
    # given random lead times and two policies that order at different times and frequencies
    rng = np.random.default_rng(5)
    n_series, n_days = 50, 120
    draws = rng.integers(1, 15, (n_series, n_days))
    scenario = Scenario(demand=rng.poisson(3.0, (n_series, n_days)).astype(float), lead_times=draws,
                        initial_on_hand=20.0)  # fmt: skip
    options = SimulationOptions(record_orders=True)

    for policy in (
        InventoryPolicy(reorder_point=10, order_up_to=30),
        InventoryPolicy(reorder_point=25, order_up_to=26),
    ):
        # when
        orders = simulate(scenario, policy, options).orders
        # then: the k-th order of series i got draws[i, k]
        sequence = orders.groupby("series").cumcount().to_numpy()
        assert (orders["lead_time"].to_numpy() == draws[orders["series"].to_numpy(), sequence]).all()
        assert (orders["available_day"] == orders["day"] + orders["lead_time"] + 1).all()


def test_lead_time_draws_by_calendar_day_and_from_a_sampler():
    rng = np.random.default_rng(6)
    n_series, n_days = 20, 60
    draws = rng.integers(0, 9, (n_series, n_days))
    demand = rng.poisson(3.0, (n_series, n_days)).astype(float)
    policy = InventoryPolicy(reorder_point=10, order_up_to=30)

    # when indexing by the day the order is placed
    by_day = simulate(
        Scenario(demand=demand, lead_times=draws, initial_on_hand=20.0),
        policy,
        SimulationOptions(record_orders=True, lead_time_index="day"),
    ).orders
    # then
    assert (
        by_day["lead_time"].to_numpy() == draws[by_day["series"].to_numpy(), by_day["day"].to_numpy()]
    ).all()

    # when a pure sampler stands in for the array, results are identical
    def sampler(series, key):
        return draws[series, key]

    from_array = simulate(Scenario(demand=demand, lead_times=draws, initial_on_hand=20.0), policy)
    from_sampler = simulate(
        Scenario(
            demand=demand,
            lead_times=sampler,
            initial_on_hand=20.0,
            planning_lead_time_days=draws.mean(axis=1),
        ),
        policy,
    )
    assert from_array.per_series.equals(from_sampler.per_series)


def test_too_few_lead_time_draws_is_an_error_not_a_silent_wrap():
    scenario = constant_scenario(daily_demand=10, lead_time=1, n_days=30, initial_on_hand=0)
    scenario = Scenario(demand=scenario.demand, lead_times=np.ones((1, 2), dtype=int), initial_on_hand=0)
    with pytest.raises(ValueError, match="lead-time draw"):
        simulate(scenario, InventoryPolicy(reorder_point=5, order_up_to=6))


def test_higher_base_stock_is_never_worse_on_the_same_draws():
    # given random demand and random lead times shared by order sequence; base stock orders on the same days at any
    # level, so the k-th order arrives on the same day under both and net stock is higher by exactly the difference
    rng = np.random.default_rng(11)
    n_series, n_days = 300, 200
    scenario = Scenario(
        demand=rng.poisson(2.0, (n_series, n_days)).astype(float),
        lead_times=rng.integers(1, 10, (n_series, n_days)),
        initial_on_hand=0.0,
    )

    # when
    low = simulate(scenario, InventoryPolicy(reorder_point=9, order_up_to=10)).per_series
    high = simulate(scenario, InventoryPolicy(reorder_point=13, order_up_to=14)).per_series

    # then: series by series, not only on average
    assert (high["filled_on_time_units"] >= low["filled_on_time_units"]).all()
    assert (high["filled_on_time_units"] > low["filled_on_time_units"]).any()
    assert (high["orders"] == low["orders"]).all()
    assert (high["avg_on_hand_units"] >= low["avg_on_hand_units"]).all()


def test_compare_policies_runs_every_policy_on_the_same_scenario():
    rng = np.random.default_rng(3)
    n_series, n_days = 400, 182
    average = rng.uniform(1, 8, n_series)
    scenario = Scenario(
        demand=rng.poisson(average[:, None], (n_series, n_days)).astype(float),
        lead_times=rng.integers(3, 12, (n_series, n_days)),
        initial_on_hand=average * 14,
        unit_cost=rng.uniform(1, 20, n_series),
        class_label=np.where(average > 5, "A", "B"),
    )
    policies = {
        "static": static_min_max(average_weekly_demand=average * 7, min_weeks=1, max_weeks_above_min=2),
        "static_plus_week": static_min_max(
            average_weekly_demand=average * 7, min_weeks=2, max_weeks_above_min=2
        ),
    }

    # when
    table = compare_policies(policies, scenario)

    # then
    assert list(table.index) == [(p, seg) for p in policies for seg in ("A", "B", "total")]
    one_run = simulate(scenario, policies["static"])
    assert table.loc[("static", "total"), "unit_fill_rate"] == one_run.total.iloc[0]["unit_fill_rate"]
    # a week more of minimum on the same demand and draws: better service, more stock
    assert (
        table.loc[("static_plus_week", "total"), "unit_fill_rate"]
        > table.loc[("static", "total"), "unit_fill_rate"]
    )
    assert (
        table.loc[("static_plus_week", "total"), "avg_on_hand_value"]
        > table.loc[("static", "total"), "avg_on_hand_value"]
    )
    assert (table.xs("total", level="segment")["demand_units"] == scenario.demand.sum()).all()
