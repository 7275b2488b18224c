import statistics

import numpy as np
import pandas as pd
import pytest

from replenish.engine.leadtime import LeadTimeSettings, learn_lead_times


def receipts_frame(rows):
    frame = pd.DataFrame(rows, columns=["supplier_id", "item_id", "lead_time_days", "received_date"])
    frame["received_date"] = pd.to_datetime(frame["received_date"])
    return frame


def contracted_frame(rows):
    return pd.DataFrame(rows, columns=["supplier_id", "item_id", "contracted_lead_time_days"])


def test_fallbacks_supplier_item_then_supplier_then_contracted_then_default():
    receipts = receipts_frame(
        [
            (1, 10, 8.0, "2025-01-10"),
            (1, 10, 10.0, "2025-02-10"),
            (1, 10, 12.0, "2025-03-10"),
            (1, 11, 20.0, "2025-03-01"),  # supplier 1, item 11: one receipt only -> supplier pool
            (2, 20, 5.0, "2025-03-01"),  # supplier 2 has 2 receipts in all -> too few even pooled
            (2, 20, 7.0, "2025-03-05"),
        ]
    )
    contracted = contracted_frame([(1, 10, 9.0), (1, 11, 15.0), (2, 20, 6.0), (3, 30, 21.0), (4, 40, np.nan)])
    result = learn_lead_times(receipts, contracted).set_index(["supplier_id", "item_id"])

    own = result.loc[(1, 10)]
    assert own["source"] == "supplier_item"
    assert own["lead_time_mean"] == pytest.approx(10.0)
    assert own["lead_time_sd"] == pytest.approx(statistics.stdev([8.0, 10.0, 12.0]))
    assert own["n_samples"] == 3

    pooled = result.loc[(1, 11)]
    assert pooled["source"] == "supplier"
    assert pooled["lead_time_mean"] == pytest.approx(statistics.mean([8.0, 10.0, 12.0, 20.0]))
    assert pooled["lead_time_sd"] == pytest.approx(statistics.stdev([8.0, 10.0, 12.0, 20.0]))
    assert pooled["n_samples"] == 4
    assert not pooled["flag_no_lead_time_history"]

    for key, days in (((2, 20), 6.0), ((3, 30), 21.0)):
        contract = result.loc[key]
        assert contract["source"] == "contracted"
        assert contract["lead_time_mean"] == pytest.approx(days)
        assert contract["lead_time_sd"] == pytest.approx(0.25 * days)
        assert contract["flag_no_lead_time_history"]

    default = result.loc[(4, 40)]
    assert default["source"] == "default"
    assert default["lead_time_mean"] == pytest.approx(14.0)
    assert default["flag_no_lead_time_history"] and default["flag_no_contracted_lead_time"]


def test_drifting_supplier_is_flagged_unstable_and_planned_on_the_recent_mean():
    dates = pd.date_range("2025-01-01", periods=20, freq="14D")
    drifting = [10.0] * 14 + [16.0, 17.0, 16.0, 18.0, 17.0, 16.0]
    stable = [10.0, 11.0, 9.0, 10.0] * 5
    rows = [(1, 1, days, date) for days, date in zip(drifting, dates)]
    rows += [(2, 2, days, date) for days, date in zip(stable, dates)]
    receipts = receipts_frame(rows)
    result = learn_lead_times(receipts, contracted_frame([(1, 1, 10.0), (2, 2, 10.0)])).set_index("item_id")

    as_of = dates[-1]
    recent = [d for d, when in zip(drifting, dates) if when >= as_of - pd.Timedelta(days=90)]
    assert result.loc[1, "recent_mean"] == pytest.approx(statistics.mean(recent))
    assert result.loc[1, "shift_ratio"] == pytest.approx(statistics.mean(recent) / statistics.mean(drifting))
    assert result.loc[1, "unstable"]
    assert result.loc[1, "lead_time_planned"] == pytest.approx(statistics.mean(recent))
    assert not result.loc[2, "unstable"]
    assert result.loc[2, "lead_time_planned"] == pytest.approx(statistics.mean(stable))


def test_high_lead_time_variability_is_unstable_without_a_shift():
    dates = pd.date_range("2025-01-01", periods=12, freq="30D")
    erratic = [3.0, 25.0, 4.0, 30.0, 2.0, 28.0, 3.0, 26.0, 5.0, 27.0, 4.0, 20.0]
    receipts = receipts_frame([(1, 1, d, w) for d, w in zip(erratic, dates)])
    result = learn_lead_times(receipts, contracted_frame([(1, 1, 10.0)])).iloc[0]
    assert result["lead_time_cv"] == pytest.approx(statistics.stdev(erratic) / statistics.mean(erratic))
    assert result["lead_time_cv"] > 0.5
    assert result["unstable"]


def test_recent_window_keeps_at_least_the_last_k_receipts():
    dates = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2025-06-01"])
    receipts = receipts_frame([(1, 1, d, w) for d, w in zip([5.0, 6.0, 7.0, 8.0, 9.0], dates)])
    settings = LeadTimeSettings(recent_days=30, recent_min_receipts=3)
    result = learn_lead_times(receipts, contracted_frame([(1, 1, 7.0)]), settings).iloc[0]
    assert result["recent_mean"] == pytest.approx(statistics.mean([7.0, 8.0, 9.0]))


def test_invalid_receipts_are_ignored_and_empty_history_is_fine():
    receipts = receipts_frame([(1, 1, -3.0, "2025-01-01"), (1, 1, np.nan, "2025-01-02"), (1, 1, 4.0, None)])
    result = learn_lead_times(receipts, contracted_frame([(1, 1, 12.0)])).iloc[0]
    assert result["source"] == "contracted" and result["lead_time_mean"] == 12.0
    empty = learn_lead_times(receipts.iloc[0:0], contracted_frame([(1, 1, 12.0)])).iloc[0]
    assert empty["source"] == "contracted"
