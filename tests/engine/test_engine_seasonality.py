"""Pooled seasonal indices, seasonal lead-time demand and the EOQ cover bounds, against independent figures."""

import numpy as np
import pandas as pd
import pytest

from replenish.engine import PlanInputs, PlanOptions, run_plan
from replenish.engine.forecast import ForecastSettings, forecast_panel
from replenish.engine.policy import PolicySettings, compute_policy, horizon_demand
from replenish.engine.seasonality import SeasonalitySettings, group_profile, pooled_seasonal_indices

T = 104


def true_index(t, amplitude=0.3, phase=5.0):
    return 1.0 + amplitude * np.sin(2 * np.pi * (np.asarray(t, dtype=float) + phase) / 52)


def test_group_profile_recovers_a_sine_profile_and_extends_it_past_the_history():
    # given: a noise-free aggregate 100 x (1 + 0.3 sin(2 pi (t + 5) / 52)) over two years
    aggregate = 100.0 * true_index(np.arange(T))
    # when
    index, shrink = group_profile(aggregate, horizon=13, settings=SeasonalitySettings(harmonics=2))
    # then: the profile (and its next 13 weeks) is the sine itself, unshrunk
    np.testing.assert_allclose(index, true_index(np.arange(T + 13)), atol=1e-9)
    assert shrink == pytest.approx(1.0)


def test_group_profile_ignores_a_linear_trend():
    t = np.arange(T)
    aggregate = (100.0 + 0.5 * (t - t.mean())) * true_index(t, amplitude=0.2)
    index, _ = group_profile(aggregate, horizon=0, settings=SeasonalitySettings())
    # a pure trend would otherwise leak into the first harmonic; the profile stays within 2 % of the sine
    np.testing.assert_allclose(index, true_index(t, amplitude=0.2), atol=0.02)


def test_pooled_indices_by_category_shrink_noise_and_skip_late_starters():
    rng = np.random.default_rng(7)
    n_season, n_flat = 40, 40
    season = true_index(np.arange(T), amplitude=0.4, phase=-10.0)
    seasonal_members = rng.poisson(20.0 * season[:, None], (T, n_season)).astype(np.float32)
    flat_members = rng.poisson(20.0, (T, n_flat)).astype(np.float32)
    late = np.full((T, 1), 50.0, dtype=np.float32)
    late[:60] = np.nan  # starts late: must not enter the aggregate (it would put a step in it)
    loose = rng.poisson(5.0, (T, 1)).astype(np.float32)
    panel = np.concatenate([seasonal_members, flat_members, late, loose], axis=1)
    groups = ["tools"] * n_season + ["bearings"] * n_flat + ["tools", None]

    index = pooled_seasonal_indices(panel, pd.Series(groups), horizon=13)

    assert index is not None
    tools = index.for_series(np.array([0]), slice(0, T + 13))[:, 0]
    # the estimate from 40 Poisson series is close to the truth (independent: the generating sine)
    np.testing.assert_allclose(tools, true_index(np.arange(T + 13), amplitude=0.4, phase=-10.0), atol=0.05)
    # the late starter shares its category's profile
    np.testing.assert_allclose(index.for_series(np.array([n_season + n_flat]), slice(0, T))[:, 0], tools[:T])
    # a flat category's noise is shrunk to (almost) no seasonality
    bearings = index.for_series(np.array([n_season]), slice(0, T + 13))[:, 0]
    assert np.abs(bearings - 1.0).max() < 0.03
    # no category: index 1
    np.testing.assert_array_equal(index.for_series(np.array([panel.shape[1] - 1]), slice(0, T + 13)), 1.0)


def test_no_category_column_means_no_pooled_seasonality():
    assert pooled_seasonal_indices(np.ones((T, 3), dtype=np.float32), None, horizon=13) is None
    one_short = pooled_seasonal_indices(np.ones((30, 8), dtype=np.float32), ["a"] * 8, horizon=4)
    np.testing.assert_array_equal(one_short.table, 1.0)  # under one season of history: flat


def test_horizon_demand_equals_the_day_by_day_sum_of_the_daily_forecast():
    rng = np.random.default_rng(3)
    weekly = rng.uniform(0, 50, (6, 13))
    days = np.array([0.0, 3.0, 7.0, 17.5, 40.0, 100.0])  # 100 days runs past the 13 forecast weeks
    expected = []
    for row, total_days in zip(weekly, days):
        # independent: integrate the piecewise-constant daily rate over [0, days) with a fine grid
        grid = np.arange(0.0, total_days, 0.01) + 0.005
        week = np.minimum(np.floor(grid / 7).astype(int), 12)
        expected.append((row[week] / 7.0).sum() * 0.01)
    np.testing.assert_allclose(horizon_demand(weekly, days), expected, rtol=1e-3, atol=1e-6)


def test_seasonal_forecast_reseasonalizes_the_level_over_the_horizon():
    # demand exactly 10 x index_t: deseasonalized it is flat at 10, so SES predicts 10 and the forecast for period
    # T + h is 10 x index_{T + h}
    t = np.arange(T)
    panel = np.repeat((10.0 * true_index(t))[:, None], 6, axis=1).astype(np.float32)
    index = pooled_seasonal_indices(panel, ["c"] * 6, horizon=13)
    settings = ForecastSettings(use_global_model=False)
    result = forecast_panel(panel.T, np.array(["smooth"] * 6), settings=settings, seasonal=index)
    expected_horizon = 10.0 * true_index(np.arange(T, T + 13))
    np.testing.assert_allclose(result.horizon[0], expected_horizon, rtol=1e-4)
    assert result.frame["forecast"].iloc[0] == pytest.approx(10.0 * true_index(T), rel=1e-4)
    # the backtest compares the reseasonalized forecast with the raw demand: (almost) no error
    assert result.frame["forecast_sd"].iloc[0] < 1e-3
    # a shorter history (no Holt-Winters) without the index: the flat methods miss the season
    flat = forecast_panel(panel[4:].T, np.array(["smooth"] * 6), settings=settings)
    assert flat.frame["forecast_sd"].iloc[0] > 0.5


def test_policy_uses_the_given_protection_demand_and_the_design_sd_form():
    frame = pd.DataFrame(
        {
            "forecast_weekly": [70.0],
            "forecast_sd_weekly": [14.0],
            "demand_class": ["smooth"],
            "lead_time_days": [9.0],
            "lead_time_sd_days": [2.0],
            "target_type": ["cycle"],
            "service_target": [0.95],
            "unit_cost": [10.0],
            "ordering_cost": [25.0],
            "holding_rate": [0.25],
            "moq": [0.0],
            "pack_size": [1.0],
            "capacity": [np.nan],
            "inventory_position": [0.0],
            "protection_demand_mean": [130.0],  # a seasonal path: 13 a day on average over L + R = 10 days
            "lead_demand_mean": [117.0],
        }
    )
    out = compute_policy(frame, PolicySettings(review_days=1.0, review_undershoot=False)).iloc[0]
    assert out["lead_time_demand_mean"] == pytest.approx(130.0)
    expected_sd = np.sqrt(10 * 14**2 / 7 + 13.0**2 * 2.0**2)  # sqrt((L+R) sd_d^2 + dbar^2 sd_L^2)
    assert out["lead_time_demand_sd"] == pytest.approx(expected_sd)
    assert out["reorder_point"] == pytest.approx(130.0 + 1.6448536 * expected_sd, rel=1e-6)


@pytest.mark.parametrize(
    ("weekly", "unit_cost", "expected_weeks"),
    [
        (0.5, 2.0, 13.0),  # EOQ = sqrt(2 x 26 x 25 / 0.5) = 51 units = 102 weeks: capped at 13 weeks
        (500.0, 400.0, 1.0),  # EOQ = sqrt(2 x 26000 x 25 / 100) = 114 units = 0.23 weeks: raised to 1 week
        (20.0, 10.0, None),  # EOQ = sqrt(2 x 1040 x 25 / 2.5) = 144 units = 7.2 weeks: kept
    ],
)
def test_eoq_is_kept_between_the_weeks_of_supply_bounds(weekly, unit_cost, expected_weeks):
    frame = pd.DataFrame(
        {
            "forecast_weekly": [weekly],
            "forecast_sd_weekly": [1.0],
            "demand_class": ["smooth"],
            "lead_time_days": [7.0],
            "lead_time_sd_days": [0.0],
            "target_type": ["cycle"],
            "service_target": [0.9],
            "unit_cost": [unit_cost],
            "ordering_cost": [25.0],
            "holding_rate": [0.25],
            "moq": [0.0],
            "pack_size": [0.001],
            "capacity": [np.nan],
            "inventory_position": [0.0],
        }
    )
    eoq = np.sqrt(2 * weekly * 52 * 25.0 / (0.25 * unit_cost))
    expected = eoq if expected_weeks is None else expected_weeks * weekly
    out = compute_policy(frame, PolicySettings(min_cover_weeks=1.0, max_cover_weeks=13.0)).iloc[0]
    assert out["eoq"] == pytest.approx(expected, rel=1e-9)
    unbounded = compute_policy(frame, PolicySettings(min_cover_weeks=np.nan, max_cover_weeks=np.nan)).iloc[0]
    assert unbounded["eoq"] == pytest.approx(eoq, rel=1e-9)


def test_run_plan_with_categories_sums_the_seasonal_forecast_over_the_protection_interval():
    rng = np.random.default_rng(11)
    n, weeks = 40, 100  # 100 weeks: no Holt-Winters (it needs two full seasons), flat methods only
    t = np.arange(weeks)
    panel = rng.poisson(30.0 * true_index(t, amplitude=0.5, phase=0.0)[None, :], (n, weeks)).astype(
        np.float32
    )
    series = pd.DataFrame(
        {
            "unit_cost": np.full(n, 5.0),
            "unit_price": np.full(n, 8.0),
            "contracted_lead_time_days": np.full(n, 21.0),
            "ordering_cost": 25.0,
            "holding_rate": 0.25,
            "category": ["garden"] * n,
        }
    )
    options = PlanOptions(forecast=ForecastSettings(use_global_model=False))
    with_season = run_plan(PlanInputs(series=series, demand=panel, options=options)).plan
    without = run_plan(
        PlanInputs(series=series.drop(columns=["category"]), demand=panel, options=options)
    ).plan
    # the true expected demand over L + R = 22 days from the end of the history (independent of the engine: the
    # generating sine integrated day by day); the season is rising there, so d x (L + R) from a flat level is low
    days = 22.0
    grid = np.arange(0.0, days, 0.01) + 0.005
    truth = (30.0 * true_index(weeks + np.floor(grid / 7), amplitude=0.5, phase=0.0) / 7).sum() * 0.01
    assert with_season["lead_time_demand_mean"].mean() == pytest.approx(truth, rel=0.05)
    assert without["lead_time_demand_mean"].mean() < 0.9 * truth


def test_horizon_error_growth_is_sqrt_k_for_a_persistent_error_and_one_for_independent_errors():
    from replenish.engine.forecast import error_growth_at, horizon_error_growth

    rng = np.random.default_rng(5)
    n, periods = 400, 13
    forecast = np.full((periods, n), 10.0)
    # group "level": the demand sits 2 above the forecast every period -> the k-period error is 2k, so
    # MSE_k / (k MSE_1) = 4k^2 / 4k = k and R(k) = sqrt(k)
    persistent = forecast + 2.0
    # group "noise": independent errors -> R(k) close to 1
    noise = forecast + rng.normal(0, 3.0, (periods, n))
    actual = np.concatenate([persistent[:, :200], noise[:, 200:]], axis=1)
    groups = np.array(["level"] * 200 + ["noise"] * 200)
    growth = horizon_error_growth(actual, forecast, None, groups, max_weeks=6)
    np.testing.assert_allclose(growth.loc["level"].to_numpy(), np.sqrt(np.arange(1, 7)), rtol=1e-9)
    assert np.abs(growth.loc["noise"].to_numpy() - 1.0).max() < 0.12
    # interpolation between whole weeks: 2.5 weeks -> halfway between sqrt(2) and sqrt(3)
    at = error_growth_at(growth, np.array(["level", "noise", "unknown"]), np.array([2.5, 0.5, 4.0]))
    assert at[0] == pytest.approx((np.sqrt(2) + np.sqrt(3)) / 2)
    assert at[1] == pytest.approx(1.0)  # below a week: the one-step error itself
    assert at[2] == pytest.approx(1.0)  # a group without evidence: no growth


def test_fill_rate_reorder_point_allows_the_shortage_of_q_plus_the_expected_undershoot():
    from scipy import stats

    # a lumpy item: 0.5 a week, weekly sd 1.5, L + R = 15 days; Q fixed at 4 by MOQ = pack = 4
    frame = pd.DataFrame(
        {
            "forecast_weekly": [0.5],
            "forecast_sd_weekly": [1.5],
            "demand_class": ["lumpy"],
            "lead_time_days": [14.0],
            "lead_time_sd_days": [0.0],
            "target_type": ["fill_rate"],
            "service_target": [0.95],
            "unit_cost": [np.nan],  # no EOQ: 4 weeks of cover = 2, raised to the MOQ of 4
            "ordering_cost": [25.0],
            "holding_rate": [0.25],
            "moq": [4.0],
            "pack_size": [4.0],
            "capacity": [np.nan],
            "inventory_position": [0.0],
            "demand_size_mean": [5.0],
            "demand_size_cv2": [1.0],
        }
    )
    out = compute_policy(frame, PolicySettings(review_days=1.0, review_undershoot=False)).iloc[0]
    mean = 0.5 / 7 * 15
    variance = 15 * 1.5**2 / 7
    undershoot = (5.0 * (1 + 1.0) - 1) / 2  # 4.5
    allowed = (4.0 + undershoot) * (1 - 0.95)
    # independent: scipy's negative binomial with the same moments, expected shortage E[(X - s)^+] by summation
    p = mean / variance
    r = mean**2 / (variance - mean)
    x = np.arange(0, 2000)
    pmf = stats.nbinom.pmf(x, r, p)
    expected = next(s for s in range(200) if (np.maximum(x - s, 0) * pmf).sum() <= allowed + 1e-12)
    assert out["order_quantity"] == pytest.approx(4.0)
    assert out["reorder_point"] == expected
    without = compute_policy(
        frame.drop(columns=["demand_size_mean", "demand_size_cv2"]), PolicySettings(review_days=1.0)
    )
    assert without.iloc[0]["reorder_point"] >= expected
