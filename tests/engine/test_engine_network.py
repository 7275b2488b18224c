"""MOQ pooling: the hub buys for the network, branches pull from it (engine/network.py, the simulator's hub pulls)."""

import numpy as np
import pandas as pd
import pytest

from replenish.engine import PlanInputs, run_plan
from replenish.engine import simulate as sim
from replenish.engine.network import (
    PoolingSettings,
    hub_of_item,
    policy_outside_pools,
    pooled_supply,
    supplier_lot,
)
from replenish.engine.policy import PolicySettings, compute_policy
from replenish.engine.recommend import pool_credit


def test_supplier_lot_is_the_moq_in_whole_packs_and_at_least_one_pack():
    assert supplier_lot(np.array([0.0, 30.0, 25.0]), np.array([12.0, 12.0, 1.0])).tolist() == [
        12.0,
        36.0,
        25.0,
    ]


def test_a_branch_is_pooled_when_its_lot_is_more_than_4_weeks_of_its_demand():
    # item 1: hub at location 2 (10 a week); location 1 sells 1 a week, location 3 sells 8 a week; lot 24
    # item 2: both locations sell 8 a week, lot 24 (3 weeks at each)
    item = np.array([1, 1, 1, 2, 2])
    location = np.array([1, 2, 3, 1, 2])
    forecast = np.array([1.0, 10.0, 8.0, 8.0, 8.0])
    moq = np.full(5, 24.0)
    pack = np.full(5, 6.0)

    assert hub_of_item(item, location, forecast).tolist() == [1, 1, 1, 3, 3]  # ties: the lowest location id
    supply = pooled_supply(item, location, forecast, moq, pack)

    # then only location 1 of item 1 (24 units = 24 weeks) is supplied from the hub; 24 / 8 = 3 weeks is not pooled
    assert PoolingSettings().min_lot_weeks == 4.0
    assert supply.tolist() == [1, -1, -1, -1, -1]
    lower = pooled_supply(item, location, forecast, moq, pack, settings=PoolingSettings(min_lot_weeks=2.0))
    assert lower.tolist() == [1, -1, 1, -1, 3]  # 24 / 8 = 3 weeks exceeds 2
    assert (
        pooled_supply(item, location, forecast, moq, pack, settings=PoolingSettings(enabled=False)).tolist()
        == [-1] * 5
    )


def test_the_hub_plans_for_its_pooled_branch_and_the_branch_for_the_transfer_lead_time():
    # given one item at two locations: 14 a week at the hub, 0.7 a week at the branch, constant; MOQ 100 in packs
    # of 10; every supplier receipt took 10 days; transfers take 2 days
    weeks = 60
    series = pd.DataFrame(
        {"item_id": [1, 1], "location_id": [1, 2], "supplier_id": [1, 1], "unit_cost": [10.0, 10.0],
         "unit_price": [15.0, 15.0], "pack_size": [10.0, 10.0], "moq": [100.0, 100.0],
         "ordering_cost": [25.0, 25.0], "holding_rate": [0.25, 0.25]}
    )  # fmt: skip
    demand = np.vstack(
        [np.full(weeks, 14.0), np.tile([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], 6) * 1.0]
    )
    receipts = pd.DataFrame(
        {"supplier_id": [1] * 5, "item_id": [1] * 5, "lead_time_days": [10.0] * 5,
         "received_date": pd.to_datetime(["2026-01-05"] * 5)}
    )  # fmt: skip

    # when planned
    result = run_plan(
        PlanInputs(series=series, demand=demand.astype(np.float32), receipts=receipts, transfer_days=2.0)
    )
    plan = result.plan

    # then the branch (lot 100 = 143 weeks of 0.7) is supplied from the hub at location 1
    assert plan["supply_from_series"].tolist() == [-1, 0]
    assert plan["supply_location_id"].tolist()[1] == 1
    assert plan["flag_supplied_from_hub"].tolist() == [False, True]
    assert plan["flag_pooled_hub"].tolist() == [True, False]
    hub_weekly = plan["forecast_weekly"].iloc[0] + plan["forecast_weekly"].iloc[1]
    # the hub covers both locations' demand over its supplier lead time + the nightly review: (10 + 1) days
    assert plan["lead_time_demand_mean"].iloc[0] == pytest.approx(hub_weekly / 7 * 11, rel=1e-3)
    # the branch covers its own demand over the 2-day transfer + 1 day, and orders no MOQ
    assert plan["lead_time_demand_mean"].iloc[1] == pytest.approx(
        plan["forecast_weekly"].iloc[1] / 7 * 3, rel=1e-3
    )
    assert plan["order_quantity"].iloc[1] < 100
    # and the branch never gets a purchase order of its own
    recs = result.recommendations
    assert not ((recs["series"] == 1) & (recs["action"] == "purchase_order")).any()


def _hub_and_branch(hub_on_hand: float) -> tuple[sim.Scenario, sim.InventoryPolicy]:
    scenario = sim.Scenario(
        demand=np.array([[0.0] * 9, [1.0] * 9]),
        lead_times=np.full((2, 9), 5),
        initial_on_hand=np.array([hub_on_hand, 5.0]),
    )
    policy = sim.InventoryPolicy(
        reorder_point=np.array([-1.0, 2.0]),
        order_up_to=np.array([-1.0, 5.0]),
        moq=np.array([0.0, 10.0]),  # the branch's supplier MOQ does not apply to pulls from the hub
        supply_from=np.array([-1, 0]),
        hub_lead_time_days=2,
    )
    return scenario, policy


def test_simulated_branch_pulls_from_its_hub_in_eaches_after_the_transfer_lead_time():
    # given a hub with 100 units and no demand, a branch selling 1 a day with s = 2, S = 5, 2-day transfers
    scenario, policy = _hub_and_branch(100.0)

    # when simulated 9 days
    result = sim.simulate(scenario, policy)

    # then the branch pulls 3 on days 2, 5, 8 (usable 3 days later), ends days at 4 3 2 1 0 2 1 0 2, never short;
    # the hub ends at 100 100 97 97 97 94 94 94 91
    series = result.per_series
    assert series.loc[1, "unit_fill_rate"] == 1.0
    assert series.loc[1, "on_hand_unit_days"] == 4 + 3 + 2 + 1 + 0 + 2 + 1 + 0 + 2
    assert series.loc[0, "on_hand_unit_days"] == 200 + 3 * 97 + 3 * 94 + 91
    assert series.loc[1, "transfers_in"] == 3 and series.loc[1, "transfer_units_in"] == 9
    assert series.loc[0, "transfers_out"] == 3 and series.loc[0, "transfer_units_out"] == 9
    assert series["orders"].sum() == 0  # no supplier order: the hub stays above its reorder point


def test_a_pull_takes_what_the_hub_has_and_asks_again_later():
    # given a hub with 4 units only
    scenario, policy = _hub_and_branch(4.0)

    # when simulated: day 2 pulls 3 (hub 1 left), day 5 wants 3 and gets 1, day 8 wants 5 and gets nothing
    result = sim.simulate(scenario, policy, sim.SimulationOptions(record_orders=True))

    pulls = result.orders[result.orders["kind"] == "hub"]
    assert pulls["day"].tolist() == [2, 5]
    assert pulls["quantity"].tolist() == [3.0, 1.0]
    assert result.per_series.loc[1, "filled_on_time_units"] == 9  # 5 + 3 + 1 cover the 9 days' demand
    assert result.per_series.loc[0, "on_hand_unit_days"] == 4 + 4 + 1 + 1 + 1 + 0 + 0 + 0 + 0


def test_a_hub_must_order_from_its_supplier():
    scenario, policy = _hub_and_branch(10.0)
    with pytest.raises(ValueError, match="hub must order from its supplier"):
        sim.simulate(scenario, sim.InventoryPolicy(**{**policy.__dict__, "supply_from": np.array([1, 0])}))


def test_target_calibration_plans_for_the_corrected_target_and_keeps_the_business_target():
    # given a smooth series with a 98% fill target (class AX), calibrated with c = 0.5 on the allowed shortage
    rng = np.random.default_rng(3)
    demand = rng.poisson(50, (1, 60)).astype(np.float32)
    series = pd.DataFrame(
        {"item_id": [1], "unit_cost": [10.0], "unit_price": [15.0], "ordering_cost": [25.0], "holding_rate": [0.25]}
    )  # fmt: skip
    calibrated = run_plan(PlanInputs(series=series, demand=demand, target_calibration=np.array([0.5]))).plan
    # when the same series is planned for a 99% target directly
    direct = run_plan(PlanInputs(series=series.assign(service_target=0.99), demand=demand)).plan

    # then the calibrated plan is the 99% plan (1 - 0.02 x 0.5), while the business target stays 98%
    assert calibrated["service_target"].iloc[0] == pytest.approx(0.98)
    assert calibrated["planning_target"].iloc[0] == pytest.approx(0.99)
    assert calibrated["reorder_point"].iloc[0] == pytest.approx(direct["reorder_point"].iloc[0])
    assert (
        calibrated["reorder_point"].iloc[0]
        > run_plan(PlanInputs(series=series, demand=demand)).plan["reorder_point"].iloc[0]
    )


def test_the_policy_outside_pools_is_the_whole_frames_policy_on_the_rows_outside_pools():
    # given 60 series, of which rows 1 and 4 supply branches 7, 8, 9 and 20
    rng = np.random.default_rng(2)
    n = 60
    frame = pd.DataFrame(
        {
            "forecast_weekly": rng.uniform(0.1, 40.0, n), "forecast_sd_weekly": rng.uniform(0.2, 20.0, n),
            "demand_class": rng.choice(["smooth", "intermittent", "lumpy", "erratic"], n),
            "lead_time_days": rng.uniform(3.0, 40.0, n), "lead_time_sd_days": rng.uniform(0.0, 5.0, n),
            "target_type": rng.choice(["fill_rate", "cycle"], n), "service_target": rng.uniform(0.8, 0.99, n),
            "unit_cost": 10.0, "ordering_cost": 25.0, "holding_rate": 0.25, "moq": 0.0, "pack_size": 1.0,
            "capacity": np.nan, "inventory_position": rng.uniform(0.0, 50.0, n),
            "rounding_draw": rng.uniform(0.0, 1.0, n),
        }
    )  # fmt: skip
    supply_from = np.full(n, -1)
    supply_from[[7, 8, 9, 20]] = [1, 1, 4, 4]

    # when the policy is computed outside the pools only
    outside = policy_outside_pools(frame, supply_from, PolicySettings())

    # then its outside rows are the whole frame's policy, column for column and dtype for dtype
    whole = compute_policy(frame, PolicySettings())
    rows = np.setdiff1d(np.arange(n), [1, 4, 7, 8, 9, 20])
    assert list(outside.columns) == list(whole.columns)
    assert (outside.dtypes == whole.dtypes).all()
    pd.testing.assert_frame_equal(outside.iloc[rows], whole.iloc[rows], check_exact=True)
    assert outside.index.equals(frame.index)


def test_a_hub_counts_its_branches_stock_above_their_order_up_to_levels_up_to_their_demand_over_its_lead_time():
    # given hub 0 with branches 1 and 2, hub 3 with branch 4; row 5 orders from its supplier
    supply_from = np.array([-1, 0, 0, -1, 3, -1])
    position = np.array([10.0, 25.0, 4.0, 7.0, 12.0, 50.0])
    order_up_to = np.array([30.0, 10.0, 6.0, 20.0, 9.0, 20.0])
    cap = np.array([0.0, 8.0, 5.0, 0.0, 4.0, 0.0])

    credit = pool_credit(position, order_up_to, supply_from, cap)

    # then branch 1's 15 above its level count up to its 8 of demand, branch 2 (below its level) nothing,
    # branch 4's 3 above its level all of them; only hubs get credit
    assert credit.tolist() == [8.0, 0.0, 0.0, 3.0, 0.0, 0.0]
    assert pool_credit(position, order_up_to, np.full(6, -1), cap).tolist() == [0.0] * 6


def _flush_branch(credit_cap: float | None) -> sim.SimulationResult:
    # a hub selling 1 a day (s = 5, S = 20, 20 on hand) and a branch with no demand holding 40 against S = 10
    scenario = sim.Scenario(
        demand=np.array([[1.0] * 40, [0.0] * 40]),
        lead_times=np.full((2, 40), 3),
        initial_on_hand=np.array([20.0, 40.0]),
    )
    policy = sim.InventoryPolicy(
        reorder_point=np.array([5.0, 2.0]),
        order_up_to=np.array([20.0, 10.0]),
        supply_from=np.array([-1, 0]),
        pool_credit=None if credit_cap is None else np.array([0.0, credit_cap]),
    )
    return sim.simulate(scenario, policy, sim.SimulationOptions(record_orders=True))


def test_a_simulated_hub_orders_later_and_less_while_its_branch_holds_stock_above_its_level():
    # without the credit the hub's position reaches s = 5 at the end of day 14 (20 - 15) and it orders 15
    plain = _flush_branch(None).orders
    plain = plain[plain["kind"] == "supplier"]
    assert (plain["day"].iloc[0], plain["quantity"].iloc[0]) == (14, 15.0)
    # with the branch's 30 above its level counted up to 6, the hub orders when its own position is -1 (day 20:
    # 20 - 21 = -1, +6 = 5) and orders up to 20 from 5: 15 units, 6 days later
    netted = _flush_branch(6.0).orders
    netted = netted[netted["kind"] == "supplier"]
    assert (netted["day"].iloc[0], netted["quantity"].iloc[0]) == (20, 15.0)


def test_a_pool_credit_below_zero_is_refused():
    with pytest.raises(ValueError, match="pool_credit must be >= 0"):
        _flush_branch(-1.0)
