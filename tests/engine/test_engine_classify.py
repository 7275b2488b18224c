import statistics

import numpy as np
import pytest

from replenish.engine.classify import abc_xyz, classify_demand, weekly_demand_cv

NAN = np.nan


def _hand_adi_cv2(values):
    """ADI = mean interval between successive non-zero periods; CV2 with the sample variance."""
    positions = [i for i, v in enumerate(values) if v == v and v > 0]
    sizes = [values[i] for i in positions]
    intervals = [b - a for a, b in zip(positions, positions[1:])]
    return statistics.mean(intervals), statistics.variance(sizes) / statistics.mean(sizes) ** 2


def test_four_syntetos_boylan_classes_on_hand_built_series():
    # given
    smooth = [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 6]
    erratic = [1, 20, 2, 30, 1, 25, 3, 18, 1, 22, 2, 28]
    intermittent = [0, 0, 5, 0, 0, 6, 0, 0, 5, 0, 0, 6]
    lumpy = [0, 0, 1, 0, 0, 30, 0, 0, 2, 0, 0, 50]
    demand = np.array([smooth, erratic, intermittent, lumpy], dtype=float)
    # when
    result = classify_demand(demand)
    # then
    assert list(result["demand_class"]) == ["smooth", "erratic", "intermittent", "lumpy"]
    for row, values in enumerate([smooth, erratic, intermittent, lumpy]):
        adi, cv2 = _hand_adi_cv2(values)
        assert result["adi"][row] == pytest.approx(adi)
        assert result["cv2"][row] == pytest.approx(cv2)
    assert result["adi"][2] == pytest.approx(3.0)  # demands at 2, 5, 8, 11


def test_adi_cutoff_is_inclusive_at_1_32():
    # 26 non-zero periods spanning 33 intervals: ADI = 33 / 25 = 1.32 exactly -> intermittent (ADI >= 1.32)
    positions = list(range(0, 25)) + [33]
    at_cutoff = np.zeros(34)
    at_cutoff[positions] = 4.0
    # 26 non-zero spanning 32 intervals: ADI = 32 / 25 = 1.28 -> smooth
    just_below = np.zeros(34)
    just_below[list(range(0, 25)) + [32]] = 4.0
    result = classify_demand(np.vstack([at_cutoff, just_below]))
    assert result["adi"][0] == pytest.approx(1.32)
    assert list(result["demand_class"]) == ["intermittent", "smooth"]


def test_cv2_cutoff_separates_smooth_from_erratic():
    # alternating sizes a, b over 12 periods: CV2 = ((a - b) / (a + b))^2 * 12 / 11 (sample variance)
    below = [331, 69] * 6  # (262 / 400)^2 * 12 / 11 = 0.468
    above = [337, 63] * 6  # (274 / 400)^2 * 12 / 11 = 0.512
    result = classify_demand(np.array([below, above], dtype=float))
    for row, values in enumerate([below, above]):
        assert result["cv2"][row] == pytest.approx(_hand_adi_cv2(values)[1])
    assert result["cv2"][0] < 0.49 < result["cv2"][1]
    assert list(result["demand_class"]) == ["smooth", "erratic"]


def test_nan_periods_are_ignored_and_short_histories_have_fallback_classes():
    demand = np.array(
        [
            [NAN, NAN, NAN, 5, 6, 5, 6],  # smooth once the history starts
            [NAN, NAN, 0, 0, 0, 0, 0],  # observed, never a demand
            [0, 0, 0, 7, 0, 0, 0],  # a single non-zero period
            [NAN] * 7,  # no history at all
            [4, NAN, 4, NAN, 4, 4, 4],  # holes ignored: still every observed period has demand
        ]
    )
    result = classify_demand(demand)
    assert list(result["demand_class"]) == ["smooth", "no_demand", "intermittent", "no_demand", "smooth"]
    assert np.isnan(result["adi"][2]) and np.isnan(result["cv2"][3])
    assert result["cv2"][4] == pytest.approx(0.0)


def test_abc_on_a_hand_computed_revenue_example():
    # sorted shares 0.5, 0.3, 0.1, 0.05, 0.03, 0.02; share of the ones before: 0, .5, .8, .9, .95, .98
    revenue = np.array([100.0, 20.0, 500.0, 30.0, 300.0, 50.0, 0.0, np.nan])
    result = abc_xyz(revenue, np.zeros(revenue.size))
    assert list(result["abc"]) == ["B", "C", "A", "C", "A", "B", "C", "C"]


def test_abc_cutoffs_are_parameters():
    revenue = np.array([500.0, 300.0, 100.0, 50.0, 30.0, 20.0])
    result = abc_xyz(revenue, np.zeros(6), a_cutoff=0.5, b_cutoff=0.9)
    # before-shares 0, .5, .8, .9, .95, .98: A < .5, B < .9
    assert list(result["abc"]) == ["A", "B", "B", "C", "C", "C"]


def test_xyz_by_coefficient_of_variation():
    cv = np.array([0.2, 0.5, 0.99, 1.0, np.nan, np.inf])
    result = abc_xyz(np.ones(6), cv)
    assert list(result["xyz"]) == ["X", "Y", "Y", "Z", "Z", "Z"]


def test_weekly_demand_cv_matches_population_statistics():
    values = [3.0, 0.0, 5.0, 2.0, 0.0, 6.0]
    demand = np.array([[NAN, *values], [0.0] * 7])
    cv = weekly_demand_cv(demand)
    assert cv[0] == pytest.approx(statistics.pstdev(values) / statistics.mean(values))
    assert np.isinf(cv[1])
