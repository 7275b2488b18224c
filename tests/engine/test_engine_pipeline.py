import json
import sys

import numpy as np
import pandas as pd
import pytest

from replenish.engine import PlanInputs, PlanOptions, make_synthetic_panel, run_plan
from replenish.engine.recommend import RECOMMENDATION_COLUMNS

NAN = np.nan
DECISION_COLUMNS = [
    "forecast_weekly",
    "forecast_sd_weekly",
    "lead_time_mean",
    "lead_time_sd",
    "service_target",
    "lead_time_demand_mean",
    "lead_time_demand_sd",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "order_quantity",
    "inventory_position",
    "stockout_probability",
    "eoq",
    "safety_factor",
]


def series_frame(n, **columns):
    base = {
        "item_location_id": np.arange(100, 100 + n),
        "item_id": np.arange(n),
        "location_id": np.zeros(n, dtype=int),
        "supplier_id": np.full(n, 3),
        "unit_cost": np.full(n, 10.0),
        "unit_price": np.full(n, 15.0),
        "on_hand": np.full(n, 5.0),
        "allocated": np.zeros(n),
        "backordered": np.zeros(n),
        "capacity": np.full(n, NAN),
        "pack_size": np.ones(n),
        "moq": np.zeros(n),
        "contracted_lead_time_days": np.full(n, 10.0),
        "ordering_cost": np.full(n, 40.0),
        "holding_rate": np.full(n, 0.25),
        "static_min": np.full(n, NAN),
        "static_max": np.full(n, NAN),
        "service_target": np.full(n, NAN),
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_bad_inputs_give_finite_outputs_and_flags_without_exceptions():
    rng = np.random.default_rng(0)
    healthy = rng.poisson(8, 40).astype(float)
    demand = np.array(
        [
            healthy,
            np.full(40, NAN),  # no history
            np.where(np.arange(40) == 7, -6.0, healthy),  # a return booked as negative demand
            np.where(np.arange(40) % 9 == 0, NAN, healthy),  # holes in the feed
            np.where(np.arange(40) == 3, np.inf, healthy),  # garbage
            healthy,  # zero cost
            healthy,  # zero price
            healthy,  # broken pack size / moq, no contract, capacity already exceeded
            np.zeros(40),  # observed but never sold
        ]
    )
    n = demand.shape[0]
    series = series_frame(
        n,
        unit_cost=[10.0, 10.0, 10.0, 10.0, 10.0, 0.0, 10.0, NAN, 10.0],
        unit_price=[15.0, 15.0, 15.0, 15.0, 15.0, 15.0, 0.0, 15.0, 15.0],
        pack_size=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0],
        moq=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -5.0, 0.0],
        contracted_lead_time_days=[10.0] * 7 + [NAN, 10.0],
        capacity=[NAN] * 7 + [2.0, NAN],
        on_hand=[5.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, NAN],
    )
    inputs = PlanInputs(series=series, demand=demand, receipts=pd.DataFrame(), open_supply=pd.DataFrame())
    result = run_plan(inputs)
    plan = result.plan
    assert len(plan) == n
    assert np.isfinite(plan[DECISION_COLUMNS].to_numpy(dtype=float)).all()
    assert plan["flag_no_history"].tolist() == [False, True] + [False] * 7
    assert plan["flag_negative_demand_cleaned"][2]
    assert plan["flag_missing_periods"][3] and plan["flag_nonfinite_demand_cleaned"][4]
    assert plan["flag_zero_cost"][5] and plan["flag_eoq_fallback"][5] and plan["flag_zero_price"][6]
    assert plan["flag_zero_cost"][7] and plan["flag_invalid_pack_or_moq"][7]
    assert plan["flag_no_contracted_lead_time"][7] and plan["lead_time_source"][7] == "default"
    assert plan["flag_no_lead_time_history"].all()
    assert plan["flag_capacity_limited"][7] and plan["order_quantity"][7] == 0.0
    assert plan["method"][1] == "none" and plan["forecast_weekly"][1] == 0.0
    assert plan["method"][8] == "zero"
    assert plan["abc"][6] == "C"
    json.dumps(list(result.recommendations["factors"]), allow_nan=False)


def test_synthetic_panel_runs_end_to_end_with_the_documented_columns():
    inputs = make_synthetic_panel(3000, 104, seed=4)
    result = run_plan(inputs)
    plan, recommendations = result.plan, result.recommendations
    assert len(plan) == 3000
    for column in (
        "item_location_id",
        "demand_class",
        "abc",
        "xyz",
        "method",
        "forecast_weekly",
        "forecast_sd_weekly",
        "mase",
        "bias",
        "lead_time_mean",
        "lead_time_sd",
        "lead_time_source",
        "lead_time_unstable",
        "service_target",
        "target_type",
        "lead_time_demand_mean",
        "lead_time_demand_sd",
        "safety_stock",
        "reorder_point",
        "order_up_to",
        "order_quantity",
        "inventory_position",
        "stockout_probability",
        "projected_stockout_day",
        "flag_no_history",
    ):
        assert column in plan
    assert np.isfinite(plan[DECISION_COLUMNS].to_numpy(dtype=float)).all()
    assert (plan["order_up_to"] >= plan["reorder_point"]).all()
    assert plan["stockout_probability"].between(0, 1).all()
    assert list(recommendations.columns) == list(RECOMMENDATION_COLUMNS)
    assert set(recommendations["action"]) <= {"purchase_order", "expedite", "defer", "cancel", "transfer"}
    assert recommendations["series"].between(0, 2999).all()
    assert {"forecast", "policy", "recommend", "total"} <= set(result.timings)
    # every PO is whole packs of at least the MOQ unless capacity-limited
    orders = recommendations[recommendations["action"] == "purchase_order"]
    packs = inputs.series["pack_size"].to_numpy()[orders["series"]]
    assert np.allclose(orders["quantity"] / packs, np.round(orders["quantity"] / packs))
    # intermittent series are never forecast by the continuous methods, and vice versa
    intermittent = plan["demand_class"].isin(["intermittent", "lumpy"])
    assert not plan.loc[intermittent, "method"].isin(["holt_damped", "holt_winters", "global_gbm"]).any()
    assert not plan.loc[~intermittent, "method"].isin(["croston_sba", "tsb"]).any()


def test_policy_table_and_override_reach_the_plan():
    rng = np.random.default_rng(1)
    demand = rng.poisson(20, (2, 40)).astype(float)
    table = pd.DataFrame(
        [(abc, xyz, "cycle", 0.91) for abc in "ABC" for xyz in "XYZ"],
        columns=["abc", "xyz", "target_type", "target"],
    )
    series = series_frame(2, service_target=[NAN, 0.97])
    result = run_plan(PlanInputs(series=series, demand=demand, policy_table=table, options=PlanOptions()))
    assert list(result.plan["service_target"]) == [0.91, 0.97]


def test_engine_modules_do_not_import_django_themselves():
    import pathlib

    engine = pathlib.Path(sys.modules["replenish.engine"].__file__).parent
    for path in engine.glob("*.py"):
        text = path.read_text()
        assert "import django" not in text and "from django" not in text, path.name


@pytest.mark.parametrize(("n_series", "n_periods"), [(0, 20), (1, 30), (5, 1), (7, 30), (40, 60)])
def test_tiny_and_short_panels(n_series, n_periods):
    # (40, 60): the global model trains with lag 52 never available (an all-NaN feature)
    inputs = make_synthetic_panel(n_series, n_periods, seed=n_series)
    result = run_plan(inputs)
    assert len(result.plan) == n_series
    assert np.isfinite(result.plan[DECISION_COLUMNS].to_numpy(dtype=float)).all()


def test_default_plan_protects_the_lead_time_plus_one_nightly_review():
    # given 70 units every week (10 a day, no forecast error) and every receipt 3 days after its order
    series = pd.DataFrame(
        {"item_id": [1], "supplier_id": [1], "unit_cost": [10.0], "unit_price": [15.0], "pack_size": [20.0],
         "ordering_cost": [25.0], "holding_rate": [0.25]}
    )  # fmt: skip
    receipts = pd.DataFrame(
        {"supplier_id": [1] * 5, "item_id": [1] * 5, "lead_time_days": [3.0] * 5,
         "received_date": pd.to_datetime(["2026-01-05"] * 5)}
    )  # fmt: skip

    # when planned with the default options
    row = run_plan(
        PlanInputs(series=series, demand=np.full((1, 60), 70.0, dtype=np.float32), receipts=receipts)
    ).plan.iloc[0]

    # then the reorder point covers L + R = 3 + 1 days of demand, 10 x 4 = 40, plus the undershoot of a daily
    # review, (0 + 10 - 1) / 2 = 4.5 (a day's 10 units cross s by 0 to 9 units, variance 4.5^2 / 3); the order
    # quantity is the EOQ sqrt(2 x 3640 x 25 / (0.25 x 10)) = 269.8, rounded up to packs of 20: 280, so large that
    # the 98% fill target asks for a negative k, floored at -2: 44.5 - 2 x 4.5 / sqrt(3)
    assert PlanOptions().review_days == 1.0
    rop = 44.5 - 2 * 4.5 / np.sqrt(3)
    assert row["reorder_point"] == pytest.approx(rop)
    assert row["order_quantity"] == 280.0
    assert row["order_up_to"] == pytest.approx(rop + 280)


def test_an_approved_safety_stock_floor_raises_ss_rop_and_order_up_to_by_the_same_units():
    from replenish.engine import make_synthetic_panel, run_plan

    base = make_synthetic_panel(200, 60, seed=3)
    plain = run_plan(base).plan
    floored_inputs = make_synthetic_panel(200, 60, seed=3)
    floor = plain["safety_stock"].to_numpy() + 7.0  # 7 units above what the policy computes
    floor[100:] = np.nan  # only the first half has an approved floor
    floored_inputs.series = floored_inputs.series.assign(safety_stock_floor=floor)
    floored = run_plan(floored_inputs).plan
    np.testing.assert_allclose(floored["safety_stock"][:100], plain["safety_stock"][:100] + 7.0, atol=1e-6)
    np.testing.assert_allclose(floored["reorder_point"][:100], plain["reorder_point"][:100] + 7.0, atol=1e-6)
    np.testing.assert_allclose(floored["order_up_to"][:100], plain["order_up_to"][:100] + 7.0, atol=1e-6)
    assert (
        floored["flag_safety_stock_floor"][:100].all() and not floored["flag_safety_stock_floor"][100:].any()
    )
    np.testing.assert_allclose(floored["reorder_point"][100:], plain["reorder_point"][100:], atol=1e-9)
