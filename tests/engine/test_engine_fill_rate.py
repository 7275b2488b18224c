"""Exact fill-rate reorder points (engine/fill_rate.py) against brute-force enumeration of the fill rate."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from replenish.engine.fill_rate import (
    discrete_loss,
    discrete_reorder_point,
    discrete_reorder_point_search,
    fill_rate_mix_weight,
    inverse_normal_loss,
    mixed_fill_rate_point,
    negative_binomial_parameters,
    normal_fill_rate_factor,
    normal_loss,
    rounding_draw,
)
from replenish.engine.policy import PolicySettings, compute_policy


def enumerated_fill_rate(cdf, s: int, quantity: int) -> float:
    """The (s, Q) fill rate under unit demands by enumeration: the inventory position is uniform on s+1 .. s+Q
    (Hadley-Whitin), and a demand is filled when the position a lead time earlier exceeds the lead-time demand X:
    fill = mean over y of P(X <= y - 1)."""
    return float(np.mean([cdf(y - 1) for y in range(s + 1, s + quantity + 1)]))


def brute_force_reorder_point(cdf, quantity: int, beta: float) -> int:
    s = -quantity
    while enumerated_fill_rate(cdf, s, quantity) < beta:
        s += 1
    return s


def test_the_issue_example_poisson_3_lot_5_fill_86_66_gives_3_where_the_approximation_gave_4():
    # given Poisson(3) lead-time demand, Q = 5 and beta = 0.8666
    args = {"fill_rate": np.array([True]), "target": np.array([0.8666]), "order_quantity": np.array([5.0])}

    # when the reorder point is computed exactly and with the approximation n(s) <= Q (1 - beta)
    exact, _ = discrete_reorder_point(np.array([3.0]), np.array([3.0]), **args)
    approximate, _ = discrete_reorder_point(np.array([3.0]), np.array([3.0]), exact=False, **args)

    # then: fill(3) = 0.86663 by enumeration, fill(2) = 0.75365
    assert enumerated_fill_rate(lambda x: stats.poisson.cdf(x, 3.0), 3, 5) == pytest.approx(0.86663, abs=1e-5)
    assert exact[0] == 3 == brute_force_reorder_point(lambda x: stats.poisson.cdf(x, 3.0), 5, 0.8666)
    assert approximate[0] == 4


@pytest.mark.parametrize("quantity", [1, 2, 5, 12, 40])
@pytest.mark.parametrize("beta", [0.8, 0.9, 0.95, 0.99])
@pytest.mark.parametrize(
    ("mean", "variance"), [(0.7, 0.7), (3.0, 3.0), (14.0, 14.0), (2.0, 9.0), (9.0, 40.0)]
)
def test_discrete_fill_rate_reorder_point_matches_brute_force_enumeration(mean, variance, quantity, beta):
    r, p, is_poisson = negative_binomial_parameters(np.array([mean]), np.array([variance]))
    if is_poisson[0]:
        cdf = lambda x: stats.poisson.cdf(x, mean)  # noqa: E731
    else:
        cdf = lambda x: stats.nbinom.cdf(x, r[0], p[0])  # noqa: E731
    expected = brute_force_reorder_point(cdf, quantity, beta)

    point, resolved = discrete_reorder_point(
        np.array([mean]),
        np.array([variance]),
        fill_rate=np.array([True]),
        target=np.array([beta]),
        order_quantity=np.array([float(quantity)]),
    )

    assert resolved[0]
    assert point[0] == expected
    # and the point found meets the target while the one below does not
    assert enumerated_fill_rate(cdf, int(point[0]), quantity) >= beta
    assert enumerated_fill_rate(cdf, int(point[0]) - 1, quantity) < beta


def test_many_rows_at_once_give_the_row_by_row_answers():
    rng = np.random.default_rng(3)
    mean = rng.uniform(0.2, 30.0, 300)
    variance = mean * rng.choice([1.0, 1.5, 4.0], 300)
    quantity = rng.integers(1, 30, 300).astype(float)
    beta = rng.uniform(0.7, 0.99, 300)
    together, _ = discrete_reorder_point(
        mean, variance, fill_rate=np.ones(300, bool), target=beta, order_quantity=quantity
    )
    for i in range(0, 300, 37):
        alone, _ = discrete_reorder_point(
            mean[i : i + 1], variance[i : i + 1], fill_rate=np.array([True]), target=beta[i : i + 1],
            order_quantity=quantity[i : i + 1],
        )  # fmt: skip
        assert together[i] == alone[0]


@pytest.mark.parametrize(("mean", "variance"), [(3.0, 3.0), (0.4, 0.4), (6.0, 20.0), (25.0, 90.0)])
def test_discrete_loss_equals_the_sum_over_the_support_at_integer_and_real_points(mean, variance):
    r, p, is_poisson = negative_binomial_parameters(np.array([mean]), np.array([variance]))
    support = np.arange(0, 3000)
    pmf = stats.poisson.pmf(support, mean) if is_poisson[0] else stats.nbinom.pmf(support, r[0], p[0])
    points = np.array([-2.5, -1.0, 0.0, 0.5, 1.0, 2.0, 3.7, 8.0, 20.25, 60.0])
    expected = [float(np.sum(np.clip(support - x, 0.0, None) * pmf)) for x in points]
    got = discrete_loss(points, np.full(points.size, mean), np.full(points.size, variance))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cycle_over_sd", [0.05, 0.3, 1.0, 3.0, 10.0])
@pytest.mark.parametrize("beta", [0.6, 0.9, 0.98])
def test_normal_fill_rate_factor_meets_the_integrated_fill_rate(cycle_over_sd, beta):
    # the (s, Q) fill rate under normal lead-time demand (sd 1), position uniform on [k, k + c]:
    # fill = (1 / c) integral_k^{k+c} Phi(y) dy, computed by quadrature
    k = float(normal_fill_rate_factor(np.array([cycle_over_sd]), np.array([beta]))[0])

    def fill(at: float) -> float:
        value, _ = integrate.quad(stats.norm.cdf, at, at + cycle_over_sd)
        return value / cycle_over_sd

    assert fill(k) == pytest.approx(beta, abs=1e-7)
    # the approximation G(k) = c (1 - beta) asks for more stock wherever G(k + c) is not negligible
    assert normal_loss(k) - normal_loss(k + cycle_over_sd) == pytest.approx(
        cycle_over_sd * (1 - beta), rel=1e-6
    )


def test_policy_uses_the_exact_condition_and_the_flag_restores_the_approximation():
    # a fast mover with a small lot against its spread: Q = 1 week of demand, sd of lead-time demand large
    frame = {
        "forecast_weekly": [70.0], "forecast_sd_weekly": [60.0], "demand_class": ["smooth"],
        "lead_time_days": [21.0], "lead_time_sd_days": [6.0], "target_type": ["fill_rate"],
        "service_target": [0.9], "unit_cost": [10.0], "ordering_cost": [0.0], "holding_rate": [0.25],
        "moq": [0.0], "pack_size": [1.0], "capacity": [np.nan], "inventory_position": [0.0],
    }  # fmt: skip
    settings = PolicySettings(review_days=1.0, review_undershoot=False)
    exact = compute_policy(pd.DataFrame(frame), settings).iloc[0]
    approximate = compute_policy(
        pd.DataFrame(frame), PolicySettings(review_days=1.0, review_undershoot=False, exact_fill_rate=False)
    ).iloc[0]
    sd, quantity, k = exact["lead_time_demand_sd"], exact["order_quantity"], exact["safety_factor"]
    assert sd * (normal_loss(k) - normal_loss(k + quantity / sd)) == pytest.approx(quantity * 0.1, rel=1e-6)
    assert exact["reorder_point"] < approximate["reorder_point"]


@pytest.mark.parametrize(
    "mean, variance, quantity, beta",
    [(0.3, 0.3, 1, 0.9), (0.8, 2.0, 2, 0.9), (3.0, 3.0, 5, 0.95), (6.0, 15.0, 4, 0.98), (1.5, 4.0, 3, 0.78)],
)
def test_mixed_rounding_meets_the_fill_rate_exactly_in_expectation(mean, variance, quantity, beta):
    # given a slow mover whose smallest reorder point meeting the target over-serves it (brute force)
    if variance > mean:
        p = mean / variance
        cdf = stats.nbinom(mean**2 / (variance - mean), p).cdf
    else:
        cdf = stats.poisson(mean).cdf
    s = brute_force_reorder_point(cdf, quantity, beta)
    above, below = enumerated_fill_rate(cdf, s, quantity), enumerated_fill_rate(cdf, s - 1, quantity)
    assert below < beta <= above

    # when 10,000 SKU-locations with consecutive ids mix s and s - 1 by their fixed draws
    n = 10_000
    ones = np.ones(n)
    chosen = mixed_fill_rate_point(
        s * ones,
        mean * ones,
        variance * ones,
        quantity * ones,
        beta * ones,
        rounding_draw(np.arange(1, n + 1)),
    )

    # then each is s or s - 1, and their average enumerated fill rate is the target, not the step above it
    assert set(np.unique(chosen)) <= {s - 1.0, s}
    share_at_s = float(np.mean(chosen == s))
    assert share_at_s * above + (1 - share_at_s) * below == pytest.approx(beta, abs=1e-3)
    # the weight alone: the expected fill of the mix is the target exactly
    weight = float(fill_rate_mix_weight(np.array([s]), np.array([mean]), np.array([variance]), np.array([quantity]),
                                        np.array([beta]))[0])  # fmt: skip
    assert weight * above + (1 - weight) * below == pytest.approx(beta, abs=1e-9)


def test_the_policy_mixes_only_where_a_draw_is_given_and_the_setting_is_on():
    frame = pd.DataFrame(
        {
            "forecast_weekly": [0.3] * 40, "forecast_sd_weekly": [0.6] * 40, "demand_class": ["intermittent"] * 40,
            "lead_time_days": [14.0] * 40, "lead_time_sd_days": [3.0] * 40, "target_type": ["fill_rate"] * 40,
            "service_target": [0.9] * 40, "unit_cost": [10.0] * 40, "ordering_cost": [25.0] * 40,
            "holding_rate": [0.25] * 40, "moq": [0.0] * 40, "pack_size": [1.0] * 40, "capacity": [np.nan] * 40,
            "inventory_position": [0.0] * 40,
        }
    )  # fmt: skip
    smallest = compute_policy(frame)["reorder_point"].to_numpy()
    assert np.unique(smallest).size == 1  # identical rows: one smallest s
    mixed = compute_policy(frame.assign(rounding_draw=rounding_draw(np.arange(40))))[
        "reorder_point"
    ].to_numpy()
    assert set(np.unique(mixed)) == {smallest[0] - 1, smallest[0]}
    off = compute_policy(
        frame.assign(rounding_draw=rounding_draw(np.arange(40))), PolicySettings(mixed_rounding=False)
    )["reorder_point"].to_numpy()
    assert (off == smallest).all()


def test_the_search_returns_the_units_short_at_its_point_and_one_below_as_enumerated():
    # given slow movers whose exact fill-rate point lies at, and well below, the approximation's
    rng = np.random.default_rng(11)
    mean = rng.uniform(0.3, 25.0, 60)
    variance = mean * rng.choice([1.0, 2.5, 6.0], 60)
    quantity = rng.uniform(1.0, 40.0, 60)
    beta = rng.uniform(0.75, 0.99, 60)

    # when the exact search runs
    found = discrete_reorder_point_search(
        mean, variance, fill_rate=np.ones(60, bool), target=beta, order_quantity=quantity
    )

    # then each shortage it reports is n(x) - n(x + q) summed over the support, at s and at s - 1
    r, p, is_poisson = negative_binomial_parameters(mean, variance)
    support = np.arange(0, 4000)
    reported = 0
    for i in range(60):
        pmf = stats.poisson.pmf(support, mean[i]) if is_poisson[i] else stats.nbinom.pmf(support, r[i], p[i])

        def loss(x: float, pmf=pmf) -> float:
            return float(np.sum(np.clip(support - x, 0.0, None) * pmf)) + max(-x, 0.0) * (1.0 - pmf.sum())

        s = found.reorder_point[i]
        for x, shortage in ((s, found.shortage_at[i]), (s - 1.0, found.shortage_below[i])):
            if np.isfinite(shortage):
                reported += 1
                assert shortage == pytest.approx(loss(x) - loss(x + quantity[i]), rel=1e-9, abs=1e-12)
        assert found.shortage_at[i] <= quantity[i] * (1 - beta[i]) + 1e-12 or np.isnan(found.shortage_at[i])
        assert np.isnan(found.shortage_below[i]) or found.shortage_below[i] > quantity[i] * (1 - beta[i])
    assert reported >= 60  # most rows report both


def test_the_normal_fill_rate_factor_is_the_plain_bisection_to_the_last_bit():
    # given lots from far below to far above the lead-time demand's spread and targets from 0.5 to 0.9999
    rng = np.random.default_rng(5)
    cycle_over_sd = np.exp(rng.uniform(np.log(0.01), np.log(50.0), 3000))
    beta = rng.uniform(0.5, 0.9999, 3000)

    # when the factor is computed (it evaluates G only near the root)
    k = normal_fill_rate_factor(cycle_over_sd, beta)

    # then it is the 40-step bisection of G(k) - G(k + c) <= c (1 - beta) on [-6, G^-1(c (1 - beta))], evaluating
    # every midpoint, wherever G(k0 + c) is not negligible
    def loss(x):
        return stats.norm.pdf(x) - x * stats.norm.sf(x)

    allowed = cycle_over_sd * (1 - beta)
    start = inverse_normal_loss(allowed)
    refined = loss(start + cycle_over_sd) > 1e-9 * allowed
    assert refined.sum() > 1000
    low, high = np.full(3000, -6.0), start.copy()
    for _ in range(40):
        middle = (low + high) / 2.0
        meets = loss(middle) - loss(middle + cycle_over_sd) <= allowed
        high, low = np.where(meets, middle, high), np.where(meets, low, middle)
    np.testing.assert_array_equal(k, np.where(refined, high, start))
