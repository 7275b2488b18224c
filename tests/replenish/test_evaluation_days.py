"""Pure helpers of the evaluation (replenish/evaluation/days.py): no database."""

import numpy as np
from scipy import stats

from replenish.evaluation.days import empirical_quantile, erp_min_max, gamma_quantile, spread_periods_to_days


def test_spreading_weeks_keeps_every_weeks_total_and_uses_its_own_days():
    # given 3 series x 4 weeks of demand
    weekly = np.array([[7, 0, 3, 50], [0, 0, 0, 0], [1, 2, 3, 4]])

    # when
    daily, lines = spread_periods_to_days(weekly, [7, 7, 7, 7], rng=np.random.default_rng(1))

    # then: each week's units stay in that week's 7 days, whole units, nothing invented
    assert daily.shape == (3, 28)
    assert lines is None
    assert (daily.reshape(3, 4, 7).sum(axis=2) == weekly).all()
    assert (daily == np.round(daily)).all() and (daily >= 0).all()


def test_order_lines_follow_the_line_size_and_one_line_per_period_for_slow_movers():
    # given a fast mover (about 4 units a line) and a slow mover (inf: every week's demand is one order)
    weekly = np.array([[40, 41, 0, 3], [5, 0, 2, 1]])

    # when
    daily, lines = spread_periods_to_days(
        weekly, [7] * 4, rng=np.random.default_rng(2), line_size=[4.0, np.inf]
    )

    # then: lines per week = clip(round(D / size), 1, D): 10, 10, 0, 1 for the fast mover; 1 for each week with
    # demand for the slow mover, which therefore lands on a single day of that week
    assert (lines.reshape(2, 4, 7).sum(axis=2) == [[10, 10, 0, 1], [1, 0, 1, 1]]).all()
    assert (daily.reshape(2, 4, 7).sum(axis=2) == weekly).all()
    assert ((daily.reshape(2, 4, 7)[1] > 0).sum(axis=1) == [1, 0, 1, 1]).all()
    # a day with units has at least one line and at least one unit per line
    assert ((daily > 0) == (lines > 0)).all()
    assert (daily >= lines).all()


def test_even_spread_is_deterministic_and_months_have_their_own_lengths():
    # given January (31 days) and February (28 days) demand
    monthly = np.array([[62, 30]])

    # when
    daily, lines = spread_periods_to_days(monthly, [31, 28], rng=np.random.default_rng(0), even=True)

    # then: 2 a day in January; 30 over 28 days = 1 a day plus the 2 left over, spaced out (days 7 and 21), not
    # on February's first two days
    assert lines is None
    assert daily[0, :31].tolist() == [2.0] * 31
    assert daily[0, 31:].tolist() == [1.0] * 6 + [2.0] + [1.0] * 13 + [2.0] + [1.0] * 7


def test_even_spread_spaces_a_slow_movers_few_units_over_the_period():
    # given a part selling 1, 2 and 3 units in three 30-day months
    monthly = np.array([[1, 2, 3]])

    # when
    daily, _ = spread_periods_to_days(monthly, [30, 30, 30], rng=np.random.default_rng(0), even=True)

    # then: each unit in the middle of its share of the month (day 15; days 8 and 23; days 5, 15 and 25), not on
    # the month's first days, which made every month a lump at its start
    days = [(day // 30, day % 30 + 1) for day in np.flatnonzero(daily[0])]
    assert days == [(0, 15), (1, 8), (1, 23), (2, 5), (2, 15), (2, 25)]
    assert daily.sum() == 6 and daily.max() == 1


def test_same_seed_same_days():
    weekly = np.random.default_rng(5).poisson(20, (50, 6))
    first = spread_periods_to_days(weekly, [7] * 6, rng=np.random.default_rng(9), line_size=3.0)
    second = spread_periods_to_days(weekly, [7] * 6, rng=np.random.default_rng(9), line_size=3.0)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def test_gamma_quantile_draws_from_the_supplier_distribution():
    # given series 0 with mean 20 days and sd 5 (gamma shape 16, scale 1.25), series 1 with no variability
    quantile = gamma_quantile([20.0, 9.0], [5.0, 0.0])
    u = np.random.default_rng(3).random(20_000)

    # when
    draws = quantile(u, np.zeros(u.size, dtype=np.int64))
    fixed = quantile(u[:10], np.ones(10, dtype=np.int64))

    # then
    assert stats.kstest(draws, stats.gamma(16.0, scale=1.25).cdf).pvalue > 0.001
    assert fixed.tolist() == [9.0] * 10


def test_empirical_quantile_bootstraps_each_suppliers_receipts_and_falls_back():
    # given supplier 7's receipts took 3, 5, 5, 9 days; supplier 8 has none
    quantile = empirical_quantile(
        [5, 9, 3, 5], [7, 7, 7, 7], series_group=[7, 8], fallback=lambda u, s: np.full(u.shape, 14.0)
    )

    # when: uniforms in the four quarters of (0, 1)
    u = np.array([0.1, 0.3, 0.6, 0.9])

    # then: the sorted sample 3, 5, 5, 9 (each receipt equally likely); the other series uses the fallback
    assert quantile(u, np.zeros(4, dtype=np.int64)).tolist() == [3, 5, 5, 9]
    assert quantile(u, np.ones(4, dtype=np.int64)).tolist() == [14.0] * 4


def test_erp_min_max_rule():
    # min = ceil(1.5 x average daily demand x lead time), max = min + ceil(8 x average weekly demand):
    # 70/week, 14 days: ceil(1.5 x 10 x 14) = 210, 210 + 560 = 770; 0.7/week, 10 days: ceil(1.5) = 2, 2 + ceil(5.6) = 8
    minimum, maximum = erp_min_max([70.0, 0.7], [14.0, 10.0])
    assert minimum.tolist() == [210.0, 2.0]
    assert maximum.tolist() == [770.0, 8.0]
