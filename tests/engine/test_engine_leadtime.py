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
    # planned on its recent mean, the drifting supplier's spread is the spread within the two regimes (each receipt
    # about its own regime's mean), not the long-run sd that counts the shift as spread; the stable one keeps its sd
    older = [d for d, when in zip(drifting, dates) if when < as_of - pd.Timedelta(days=90)]
    within = sum((d - statistics.mean(older)) ** 2 for d in older) + sum(
        (d - statistics.mean(recent)) ** 2 for d in recent
    )
    assert result.loc[1, "lead_time_sd"] == pytest.approx((within / (len(drifting) - 2)) ** 0.5)
    assert result.loc[1, "lead_time_sd"] < statistics.stdev(drifting) / 2
    assert result.loc[2, "lead_time_sd"] == pytest.approx(statistics.stdev(stable))


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


def test_a_significantly_lengthening_supplier_is_planned_on_its_recent_mean_below_the_shift_threshold():
    # 20 old receipts alternating 19 / 21 days, then 5 recent ones at 24 days (as_of 2025-12-31, 90-day window)
    old = [(1, 10, 19.0 + 2 * (k % 2), f"2025-0{1 + k // 4}-{10 + k % 4:02d}") for k in range(20)]
    recent = [(1, 10, 24.0, f"2025-12-{10 + k:02d}") for k in range(5)]
    # and a supplier-item whose recent receipts are within noise of its long-run mean
    steady = [(2, 20, 19.0 + 2 * (k % 2), f"2025-0{1 + k // 4}-{10 + k % 4:02d}") for k in range(20)]
    steady += [(2, 20, 21.0, "2025-12-10"), (2, 20, 19.0, "2025-12-11"), (2, 20, 21.0, "2025-12-12")]
    receipts = receipts_frame(old + recent + steady)
    settings = LeadTimeSettings(as_of=pd.Timestamp("2025-12-31"))
    result = learn_lead_times(receipts, contracted_frame([]), settings).set_index(["supplier_id", "item_id"])

    lengthening = result.loc[(1, 10)]
    values = [r[2] for r in old + recent]
    long_run, sd = statistics.mean(values), statistics.stdev(values)  # 20.8 days, sd about 1.87
    assert lengthening["lead_time_mean"] == pytest.approx(long_run)
    assert 24.0 / long_run - 1 < 0.25  # below the shift threshold: not "shifted"...
    assert 24.0 - long_run > 2.0 * sd / np.sqrt(5)  # ...but significantly longer
    assert lengthening["lead_time_planned"] == pytest.approx(24.0)

    steady_row = result.loc[(2, 20)]
    assert steady_row["lead_time_planned"] == pytest.approx(steady_row["lead_time_mean"])


def test_a_lengthening_supplier_lifts_items_whose_own_recent_receipts_are_too_few_to_show_it():
    # ten items of supplier 1: 20 noisy old receipts (12 / 28 days, sd 8) and 3 recent ones 3.5 days longer
    rows = []
    for item in range(10):
        rows += [
            (1, item, 12.0 + 16 * (k % 2) + item, f"2025-0{1 + k // 4}-{10 + k % 4:02d}") for k in range(20)
        ]
        rows += [(1, item, 23.5 + item, f"2025-12-{10 + k:02d}") for k in range(3)]
    receipts = receipts_frame(rows)
    settings = LeadTimeSettings(as_of=pd.Timestamp("2025-12-31"))
    result = learn_lead_times(receipts, contracted_frame([]), settings).set_index(["supplier_id", "item_id"])

    # independent figures from the raw receipts
    frame = receipts.assign(recent=receipts["received_date"] >= pd.Timestamp("2025-10-02"))
    supplier_mean = frame["lead_time_days"].mean()
    supplier_sd = frame["lead_time_days"].std()
    supplier_recent = frame.loc[frame["recent"], "lead_time_days"]
    assert supplier_recent.mean() - supplier_mean > 2 * supplier_sd / np.sqrt(len(supplier_recent))
    for item in (0, 9):
        own = frame[frame["item_id"] == item]
        own_mean, own_sd = own["lead_time_days"].mean(), own["lead_time_days"].std()
        own_recent = own.loc[own["recent"], "lead_time_days"].mean()
        assert own_recent - own_mean < 2 * own_sd / np.sqrt(3)  # the item alone shows no significant change
        expected = max(own_mean * supplier_recent.mean() / supplier_mean, own_recent)
        assert result.loc[(1, item), "lead_time_planned"] == pytest.approx(expected)
        assert result.loc[(1, item), "lead_time_mean"] == pytest.approx(own_mean)
