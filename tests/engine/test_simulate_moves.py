"""Known-answer tests for the simulator's moves and measures: transfers, expediting, line fill rate, the initial
pipeline, class aggregates, order bounds, revisions, exceptions and cycle service level (replenish/engine/simulate).

Expected numbers are worked out by hand in the comments, never pasted back from the simulator's own output.
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from replenish.engine.simulate import (
    ExpediteOption,
    InventoryPolicy,
    OpenOrders,
    PolicyRevision,
    Scenario,
    SimulationOptions,
    TransferOption,
    aggregate,
    seeded_lead_time_sampler,
    simulate,
)
from tests.engine.simulate_factories import constant_scenario

# ----------------------------------------------------------------------------------------------------------------
# Transfers and expediting


def test_transfers_move_excess_to_the_location_running_dry():
    # given item 7 at two locations. Series 0: 10/day, 10 on hand, s = 20, S = 50, supplier lead time 10.
    # Series 1: no demand, 200 on hand, S = 50 -> 150 above its max. Transfer lead time 2 (usable day t + 3).
    # With transfers: end of day 0 series 0 is at 0 -> pulls 50 (usable day 3); days 1-2 short (20 backordered);
    # day 3: 50 - 20 - 10 = 20 -> pulls 30 (day 6); same on days 6 and 9: transfers 50 + 30 + 30 + 30 = 140,
    # never a supplier order, stockouts only on days 1 and 2.
    # Without: supplier orders of 50, 30, 30, 30 on days 0, 3, 6, 9 (position falls 10/day from 50 to 20), the first
    # usable on day 11; short every day from 1 to 11 (on day 11 the backlog of 100 exceeds the 50 received).
    n_days = 12
    demand = np.zeros((2, n_days))
    demand[0] = 10.0
    scenario = Scenario(
        demand=demand,
        lead_times=np.full((2, n_days), 10),
        initial_on_hand=[10.0, 200.0],
        item_group=[7, 7],
    )
    policy = InventoryPolicy(reorder_point=[20, 20], order_up_to=[50, 50])

    # when
    with_transfers = simulate(scenario, policy, SimulationOptions(transfers=TransferOption(lead_time_days=2)))
    without = simulate(scenario, policy)

    # then
    receiver, donor = with_transfers.per_series.iloc[0], with_transfers.per_series.iloc[1]
    assert receiver["stockout_days"] == 2
    assert receiver["transfers_in"] == 4
    assert receiver["transfer_units_in"] == 140
    assert receiver["orders"] == 0
    assert donor["transfer_units_out"] == 140
    assert donor["transfers_out"] == 4
    assert without.per_series.iloc[0]["stockout_days"] == 11
    assert without.per_series.iloc[0]["orders"] == 4
    assert without.per_series.iloc[0]["order_units"] == 140
    assert with_transfers.total.iloc[0]["stockout_days"] < without.total.iloc[0]["stockout_days"]


def test_transfers_stay_within_the_item_and_respect_the_donor_max():
    # given two items; only item 1 has a donor, and that donor holds just 15 above its max
    n_days = 3
    demand = np.zeros((4, n_days))
    demand[[0, 2], 0] = 10.0
    scenario = Scenario(
        demand=demand,
        lead_times=np.full((4, n_days), 30),
        initial_on_hand=[10.0, 500.0, 10.0, 65.0],
        item_group=[1, 2, 2, 1],  # series 1 (item 2) has plenty, series 3 (item 1) has 15 spare
    )
    policy = InventoryPolicy(reorder_point=[20, 20, 20, 20], order_up_to=[50, 50, 50, 50])

    # when
    per_series = simulate(scenario, policy, SimulationOptions(transfers=TransferOption())).per_series

    # then: series 0 (position 0) gets 15 from series 3, is still at 15 <= s = 20 and orders the other 35 from the
    # supplier; series 2 gets all 50 from series 1 (position 50 > s: no supplier order)
    assert per_series["transfer_units_in"].tolist() == [15, 0, 50, 0]
    assert per_series["transfer_units_out"].tolist() == [0, 50, 0, 15]
    assert per_series["order_units"].tolist() == [35, 0, 0, 0]


def test_expedite_pulls_in_the_open_order_and_shortens_the_stockout():
    # given 30 on hand, 10/day, an open order of 100 usable on day 8 and a policy that will not order (s = -1000).
    # Without expediting: days 0-2 filled, days 3-7 short (5 stockout days).
    # With E = 3: end of day 0, 20 on hand < 10/day x 7 days until day 8 -> pulled in to day 5, once;
    # days 3-4 short (2 stockout days).
    scenario = constant_scenario(
        daily_demand=10,
        lead_time=5,
        n_days=10,
        initial_on_hand=30,
        initial_pipeline=OpenOrders(series=[0], available_day=[8], quantity=[100.0]),
        unit_cost=4.0,
    )
    policy = InventoryPolicy(reorder_point=-1000, order_up_to=-900)
    expedite = ExpediteOption(days_saved=3, fee=25.0, freight_rate=0.1)

    # when
    without = simulate(scenario, policy).per_series.iloc[0]
    with_expedite = simulate(scenario, policy, SimulationOptions(expedite=expedite)).per_series.iloc[0]

    # then
    assert without["stockout_days"] == 5
    assert without["expedites"] == 0
    assert with_expedite["stockout_days"] == 2
    assert with_expedite["expedites"] == 1
    assert with_expedite["emergency_freight"] == pytest.approx(25.0 + 0.1 * 100 * 4.0)
    assert with_expedite["unit_fill_rate"] == pytest.approx(80 / 100)


# ----------------------------------------------------------------------------------------------------------------
# Measures and outputs


def test_line_fill_rate_counts_complete_lines_and_stockout_weeks():
    # given 6 on hand, no replenishment; day 0: 10 units in 4 lines -> 6/10 filled -> 2 complete lines (2.4 -> 2);
    # day 1: 5 units in 1 line, nothing on hand -> 0 lines.
    scenario = Scenario(
        demand=np.array([[10.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]),
        order_lines=np.array([[4, 1, 0, 0, 0, 0, 0, 0]]),
        lead_times=np.ones((1, 8), dtype=int),
        initial_on_hand=6.0,
    )

    # when
    row = simulate(
        scenario, InventoryPolicy(reorder_point=-1, order_up_to=0), SimulationOptions(lost_sales=True)
    )
    row = row.per_series.iloc[0]

    # then
    assert row["demand_lines"] == 5
    assert row["filled_lines"] == 2
    assert row["line_fill_rate"] == pytest.approx(2 / 5)
    assert row["unit_fill_rate"] == pytest.approx(6 / 15)
    assert row["stockout_days"] == 2
    assert row["stockout_weeks"] == 1  # days 0-6 make week 1, day 7 week 2
    assert row["stockout_week_rate"] == pytest.approx(1 / 2)


def test_initial_pipeline_is_received_on_its_day():
    # given nothing on hand, 5/day, 30 arriving on day 2, no ordering
    scenario = constant_scenario(
        daily_demand=5,
        lead_time=1,
        n_days=6,
        initial_on_hand=0,
        initial_pipeline=OpenOrders(series=[0, 0], available_day=[2, 4], quantity=[10.0, 20.0]),
    )

    # when
    row = simulate(scenario, InventoryPolicy(reorder_point=-100, order_up_to=-50)).per_series.iloc[0]

    # then: days 0-1 short 10 (backordered); day 2: 10 arrive, clear backlog, day 2-3 short; day 4: 20 arrive,
    # 10 clear backlog, 5 served, day 5 served
    assert row["filled_on_time_units"] == 10
    assert row["stockout_days"] == 4
    assert row["ending_backorder_units"] == 0
    assert row["shipped_units"] == 30


def test_class_aggregates_are_demand_weighted_and_summary_is_json():
    # given two series in class A with different fill rates and one in class B
    scenario = Scenario(
        demand=np.array([[10.0] * 4, [1.0] * 4, [2.0] * 4]),
        lead_times=np.full((3, 4), 50),
        initial_on_hand=[20.0, 4.0, 0.0],
        unit_cost=[1.0, 3.0, 2.0],
        unit_price=[2.0, 5.0, 3.0],
        class_label=["A", "A", "B"],
    )

    # when
    result = simulate(scenario, InventoryPolicy(reorder_point=-100, order_up_to=-50))

    # then: A filled 20 of 40 plus 4 of 4 -> 24/44; B 0/8
    assert result.per_class.loc["A", "unit_fill_rate"] == pytest.approx(24 / 44)
    assert result.per_class.loc["B", "unit_fill_rate"] == 0
    assert result.total.iloc[0]["unit_fill_rate"] == pytest.approx(24 / 52)
    assert result.per_class.loc["A", "n_series"] == 2
    # average on hand: series 0 ends days at 10, 0, 0, 0; series 1 at 3, 2, 1, 0 -> (10 + 6 * 3) / 4 at cost
    assert result.per_class.loc["A", "avg_on_hand_value"] == pytest.approx((10 * 1.0 + 6 * 3.0) / 4)
    assert result.per_class.loc["A", "revenue"] == pytest.approx(20 * 2.0 + 4 * 5.0)
    summary = result.summary()
    text = json.dumps(summary, allow_nan=False)
    assert json.loads(text)["by_class"]["B"]["turns"] is None  # no inventory -> turns undefined, not NaN
    assert summary["n_series"] == 3


def test_order_quantity_bounds_flag_exceptions():
    # given an order of 60 every 6 days (first case above) and bounds [0, 50]
    scenario = constant_scenario(
        daily_demand=10,
        lead_time=3,
        n_days=36,
        initial_on_hand=70,
        order_quantity_bounds=(np.array([0.0]), np.array([50.0])),
    )

    # when
    row = simulate(scenario, InventoryPolicy(reorder_point=40, order_up_to=100)).per_series.iloc[0]

    # then: each of the 6 orders is out of bounds; no projected-stockout exceptions in this case
    assert row["exception_days"] == 6


def test_invalid_inputs_are_rejected():
    scenario = constant_scenario(daily_demand=1, lead_time=1, n_days=5, initial_on_hand=0)
    with pytest.raises(ValueError, match="exactly one"):
        simulate(scenario, InventoryPolicy(reorder_point=1))
    with pytest.raises(ValueError, match="order_up_to must be >="):
        simulate(scenario, InventoryPolicy(reorder_point=5, order_up_to=1))
    with pytest.raises(ValueError, match="item_group"):
        simulate(
            scenario,
            InventoryPolicy(reorder_point=1, order_up_to=2),
            SimulationOptions(transfers=TransferOption()),
        )
    with pytest.raises(ValueError, match="demand"):
        simulate(Scenario(demand=np.array([[-1.0]]), lead_times=np.ones((1, 1))), InventoryPolicy(0, 1))


def test_seeded_sampler_is_a_pure_function_with_the_intended_distribution():
    # given each supplier's true lead time: gamma with mean 8 days and sd 4 days (shape 4, scale 2)
    sampler = seeded_lead_time_sampler(lambda u, series: stats.gamma.ppf(u, 4.0, scale=2.0), seed=42)
    series = np.repeat(np.arange(200), 100)
    key = np.tile(np.arange(100), 200)

    # when
    draws = np.asarray(sampler(series, key))
    shuffled = np.random.default_rng(0).permutation(series.size)

    # then: asking in another order gives the same draw for the same (series, key)
    assert np.array_equal(np.asarray(sampler(series[shuffled], key[shuffled])), draws[shuffled])
    # a different seed gives different draws; the distribution is the one asked for (Kolmogorov-Smirnov)
    other = np.asarray(
        seeded_lead_time_sampler(lambda u, s: stats.gamma.ppf(u, 4.0, scale=2.0), seed=43)(series, key)
    )
    assert not np.array_equal(other, draws)
    assert stats.kstest(draws, stats.gamma(4.0, scale=2.0).cdf).pvalue > 0.001


# ----------------------------------------------------------------------------------------------------------------
# Policy revisions, prioritized expediting, exceptions, cycle service, aggregation


def test_a_revision_replaces_the_levels_from_its_first_day():
    # given 100 on hand, 10/day, lead time 1 (usable t + 2), s = 60, S = 100.
    # End of day 3: 60 -> order 40 (usable day 5); day 4: 50 (position 90); day 5: 50 + 40 - 10 = 80; day 6: 70.
    # Unrevised: day 7 ends at 60 -> order 40. Revised from day 6 to s = 75, S = 200: day 6 ends at 70 <= 75 ->
    # order 200 - 70 = 130.
    scenario = constant_scenario(daily_demand=10, lead_time=1, n_days=8, initial_on_hand=100)
    options = SimulationOptions(record_orders=True)
    plain = InventoryPolicy(reorder_point=60, order_up_to=100)
    revised = InventoryPolicy(
        reorder_point=60, order_up_to=100, revisions=(PolicyRevision(6, reorder_point=75, order_up_to=200),)
    )

    # when
    before = simulate(scenario, plain, options).orders
    after = simulate(scenario, revised, options).orders

    # then
    assert list(zip(before["day"], before["quantity"])) == [(3, 40.0), (7, 40.0)]
    assert list(zip(after["day"], after["quantity"])) == [(3, 40.0), (6, 130.0)]


def test_revisions_are_validated():
    scenario = constant_scenario(daily_demand=1, lead_time=1, n_days=5, initial_on_hand=0)
    with pytest.raises(ValueError, match="order_up_to must be >="):
        simulate(
            scenario, InventoryPolicy(1, 2, revisions=(PolicyRevision(2, reorder_point=5, order_up_to=1),))
        )
    with pytest.raises(ValueError, match="two policy revisions"):
        simulate(
            scenario,
            InventoryPolicy(1, 2, revisions=(PolicyRevision(2, 1, 2), PolicyRevision(2, 1, 3))),
        )
    with pytest.raises(ValueError, match="gives order_quantity"):
        simulate(scenario, InventoryPolicy(1, order_quantity=5, revisions=(PolicyRevision(2, 1, 2),)))


def test_expediting_only_where_eligible():
    # given the expedite case above (5 stockout days without expediting, 2 with) and the series not eligible
    scenario = constant_scenario(
        daily_demand=10,
        lead_time=5,
        n_days=10,
        initial_on_hand=30,
        initial_pipeline=OpenOrders(series=[0], available_day=[8], quantity=[100.0]),
    )
    policy = InventoryPolicy(reorder_point=-1000, order_up_to=-900)

    # when
    row = simulate(
        scenario, policy, SimulationOptions(expedite=ExpediteOption(days_saved=3, eligible=[False]))
    ).per_series.iloc[0]

    # then
    assert row["expedites"] == 0
    assert row["stockout_days"] == 5


def test_exceptions_count_each_time_a_series_enters_the_exception_state():
    # given the shortfall case above: d = 10, L = 5, s = 30, S = 100: exception days come in pairs (the day before
    # the order and the order day), first on days 5 and 6, then 2 a cycle: 2 + 2 x cycles days, 1 + cycles onsets.
    cycles = 6
    scenario = constant_scenario(daily_demand=10, lead_time=5, n_days=12 + 7 * cycles, initial_on_hand=100)

    # when
    row = simulate(scenario, InventoryPolicy(reorder_point=30, order_up_to=100)).per_series.iloc[0]

    # then
    assert row["exception_days"] == 2 + 2 * cycles
    assert row["exceptions"] == 1 + cycles


def test_cycle_service_level_counts_replenishment_cycles_with_a_stockout():
    # given the no-stockout sawtooth (receipts on days 6, 12, ..., 54 in 60 days) and the shortfall case over 54
    # days, where every receipt (days 12, 19, ..., 47; the order of day 48 arrives on day 54) ends a cycle that
    # had 2 short days
    cycles = 10
    sawtooth = simulate(
        constant_scenario(daily_demand=10, lead_time=3, n_days=6 * cycles, initial_on_hand=70),
        InventoryPolicy(reorder_point=40, order_up_to=100),
    ).per_series.iloc[0]
    short = simulate(
        constant_scenario(daily_demand=10, lead_time=5, n_days=12 + 7 * 6, initial_on_hand=100),
        InventoryPolicy(reorder_point=30, order_up_to=100),
    ).per_series.iloc[0]

    # then
    assert sawtooth["replenishment_cycles"] == 9
    assert sawtooth["stockout_cycles"] == 0
    assert sawtooth["cycle_service_level"] == 1.0
    assert short["replenishment_cycles"] == 6
    assert short["stockout_cycles"] == 6
    assert short["cycle_service_level"] == 0.0


def test_aggregate_over_any_grouping_matches_the_class_rows():
    rng = np.random.default_rng(8)
    n_series = 60
    scenario = Scenario(
        demand=rng.poisson(3.0, (n_series, 50)).astype(float),
        lead_times=rng.integers(1, 8, (n_series, 50)),
        initial_on_hand=10.0,
        unit_cost=rng.uniform(1, 9, n_series),
        class_label=np.where(np.arange(n_series) < 20, "A", "B"),
    )
    result = simulate(scenario, InventoryPolicy(reorder_point=8, order_up_to=25))

    # when
    by_class = aggregate(
        result.per_series, result.per_series["class_label"], measured_days=result.measured_days
    )
    by_parity = aggregate(result.per_series, np.arange(n_series) % 2, measured_days=result.measured_days)

    # then
    pd.testing.assert_frame_equal(by_class, result.per_class, check_names=False)
    odd = result.per_series.iloc[1::2]
    assert by_parity.loc[1, "unit_fill_rate"] == pytest.approx(
        odd["filled_on_time_units"].sum() / odd["demand_units"].sum()
    )
    with pytest.raises(ValueError, match="one label per series"):
        aggregate(result.per_series, [1, 2], measured_days=result.measured_days)
