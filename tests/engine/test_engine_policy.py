import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from replenish.engine.policy import (
    PolicySettings,
    bound_order_quantity,
    compute_policy,
    discrete_reorder_point,
    discrete_stockout_probability,
    economic_order_quantity,
    inverse_normal_loss,
    lead_time_demand,
    negative_binomial_parameters,
    normal_loss,
    normal_stockout_probability,
    service_targets,
)


@pytest.mark.parametrize("k", [-2.0, -0.5, 0.0, 0.7, 1.5, 2.5, 3.5])
def test_normal_loss_equals_the_integral_of_the_tail(k):
    # G(k) = integral_k^inf (z - k) phi(z) dz
    expected, _ = integrate.quad(lambda z: (z - k) * stats.norm.pdf(z), k, np.inf)
    assert normal_loss(k) == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_normal_loss_table_values():
    # standard normal loss table (e.g. Silver-Pyke-Thomas appendix): G(0)=.3989, G(1)=.0833, G(2)=.0085
    np.testing.assert_allclose(normal_loss(np.array([0.0, 1.0, 2.0])), [0.3989, 0.0833, 0.0085], atol=5e-5)


def test_inverse_normal_loss_round_trips():
    k = np.linspace(-3.0, 4.5, 61)
    np.testing.assert_allclose(inverse_normal_loss(normal_loss(k)), k, atol=1e-7)


def test_fill_rate_safety_factor_textbook_example():
    # Q = 100, sd of lead-time demand = 50, fill rate 98 %: G(k) = 100 * 0.02 / 50 = 0.04;
    # the loss table gives G(1.36) = 0.0400 -> k = 1.36
    k = inverse_normal_loss(100 * (1 - 0.98) / 50)
    assert k == pytest.approx(1.36, abs=0.005)


def test_lead_time_demand_hand_formula():
    # 70 a week = 10 a day; weekly sd 14 -> daily 14 / sqrt(7); L = 9 days, sd_L = 2
    mean, sd = lead_time_demand(np.array([70.0]), np.array([14.0]), np.array([9.0]), np.array([2.0]))
    assert mean[0] == pytest.approx(90.0)
    assert sd[0] == pytest.approx(np.sqrt(9 * 14**2 / 7 + 10**2 * 2**2))  # sqrt(252 + 400)


def test_review_period_extends_the_protection_interval_but_not_its_lead_time_variance():
    mean, sd = lead_time_demand(np.array([70.0]), np.array([14.0]), np.array([9.0]), np.array([2.0]), 7.0)
    assert mean[0] == pytest.approx(160.0)
    assert sd[0] == pytest.approx(np.sqrt(16 * 28 + 100 * 4))


def test_lead_time_demand_sd_matches_monte_carlo():
    # demand over a random lead time: D | L ~ Normal(d L, L sd_d^2), L ~ Gamma(mean 12, sd 3)
    rng = np.random.default_rng(42)
    daily, daily_sd, lead_mean, lead_sd = 6.0, 4.0, 12.0, 3.0
    shape = (lead_mean / lead_sd) ** 2
    lead = rng.gamma(shape, lead_mean / shape, 400_000)
    demand = daily * lead + np.sqrt(lead) * daily_sd * rng.standard_normal(lead.size)
    mean, sd = lead_time_demand(
        np.array([daily * 7]), np.array([daily_sd * np.sqrt(7)]), np.array([lead_mean]), np.array([lead_sd])
    )
    assert demand.mean() == pytest.approx(mean[0], rel=0.005)
    assert demand.std() == pytest.approx(sd[0], rel=0.01)


def test_negative_binomial_moments_and_poisson_fallback():
    r, p, is_poisson = negative_binomial_parameters(np.array([4.0, 4.0, 0.0]), np.array([10.0, 3.0, 0.0]))
    assert stats.nbinom.mean(r[0], p[0]) == pytest.approx(4.0)
    assert stats.nbinom.var(r[0], p[0]) == pytest.approx(10.0)
    assert list(is_poisson) == [False, True, True]


def test_negative_binomial_cycle_service_reorder_point_equals_scipy_ppf():
    rng = np.random.default_rng(7)
    mean = rng.uniform(0.2, 40.0, 300)
    variance = mean * rng.uniform(0.5, 8.0, 300)
    alpha = rng.uniform(0.6, 0.995, 300)
    rop, resolved = discrete_reorder_point(
        mean, variance, fill_rate=np.zeros(300, bool), target=alpha, order_quantity=np.ones(300)
    )
    r, p, is_poisson = negative_binomial_parameters(mean, variance)
    expected = np.where(
        is_poisson,
        stats.poisson.ppf(alpha, mean),
        stats.nbinom.ppf(alpha, np.where(is_poisson, 1, r), np.where(is_poisson, 0.5, p)),
    )
    assert resolved.all()
    np.testing.assert_array_equal(rop, expected)


def test_negative_binomial_fill_rate_reorder_point_is_the_smallest_meeting_the_shortage_limit():
    mean, variance, quantity, beta = 6.0, 20.0, 15.0, 0.95
    rop, _ = discrete_reorder_point(
        np.array([mean]),
        np.array([variance]),
        fill_rate=np.array([True]),
        target=np.array([beta]),
        order_quantity=np.array([quantity]),
    )
    r, p, _ = negative_binomial_parameters(np.array([mean]), np.array([variance]))
    support = np.arange(0, 2000)
    pmf = stats.nbinom.pmf(support, r[0], p[0])

    def expected_shortage(s):
        return np.sum(np.clip(support - s, 0, None) * pmf)

    s = int(rop[0])
    assert expected_shortage(s) <= quantity * (1 - beta)
    assert expected_shortage(s - 1) > quantity * (1 - beta)


def test_stockout_probabilities_match_scipy_tails():
    position = np.array([-1.0, 0.0, 3.0, 7.5, 20.0])
    mean = np.full(5, 6.0)
    variance = np.full(5, 15.0)
    r, p, _ = negative_binomial_parameters(mean, variance)
    expected = np.where(position < 0, 1.0, stats.nbinom.sf(np.floor(np.maximum(position, 0)), r, p))
    np.testing.assert_allclose(discrete_stockout_probability(position, mean, variance), expected)
    np.testing.assert_allclose(
        normal_stockout_probability(position, mean, np.full(5, 3.0)), stats.norm.sf((position - 6.0) / 3.0)
    )
    assert list(normal_stockout_probability(np.array([5.0, 7.0]), np.array([6.0, 6.0]), np.zeros(2))) == [
        1.0,
        0.0,
    ]


def test_eoq_moq_pack_and_capacity_on_hand_cases():
    # D = 1200 a year, A = 50, r = 0.25, v = 12: EOQ = sqrt(2 * 1200 * 50 / 3) = 200
    assert economic_order_quantity(1200.0, 50.0, 0.25, 12.0) == pytest.approx(200.0)
    quantity, limited = bound_order_quantity(
        np.array([200.0, 200.0, 200.0, 200.0, 0.0]),
        np.array([0.0, 250.0, 250.0, 250.0, 250.0]),
        np.array([1.0, 1.0, 24.0, 24.0, 24.0]),
        np.array([np.nan, np.nan, np.nan, 200.0, np.nan]),
    )
    # MOQ lifts 200 to 250; 250 rounded up to packs of 24 is 264; room 200 holds 8 packs = 192; no demand -> 0
    assert list(quantity) == [200.0, 250.0, 264.0, 192.0, 0.0]
    assert list(limited) == [False, False, False, True, False]


def test_zero_unit_cost_has_no_eoq():
    assert np.isnan(economic_order_quantity(1200.0, 50.0, 0.25, 0.0))


# the textbook forms without the review-undershoot allowance (tested on its own below)
TEXTBOOK = PolicySettings(review_undershoot=False)


def _policy_frame(**overrides):
    row = {
        "forecast_weekly": 140.0,
        "forecast_sd_weekly": 35.0,
        "demand_class": "smooth",
        "lead_time_days": 14.0,
        "lead_time_sd_days": 3.0,
        "target_type": "cycle",
        "service_target": 0.95,
        "unit_cost": 10.0,
        "ordering_cost": 60.0,
        "holding_rate": 0.25,
        "moq": 0.0,
        "pack_size": 1.0,
        "capacity": np.nan,
        "inventory_position": 200.0,
    }
    row.update(overrides)
    return pd.DataFrame([row])


def test_cycle_service_policy_uses_z_times_sd():
    result = compute_policy(_policy_frame(), TEXTBOOK).iloc[0]
    mean, sd = 20.0 * 14, np.sqrt(14 * 35**2 / 7 + 20**2 * 3**2)
    assert result["lead_time_demand_distribution"] == "normal"
    assert result["safety_stock"] == pytest.approx(stats.norm.ppf(0.95) * sd)
    assert result["reorder_point"] == pytest.approx(mean + stats.norm.ppf(0.95) * sd)
    eoq = np.sqrt(2 * 140 * 52 * 60 / (0.25 * 10))
    assert result["order_quantity"] == pytest.approx(np.ceil(eoq))
    assert result["order_up_to"] == pytest.approx(result["reorder_point"] + np.ceil(eoq))
    assert result["stockout_probability"] == pytest.approx(stats.norm.sf((200 - mean) / sd))


def test_fill_rate_policy_meets_the_expected_shortage_target():
    result = compute_policy(_policy_frame(target_type="fill_rate", service_target=0.99), TEXTBOOK).iloc[0]
    sd = result["lead_time_demand_sd"]
    k = result["safety_stock"] / sd
    shortage, _ = integrate.quad(lambda z: (z - k) * stats.norm.pdf(z), k, np.inf)
    assert shortage * sd == pytest.approx(result["order_quantity"] * 0.01, rel=1e-5)


def test_slow_mover_uses_the_negative_binomial():
    frame = _policy_frame(
        forecast_weekly=2.1,
        forecast_sd_weekly=3.0,
        demand_class="lumpy",
        service_target=0.9,
        inventory_position=2.0,
    )
    result = compute_policy(frame).iloc[0]
    mean, sd = result["lead_time_demand_mean"], result["lead_time_demand_sd"]
    r, p, _ = negative_binomial_parameters(np.array([mean]), np.array([sd**2]))
    assert result["lead_time_demand_distribution"] == "negative_binomial"
    assert result["reorder_point"] == stats.nbinom.ppf(0.9, r[0], p[0])
    assert result["safety_stock"] == pytest.approx(result["reorder_point"] - mean)
    assert result["stockout_probability"] == pytest.approx(stats.nbinom.sf(2, r[0], p[0]))


def test_bad_costs_fall_back_to_weeks_of_cover_with_flags_and_no_nan():
    frame = pd.concat(
        [
            _policy_frame(unit_cost=0.0),
            _policy_frame(unit_cost=np.nan, holding_rate=np.nan),
            _policy_frame(forecast_weekly=0.0, forecast_sd_weekly=0.0),
            _policy_frame(forecast_weekly=np.nan, forecast_sd_weekly=np.nan, lead_time_days=np.nan),
        ],
        ignore_index=True,
    )
    result = compute_policy(frame, PolicySettings(fallback_cover_weeks=4.0))
    # every figure finite; the allocation price is NaN: no row was allocated (no group given)
    assert result["allocation_log_price"].isna().all()
    numeric = result.select_dtypes("number").drop(columns="allocation_log_price")
    assert np.isfinite(numeric.to_numpy()).all()
    assert list(result["flag_zero_cost"]) == [True, True, False, False]
    assert list(result["flag_eoq_fallback"][:2]) == [True, True]
    assert list(result["order_quantity"][:2]) == [560.0, 560.0]  # 4 weeks x 140
    assert list(result["order_quantity"][2:]) == [0.0, 0.0]
    assert list(result["reorder_point"][2:]) == [0.0, 0.0]


def test_static_min_max_is_the_fallback_without_history():
    frame = _policy_frame(
        forecast_weekly=0.0, forecast_sd_weekly=0.0, static_min=5.0, static_max=20.0, flag_no_history=True
    )
    result = compute_policy(frame).iloc[0]
    assert (result["reorder_point"], result["order_up_to"], result["order_quantity"]) == (5.0, 20.0, 15.0)
    assert result["flag_static_min_max_used"]


def test_service_targets_join_the_policy_table_and_overrides_win():
    table = pd.DataFrame(
        [("A", "X", "fill_rate", 0.98), ("C", "Z", "cycle", 0.9)],
        columns=["abc", "xyz", "target_type", "target"],
    )
    result = service_targets(
        pd.Series(["A", "C", "C", "B"]),
        pd.Series(["X", "Z", "Z", "Y"]),
        table,
        override=pd.Series([np.nan, 0.995, np.nan, np.nan]),
    )
    assert list(result["target_type"]) == ["fill_rate", "cycle", "cycle", "cycle"]
    assert list(result["service_target"]) == [0.98, 0.995, 0.9, 0.95]
    assert list(result["flag_no_policy_match"]) == [False, False, False, True]


def test_reorder_point_covers_the_undershoot_of_a_daily_review_measured_by_simulation():
    # given daily demand in order lines: D ~ negative binomial with mean 12 and variance 60 (weekly mean 84,
    # weekly sd sqrt(7 x 60)), reviewed once a day, and a 50% cycle target (k = 0: no safety stock)
    mean_d, var_d = 12.0, 60.0
    frame = _policy_frame(
        forecast_weekly=7 * mean_d, forecast_sd_weekly=np.sqrt(7 * var_d), lead_time_days=5.0,
        lead_time_sd_days=0.0, target_type="cycle", service_target=0.5, demand_class="smooth",
    )  # fmt: skip
    result = compute_policy(frame, PolicySettings(review_days=1.0)).iloc[0]

    # when an (s, S) position is run down by such days, far from s at each start
    rng = np.random.default_rng(5)
    p = mean_d / var_d
    r = mean_d * p / (1 - p)
    undershoots = []
    for _ in range(20_000):
        position = 1_000.0 + rng.integers(0, 400)
        while position > 0:
            position -= rng.negative_binomial(r, p)
        undershoots.append(-position)

    # then the reorder point sits above the mean demand over L + R by the measured mean undershoot (2%)
    allowance = result["reorder_point"] - result["lead_time_demand_mean"]
    assert allowance == pytest.approx(np.mean(undershoots), rel=0.02)
    assert allowance == pytest.approx((var_d / mean_d + mean_d - 1) / 2)
    without = compute_policy(frame, PolicySettings(review_days=1.0, review_undershoot=False)).iloc[0]
    assert without["reorder_point"] == pytest.approx(result["lead_time_demand_mean"])
