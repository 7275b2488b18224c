import numpy as np
import pandas as pd
import pytest

from replenish.engine.projection import clean_open_supply, project_inventory


def supply(rows):
    return pd.DataFrame(
        rows, columns=["series", "po_line_id", "quantity", "arrival_day", "expedite_days", "kind"]
    )


def test_stockout_day_on_a_hand_example():
    # available = 10 - 2 - 1 = 7; 7 a week = 1 a day; 5 arrive on day 3; 100 arrive after the horizon.
    # End of day t: 7 - (t + 1) + 5 [t >= 3] -> 6, 5, 4, 8, 7, ..., 12 - (t + 1) < 0 first at t = 12
    frame, daily = project_inventory(
        np.array([10.0]),
        np.array([2.0]),
        np.array([1.0]),
        np.array([7.0]),
        supply([(0, 1, 5.0, 3, 0, "po"), (0, 2, 100.0, 200, 0, "po")]),
        np.array([5.0]),
        horizon_days=30,
        return_daily=True,
    )
    row = frame.iloc[0]
    assert row["available"] == 7.0
    assert row["on_order"] == 105.0
    assert row["inventory_position"] == 112.0
    assert row["projected_stockout_day"] == 12
    assert row["projected_at_lead_time"] == pytest.approx(12 - 5)  # end of day 4
    np.testing.assert_allclose(daily[0, :5], [6.0, 5.0, 4.0, 8.0, 7.0])


def test_no_stockout_within_the_horizon_is_nan_and_backorders_stock_out_today():
    frame, _ = project_inventory(
        np.array([100.0, 0.0, 5.0]),
        np.zeros(3),
        np.array([0.0, 3.0, 0.0]),
        np.array([7.0, 7.0, 0.0]),
        supply([]),
        np.array([10.0, 10.0, 10.0]),
        horizon_days=30,
    )
    assert np.isnan(frame.loc[0, "projected_stockout_day"])
    assert frame.loc[1, "projected_stockout_day"] == 0
    assert np.isnan(frame.loc[2, "projected_stockout_day"])  # no demand


def test_weekly_horizon_forecast_changes_the_daily_rate_by_week():
    # week 0: 7 a week (1 a day), week 1 onwards: 70 a week (10 a day); 20 available
    # end of day 6: 13; day 7: 3; day 8: -7 -> stockout day 8
    frame, _ = project_inventory(
        np.array([20.0]),
        np.zeros(1),
        np.zeros(1),
        np.array([[7.0, 70.0]]),
        supply([]),
        np.array([3.0]),
        horizon_days=20,
    )
    assert frame.loc[0, "projected_stockout_day"] == 8


def test_open_supply_cleaning_handles_overdue_bad_and_foreign_rows():
    raw = supply(
        [
            (1, 7, 10.0, -4, 0, "po"),  # overdue: arrives today
            (0, 8, -5.0, 2, 0, "po"),  # negative quantity -> 0
            (9, 9, 10.0, 2, 0, "po"),  # unknown series dropped
            (0, None, 3.0, np.nan, None, None),
        ]
    )
    clean = clean_open_supply(raw, n_series=2)
    assert list(clean["series"]) == [0, 0, 1]
    assert list(clean["quantity"]) == [0.0, 3.0, 10.0]
    assert list(clean["arrival_day"]) == [2, 0, 0]
    assert list(clean["kind"]) == ["po", "po", "po"]
