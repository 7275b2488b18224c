"""Forecast recursions against plain-Python recursions written here from the textbook definitions."""

import math

import numpy as np
import pandas as pd
import pytest

from replenish.engine.forecast import (
    METHODS,
    ForecastSettings,
    backtest_metrics,
    backtest_summary,
    forecast_panel,
    in_sample_naive_mae,
)
from replenish.engine.smoothing import (
    croston_sba_forecasts,
    holt_damped_forecasts,
    holt_winters_forecasts,
    naive_forecasts,
    ses_forecasts,
    tsb_forecasts,
)

NAN = float("nan")


def time_major(*series):
    return np.array(series, dtype=np.float32).T.copy()


def plain_ses(values, alpha):
    """One-step forecasts f[t] for t = 0..T (f[T] = next period); None before the first observation."""
    level, out = None, []
    for y in values:
        out.append(level)
        if y == y:
            level = y if level is None else level + alpha * (y - level)
    return out + [level]


def plain_croston_sba(values, alpha):
    size = interval = None
    since, seen, out = 0, False, []
    for y in values:
        out.append(None if not seen else (0.0 if size is None else (1 - alpha / 2) * size / interval))
        if y != y:
            continue
        seen = True
        since += 1
        if y > 0:
            if size is None:
                size, interval = y, since
            else:
                size += alpha * (y - size)
                interval += alpha * (since - interval)
            since = 0
    out.append(0.0 if size is None else (1 - alpha / 2) * size / interval)
    return out


def plain_tsb(values, alpha, beta):
    size = None
    probability, periods, seen, out = 0.0, 0, False, []
    for y in values:
        out.append(None if not seen else (0.0 if size is None else probability * size))
        if y != y:
            continue
        seen = True
        if size is None:
            periods += 1
            if y > 0:
                size, probability = y, 1.0 / periods
            continue
        probability += beta * ((1.0 if y > 0 else 0.0) - probability)
        if y > 0:
            size += alpha * (y - size)
    out.append(0.0 if size is None else probability * size)
    return out


def assert_matches(actual_column, expected):
    for got, want in zip(actual_column.tolist(), expected):
        if want is None:
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_ses_matches_the_recursion_by_hand():
    values = [3.0, 5.0, 4.0, 0.0, 6.0]
    result = ses_forecasts(time_major(values), alpha=0.3)
    assert_matches(result[:, 0], plain_ses(values, 0.3))
    # last level worked by hand: 3 -> 3.6 -> 3.72 -> 2.604 -> 3.6228
    assert result[-1, 0] == pytest.approx(3.6228, rel=1e-6)


def test_croston_sba_matches_the_recursion_by_hand():
    values = [0.0, 3.0, 0.0, 0.0, 5.0, 0.0, 2.0]
    result = croston_sba_forecasts(time_major(values, [NAN, NAN, 0.0, 4.0, 4.0, 0.0, 0.0]), alpha=0.2)
    assert_matches(result[:, 0], plain_croston_sba(values, 0.2))
    assert_matches(result[:, 1], plain_croston_sba([NAN, NAN, 0.0, 4.0, 4.0, 0.0, 0.0], 0.2))
    # after period 4 by hand: z = 3 + 0.2 (5 - 3) = 3.4; p = 2 + 0.2 (3 - 2) = 2.2; (1 - 0.1) z / p
    assert result[5, 0] == pytest.approx(0.9 * 3.4 / 2.2, rel=1e-6)


def test_tsb_matches_the_recursion_by_hand():
    values = [0.0, 3.0, 0.0, 0.0, 5.0, 0.0, 2.0]
    with_holes = [NAN, 0.0, 0.0, 4.0, NAN, 0.0, 6.0]
    result = tsb_forecasts(time_major(values, with_holes), alpha=0.2, beta=0.3)
    assert_matches(result[:, 0], plain_tsb(values, 0.2, 0.3))
    assert_matches(result[:, 1], plain_tsb(with_holes, 0.2, 0.3))
    # by hand: first demand at period 2 of history -> pi = 1/2, z = 3; then zeros: pi = .5*.7 = .35, .245;
    # demand 5: pi = .245 + .3 * .755 = .4715, z = 3.4; zero: pi = .33005 -> forecast .33005 * 3.4
    assert result[6, 0] == pytest.approx(0.33005 * 3.4, rel=1e-5)


def test_keep_from_returns_only_the_tail():
    values = [2.0, 4.0, 6.0, 8.0]
    full = ses_forecasts(time_major(values), alpha=0.5)
    tail = ses_forecasts(time_major(values), alpha=0.5, keep_from=2)
    np.testing.assert_allclose(tail[:, 0], full[2:, 0])


def test_damped_holt_matches_the_recursion_by_hand():
    values = [10.0, 12.0, 13.0, 15.0, 16.0, 18.0]
    alpha, beta, phi = 0.5, 0.3, 0.9
    level, trend, expected = values[0], 0.0, [None, values[0]]
    for y in values[1:]:
        fitted = level + phi * trend
        new_level = fitted + alpha * (y - fitted)
        trend = beta * (new_level - level) + (1 - beta) * phi * trend
        level = new_level
        expected.append(level + phi * trend)
    one_step, paths = holt_damped_forecasts(time_major(values), alpha=alpha, beta=beta, phi=phi, horizon=3)
    assert_matches(one_step[:, 0], expected)
    assert paths[:, 0] == pytest.approx(
        [level + phi * trend, level + (phi + phi**2) * trend, level + (phi + phi**2 + phi**3) * trend],
        rel=1e-5,
    )


def test_additive_holt_winters_matches_the_recursion_by_hand():
    season = 4
    values = [10.0, 20.0, 30.0, 20.0, 12.0, 21.0, 33.0, 19.0, 13.0, 23.0, 31.0, 22.0]
    alpha, beta, gamma = 0.3, 0.1, 0.2
    level = sum(values[:season]) / season
    seasonal = [y - level for y in values[:season]]
    trend, expected = 0.0, [None] * season
    for t in range(season, len(values)):
        expected.append(level + trend + seasonal[t % season])
        y = values[t]
        new_level = alpha * (y - seasonal[t % season]) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        seasonal[t % season] = gamma * (y - new_level) + (1 - gamma) * seasonal[t % season]
        level = new_level
    expected.append(level + trend + seasonal[len(values) % season])
    one_step, paths = holt_winters_forecasts(
        time_major(values), alpha=alpha, beta=beta, gamma=gamma, season_length=season, horizon=2
    )
    assert_matches(one_step[:, 0], expected)
    assert paths[1, 0] == pytest.approx(level + 2 * trend + seasonal[(len(values) + 1) % season], rel=1e-5)


def test_naive_forecast_carries_the_last_observation():
    result = naive_forecasts(time_major([NAN, 3.0, NAN, 5.0]))
    assert_matches(result[:, 0], [None, None, 3.0, 3.0, 5.0])


def test_mase_and_bias_against_hand_computation():
    # in-sample naive MAE over periods 0..3 of [2, 4, 1, 1]: (2 + 3 + 0) / 3 = 5/3
    demand = time_major([2.0, 4.0, 1.0, 1.0, 3.0, 0.0])
    scale = in_sample_naive_mae(demand, until=4)
    assert scale[0] == pytest.approx(5 / 3)
    # forecasts 2 and 1 for actuals 3 and 0: errors -1, +1 -> MAE 1, bias 0, RMSE 1
    metrics = backtest_metrics(demand[4:], np.array([[2.0], [1.0]]), scale)
    assert metrics.mase[0] == pytest.approx(1 / (5 / 3))
    assert metrics.bias[0] == pytest.approx(0.0)
    assert metrics.rmse[0] == pytest.approx(1.0)
    assert metrics.count[0] == 2


def test_zero_naive_scale_is_guarded():
    demand = time_major([0.0, 0.0, 0.0, 0.0, 5.0, 0.0], [NAN] * 6)
    scale = in_sample_naive_mae(demand, until=4)
    # no in-sample variation and no in-sample demand: mean |y| over the whole history = 5 / 6
    assert scale[0] == pytest.approx(5 / 6)
    assert scale[1] == 1.0


def test_forecast_panel_scores_ses_exactly_as_computed_by_hand():
    rng = np.random.default_rng(3)
    values = list(np.round(rng.normal(20, 3, 40)).astype(float))
    settings = ForecastSettings(backtest_periods=8, ses_alpha=0.15, use_global_model=False)
    result = forecast_panel(np.array([values]), pd.Series(["smooth"]), settings=settings)
    expected = plain_ses(values, 0.15)
    start = len(values) - 8
    errors = [expected[t] - values[t] for t in range(start, len(values))]
    scale = np.mean(np.abs(np.diff(values[:start])))
    assert result.mase_by_method.loc[0, "ses"] == pytest.approx(np.mean(np.abs(errors)) / scale, rel=1e-4)
    assert result.bias_by_method.loc[0, "ses"] == pytest.approx(np.mean(errors), rel=1e-4, abs=1e-4)
    method = result.frame.loc[0, "method"]
    assert method in {"ses", "holt_damped"}
    assert result.frame.loc[0, "mase"] == pytest.approx(result.mase_by_method.loc[0, method])
    if method == "ses":
        assert result.frame.loc[0, "forecast"] == pytest.approx(expected[-1], rel=1e-5)
        assert result.frame.loc[0, "forecast_sd"] == pytest.approx(
            np.sqrt(np.mean(np.square(errors))), rel=1e-4
        )


def test_method_choice_by_mase_is_the_lowest_mase_among_the_class_methods():
    rng = np.random.default_rng(11)
    occurs = rng.random((60, 60)) < 0.3
    intermittent = np.where(occurs, rng.integers(1, 6, (60, 60)), 0).astype(float)
    smooth = rng.poisson(30, (40, 60)).astype(float)
    demand = np.vstack([intermittent, smooth])
    labels = pd.Series(["intermittent"] * 60 + ["smooth"] * 40)
    result = forecast_panel(
        demand, labels, settings=ForecastSettings(use_global_model=False, selection_metric="mase")
    )
    allowed = {
        "intermittent": {"croston_sba", "tsb", "ses"},
        "smooth": {"ses", "holt_damped", "holt_winters"},
    }
    for row in range(100):
        candidates = result.mase_by_method.loc[row].dropna()
        assert set(candidates.index) <= allowed[labels[row]]
        assert result.frame.loc[row, "method"] == candidates.idxmin()
    assert result.mase_by_method.loc[:59, ["holt_damped", "holt_winters", "global_gbm"]].isna().all().all()
    assert result.mase_by_method.loc[60:, ["croston_sba", "tsb"]].isna().all().all()


def test_constant_series_has_exact_forecast_and_zero_sd():
    demand = np.full((1, 30), 4.0)
    result = forecast_panel(demand, pd.Series(["smooth"]), settings=ForecastSettings(use_global_model=False))
    assert result.frame.loc[0, "forecast"] == pytest.approx(4.0)
    assert result.frame.loc[0, "forecast_sd"] == pytest.approx(0.0)
    assert result.frame.loc[0, "mase"] == pytest.approx(0.0)
    np.testing.assert_allclose(result.horizon[0], 4.0)


def test_short_history_gets_a_poisson_floor_on_the_sd():
    demand = np.array([[NAN] * 28 + [9.0, 9.0]])
    result = forecast_panel(demand, pd.Series(["smooth"]), settings=ForecastSettings(use_global_model=False))
    row = result.frame.loc[0]
    assert row["n_backtest_residuals"] < 4
    assert row["forecast"] == pytest.approx(9.0)
    assert row["forecast_sd"] == pytest.approx(3.0)  # sqrt(9): the residual RMSE is 0


def test_no_history_and_no_demand_series_forecast_zero_without_nan():
    demand = np.array([[NAN] * 20, [0.0] * 20])
    result = forecast_panel(demand, pd.Series(["no_demand", "no_demand"]))
    assert list(result.frame["method"]) == ["none", "zero"]
    assert (result.frame["forecast"] == 0).all() and (result.frame["forecast_sd"] == 0).all()
    assert np.isnan(result.frame.loc[0, "mase"]) and result.frame.loc[1, "mase"] == 0.0


def test_global_model_learns_the_promotion_lift_on_fast_movers():
    rng = np.random.default_rng(5)
    n_series, n_periods = 300, 80
    base = rng.uniform(20, 60, n_series)[:, None]
    promo = rng.random((n_series, n_periods)) < 0.15
    demand = rng.poisson(base * np.where(promo, 2.5, 1.0)).astype(float)
    result = forecast_panel(
        demand, pd.Series(["smooth"] * n_series), promo=promo, settings=ForecastSettings(backtest_periods=10)
    )
    assert result.frame["is_fast_mover"].all()
    assert result.global_model is not None
    global_mase = result.mase_by_method["global_gbm"].mean()
    assert global_mase < 0.7 * result.mase_by_method["ses"].mean()
    assert (result.frame["method"] == "global_gbm").mean() > 0.8


def test_backtest_summary_compares_with_naive_by_class_and_method():
    rng = np.random.default_rng(2)
    demand = np.vstack(
        [np.where(rng.random((30, 40)) < 0.3, 3.0, 0.0), rng.poisson(25, (20, 40)).astype(float)]
    )
    labels = pd.Series(["intermittent"] * 30 + ["smooth"] * 20)
    result = forecast_panel(demand, labels, settings=ForecastSettings(use_global_model=False))
    summary = backtest_summary(result, labels)
    selected_smooth = summary[(summary["demand_class"] == "smooth") & (summary["method"] == "selected")].iloc[
        0
    ]
    chosen = result.frame["mase"].to_numpy()[30:50]
    naive = result.frame["naive_mase"].to_numpy()[30:50]
    assert selected_smooth["n_series"] == 20
    assert selected_smooth["mase_mean"] == pytest.approx(chosen.mean())
    assert selected_smooth["naive_mase_mean"] == pytest.approx(naive.mean())
    assert selected_smooth["share_beating_naive"] == pytest.approx((chosen < naive).mean())
    assert set(summary["method"]) >= {"selected", "croston_sba", "tsb", "ses", "holt_damped"}
    assert set(summary["demand_class"]) == {"all", "intermittent", "smooth"}
    per_method = summary[(summary["demand_class"] == "intermittent") & (summary["method"] == "tsb")].iloc[0]
    assert per_method["mase_mean"] == pytest.approx(result.mase_by_method["tsb"][:30].mean())
    assert set(METHODS) >= set(summary["method"]) - {"selected"}


def test_global_model_features_by_period_slices_equal_the_gathered_ones():
    from replenish.engine.global_model import _PanelFeatures

    rng = np.random.default_rng(9)
    demand = rng.poisson(10, (60, 25)).astype(np.float32)
    demand[:5, 3] = np.nan
    promo = rng.random((60, 25)) < 0.2
    promo_next = rng.random(25) < 0.5
    features = _PanelFeatures(demand, promo, np.full(25, 10.0), week_start=7)
    sliced = features.build_periods(50, 60, promo_next)
    rows = np.tile(np.arange(25), 11)
    periods = np.repeat(np.arange(50, 61), 25)
    np.testing.assert_allclose(sliced, features.build(rows, periods, promo_next), rtol=1e-6, equal_nan=True)
    # a hand check of one row: series 4 predicting period 55, lag 1 = demand[54] / 10, 4-week mean of 51..54
    row = (55 - 50) * 25 + 4
    assert sliced[row, 0] == pytest.approx(demand[54, 4] / 10)
    assert sliced[row, 5] == pytest.approx(demand[51:55, 4].mean() / 10, rel=1e-6)
    assert sliced[row, 7] == pytest.approx(demand[42:55, 4].std() / 10, rel=1e-4)


def test_method_choice_by_rmse_never_has_a_larger_backtest_rmse_than_the_choice_by_mase():
    # given lumpy and smooth series, where absolute error favours low forecasts (the median) and squared error the mean
    rng = np.random.default_rng(12)
    occurs = rng.random((80, 60)) < 0.3
    lumpy = np.where(occurs, rng.negative_binomial(1, 0.15, (80, 60)) + 1, 0).astype(float)
    smooth = rng.negative_binomial(2, 2 / 32, (40, 60)).astype(float)
    demand = np.vstack([lumpy, smooth])
    labels = pd.Series(["lumpy"] * 80 + ["erratic"] * 40)

    # when the method is chosen by RMSE (the default) and by MASE
    by_rmse = forecast_panel(demand, labels, settings=ForecastSettings(use_global_model=False))
    by_mase = forecast_panel(
        demand, labels, settings=ForecastSettings(use_global_model=False, selection_metric="mase")
    )

    # then, recomputed from each choice's backtest forecasts, the RMSE choice is never worse in RMSE
    def rmse(result):
        error = result.backtest_forecast.astype(float) - result.backtest_actual.astype(float)
        return np.sqrt(np.nanmean(error**2, axis=0))

    assert ForecastSettings().selection_metric == "rmse"
    assert (rmse(by_rmse) <= rmse(by_mase) + 1e-6).all()
    differ = by_rmse.frame["method"].astype(str) != by_mase.frame["method"].astype(str)
    assert differ.sum() > 0
    # and where they differ the squared-error choice forecasts a higher level on average (MAE pulls to the median)
    assert by_rmse.frame.loc[differ, "forecast"].mean() > by_mase.frame.loc[differ, "forecast"].mean()
