"""Detectors on hand-built frames (no database): each rule fires where it should and only there."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from exceptions import detectors
from replenish.engine.value import DEFAULT_SETTINGS

AS_OF = date(2026, 11, 23)
REVIEW = 1.0  # the review period of the decision horizon (days)


def lead_time_demand(weekly, weekly_sd, lead, lead_sd, review=REVIEW):
    """Mean and sd of demand over lead time + review (Silver-Pyke-Thomas 6.14-6.15), computed here by hand."""
    days = lead + review
    return weekly / 7 * days, np.sqrt(days * weekly_sd**2 / 7 + (weekly / 7) ** 2 * lead_sd**2)


def expected_shortage(position, mean, sd):
    k = (position - mean) / sd
    return sd * (stats.norm.pdf(k) - k * stats.norm.sf(k))


def plan(il: int, **kw) -> dict:
    row = {
        "item_location_id": il,
        "item_id": il,
        "location_id": 1,
        "buyer_id": 7,
        "category": "Fasteners",
        "unit_cost": 10.0,
        "unit_price": 16.0,
        "base_uom": "EA",
        "on_hand": 50.0,
        "allocated": 0.0,
        "backordered": 0.0,
        "supplier_id": 3,
        "purchase_uom": "EA",
        "supplier_item_cost": 10.0,
        "has_uom_conversion": True,
        "abc": "A",
        "xyz": "X",
        "forecast_weekly": 70.0,
        "forecast_sd_weekly": 14.0,
        "mase": 0.6,
        "lead_time_mean": 14.0,
        "lead_time_sd": 3.0,
        "lead_time_source": "supplier_item",
        "lead_time_unstable": False,
        "reorder_point": 170.0,
        "safety_stock": 30.0,
        "order_up_to": 400.0,
        "inventory_position": 300.0,
        "stockout_probability": 0.1,
        "stockout_day": np.nan,
        "flags": [],
        "projected_stockout_date": None,
        "plan_id": il,
    }
    row.update(kw)
    return row


REC_COLUMNS = [
    "recommendation_id",
    "item_location_id",
    "action",
    "quantity",
    "due_day",
    "new_day",
    "po_line_id",
    "factors",
    "reason",
]
PO_COLUMNS = [
    "po_line_id",
    "item_location_id",
    "supplier_id",
    "po_number",
    "quantity_open",
    "unit_cost",
    "promised_day",
    "acknowledged_day",
    "asn_day",
]
SO_COLUMNS = [
    "line_id",
    "item_location_id",
    "customer",
    "tiered",
    "penalty_per_line",
    "penalty_rate",
    "quantity_unallocated",
    "unit_price",
    "requested_day",
    "backordered",
    "service_at_risk",  # the customer-service queue holds the line (its order-line ATP found it short)
    "service_short_units",
]


def detect(plans, recs=(), po=(), so=()):
    return detectors.detect_chunk(
        plans=pd.DataFrame(plans),
        recs=pd.DataFrame(list(recs), columns=REC_COLUMNS),
        po_lines=pd.DataFrame(list(po), columns=PO_COLUMNS),
        so_lines=pd.DataFrame([tuple(r) + (False, 0.0)[len(r) - 10 :] for r in so], columns=SO_COLUMNS),
        as_of=AS_OF,
    )


def by_type(frame, kind):
    return frame[frame["type"] == kind].set_index("item_location_id")


def test_stockout_within_lead_time_only():
    det = detect(
        [
            plan(1, stockout_day=9.0, inventory_position=100.0, stockout_probability=0.6),
            plan(2, stockout_day=30.0),
            plan(3),
        ]
    )
    rows = by_type(det, "stockout_risk")
    assert list(rows.index) == [1]
    mean, sd = lead_time_demand(70.0, 14.0, 14.0, 3.0)
    assert rows.loc[1, "expected_short_units"] == pytest.approx(expected_shortage(100.0, mean, sd))
    assert rows.loc[1, "unit_margin"] == pytest.approx(6.0)
    assert rows.loc[1, "feasibility"] == 1.0  # no action: nothing to be late


def test_recommendations_are_linked_once_and_priced():
    plans = [plan(1, stockout_day=5.0), plan(2, stockout_day=50.0), plan(3, inventory_position=2000.0)]
    recs = [
        (11, 1, "expedite", 100, 0.0, 4.0, 501, {}, "Expedite"),
        (12, 1, "purchase_order", 240, 0.0, np.nan, None, {}, "Order"),
        (13, 2, "purchase_order", 240, 2.0, np.nan, None, {}, "Order"),
        (14, 3, "defer", 500, 0.0, 60.0, 502, {}, "Defer"),
    ]
    po = [
        (501, 1, 3, "PO1", 100.0, 9.0, 12.0, np.nan, np.nan),
        (502, 3, 3, "PO2", 500.0, 10.0, 20.0, np.nan, np.nan),
    ]
    det = detect(plans, recs, po)
    linked = det.dropna(subset=["recommendation_id"]).set_index("recommendation_id")
    assert linked.loc[11, "type"] == "stockout_risk"  # the expedite is preferred for the stockout
    assert linked.loc[12, "type"] == "reorder_due"  # the second supply action of the same SKU-location
    assert linked.loc[13, "type"] == "reorder_due"
    assert linked.loc[14, "type"] == "excess"
    # deferring the 500-unit line (day 20 -> 60: 40 days) avoids holding min(excess, 500) units 40 days:
    # excess = 2000 - (400 + 8 x 70) = 1040 units; 500 x 10.00 x 25 % x 40 / 365, under the 50 % write-down cap
    assert linked.loc[14, "holding_cost"] == pytest.approx(500 * 10.0 * 0.25 * (40 / 7) / 52)
    assert linked.loc[14, "due_day"] == 7.0  # due in on day 20: defer within the week
    assert det["recommendation_id"].dropna().is_unique
    # expedite: fee 75 + 4 % of 100 x 9.00; arrives day 4 ~ N(4, 3) before the stockout on day 5
    assert linked.loc[11, "action_cost"] == pytest.approx(75 + 0.04 * 900)
    assert linked.loc[11, "feasibility"] == pytest.approx(stats.norm.cdf((5 - 4) / 3))
    # purchase order due day 2 with a 14-day lead time; nothing runs out within the horizon -> feasibility 1
    assert linked.loc[13, "feasibility"] == 1.0


def test_inbound_late_when_the_asn_or_acknowledgement_is_after_the_need_date():
    plans = [plan(1), plan(2), plan(3, stockout_day=6.0)]
    po = [
        (601, 1, 3, "PO-LATE", 80.0, 10.0, 10.0, np.nan, 15.0),  # ASN 5 days after the promise
        (602, 2, 3, "PO-OK", 80.0, 10.0, 10.0, 9.0, 10.0),  # on time
        (
            603,
            3,
            3,
            "PO-STOCKOUT",
            80.0,
            10.0,
            10.0,
            8.0,
            np.nan,
        ),  # acknowledged day 8, after the stockout on day 6
    ]
    rows = by_type(detect(plans, po=po), "inbound_late")
    assert sorted(rows.index) == [1, 3]
    assert rows.loc[1, "has_asn"] and not rows.loc[3, "has_asn"]
    # short units = min(late units, daily demand x days late) x P(stockout) = min(80, 10 x 5) x 0.1
    assert rows.loc[1, "expected_short_units"] == pytest.approx(50.0 * 0.1)
    assert rows.loc[3, "expected_short_units"] == pytest.approx(20.0 * 0.1)
    assert rows.loc[1, "lost_margin"] == pytest.approx(50.0 * 0.1 * 6.0)
    assert rows.loc[1, "facts"]["lines"][0]["po_number"] == "PO-LATE"


def test_tiered_orders_at_risk_carry_their_margin_and_penalties():
    plans = [plan(1, stockout_day=4.0), plan(2)]
    # the detector counts exactly the tiered lines the customer-service queue holds (ATP short), on their short units
    so = [
        (1, 1, "Platinum Co", True, 150.0, 0.10, 20.0, 15.0, 6.0, False, True, 20.0),  # held: 20 short
        (2, 1, "Gold Co", True, 50.0, 0.05, 10.0, 15.0, 1.0, False, False, 0.0),  # ATP covers it
        (3, 2, "Gold Co", True, 50.0, 0.05, 5.0, 15.0, 3.0, True, True, 5.0),  # held: 5 short
        (4, 2, "Standard Co", False, 0.0, 0.0, 5.0, 15.0, -2.0, True, True, 5.0),  # not tiered
    ]
    rows = by_type(detect(plans, so=so), "order_at_risk")
    assert sorted(rows.index) == [1, 2]
    assert rows.loc[1, "facts"]["tiered_lines"] == 1 and rows.loc[2, "facts"]["tiered_lines"] == 1
    # the units at the line's own margin (15.00 - 10.00 cost), never the revenue
    assert rows.loc[1, "order_exposure"] == pytest.approx(20 * 5.0)
    assert rows.loc[1, "tier_penalties"] == pytest.approx(150 + 0.10 * 300)
    assert rows.loc[2, "tier_penalties"] == pytest.approx(50 + 0.05 * 75)


def test_excess_holding_cost_and_master_data_faults():
    plans = [
        plan(1, inventory_position=1500.0),  # 1500 - (400 + 8 x 70) = 540 units over
        plan(2, inventory_position=900.0),  # 900 < 960: not excess
        plan(3, inventory_position=5000.0, flags=["flag_no_history"]),  # new item: never excess
        plan(4, unit_cost=0.0, purchase_uom="CS", has_uom_conversion=False, lead_time_source="default"),
    ]
    det = detect(plans)
    excess = by_type(det, "excess")
    assert list(excess.index) == [1]
    # no PO line to stop: waiting one decision horizon (14 + 1 days) holds the 540 excess units that long
    assert excess.loc[1, "holding_cost"] == pytest.approx(540 * 10.0 * 0.25 * (15 / 7) / 52)
    # the capital is a fact beside it, with the holding over the whole cover (540 / 70 weeks)
    assert excess.loc[1, "basis"]["capital"] == pytest.approx(5400.0)
    assert excess.loc[1, "basis"]["holding_over_cover"] == pytest.approx(
        5400.0 * 0.25 * (540 / 70) / 52, abs=0.01
    )
    faults = by_type(det, "master_data")
    assert list(faults.index) == [4]
    assert faults.loc[4, "facts"]["faults"] == ["missing_lead_time", "uom_mismatch", "zero_cost"]
    mean, _ = lead_time_demand(70.0, 14.0, 14.0, 3.0)
    assert faults.loc[4, "lost_margin"] == pytest.approx(mean * 16.0)  # zero cost: the whole price is margin


def test_each_master_data_rule_on_its_own_row():
    plans = [
        plan(1, supplier_id=np.nan, supplier_item_cost=np.nan, purchase_uom="CS", has_uom_conversion=False),
        plan(2, purchase_uom="CS", has_uom_conversion=True),  # converted: no mismatch
        plan(3, purchase_uom="CS", has_uom_conversion=False),
        plan(4, flags=["flag_zero_cost", "flag_eoq_fallback"]),  # flagged by the plan
        plan(5, supplier_item_cost=0.0),  # the supplier's price is zero
        plan(6, purchase_uom="", has_uom_conversion=False),  # no purchase unit: nothing to convert
        plan(7, flags=["flag_eoq_fallback"]),
    ]
    faults = by_type(detect(plans), "master_data")
    assert {il: faults.loc[il, "facts"]["faults"] for il in faults.index} == {
        1: ["no_supplier"],  # without a supplier its purchase unit is not checked
        3: ["uom_mismatch"],
        4: ["zero_cost"],
        5: ["zero_cost"],
    }


def test_supplier_decline_needs_enough_receipts_and_a_real_drift():
    stats_frame = pd.DataFrame(
        {
            "supplier_id": [1, 2, 3, 4],
            "n_recent": [8, 8, 2, 8],
            "recent_mean": [30.0, 21.0, 40.0, 20.0],
            "recent_sd": [4.0, 3.0, 5.0, 3.0],
            "n_base": [40, 40, 40, 40],
            "base_mean": [20.0, 20.0, 20.0, 20.0],
            "base_sd": [3.0] * 4,
            "fill_recent": [np.nan, np.nan, np.nan, 0.80],
            "fill_base": [np.nan, np.nan, np.nan, 0.95],
        }
    )
    declining = detectors.supplier_decline(stats_frame).set_index("supplier_id")
    assert sorted(declining.index) == [1, 4]  # 2: +5 % only; 3: too few recent receipts
    assert declining.loc[1, "drift_days"] == pytest.approx(10.0)
    assert declining.loc[4, "fill_shortfall"] == pytest.approx(0.15)
    # exposure: the loss function with the longer lead time, minus the plan's
    plans = pd.DataFrame([plan(1, supplier_id=1, inventory_position=150.0)])
    exposure = detectors.supplier_exposure(plans, declining.reset_index(), pd.DataFrame(columns=PO_COLUMNS))
    mean, sd = lead_time_demand(70.0, 14.0, 14.0, 3.0)
    mean2, sd2 = lead_time_demand(70.0, 14.0, 24.0, 4.0)
    delta = expected_shortage(150.0, mean2, sd2) - expected_shortage(150.0, mean, sd)
    assert exposure.iloc[0]["delta_short"] == pytest.approx(delta)
    assert exposure.iloc[0]["lost_margin"] == pytest.approx(delta * 6.0)


def test_settings_are_the_engine_defaults():
    assert DEFAULT_SETTINGS.excess_weeks == 8.0
    assert DEFAULT_SETTINGS.review_days == REVIEW


def test_a_detector_registry_entry_can_be_run_alone():
    plans = [plan(1, stockout_day=9.0, inventory_position=100.0), plan(2, inventory_position=1500.0)]
    only = {"excess": detectors.DETECTORS["excess"]}
    det = detectors.detect_chunk(
        plans=pd.DataFrame(plans),
        recs=pd.DataFrame(columns=REC_COLUMNS),
        po_lines=pd.DataFrame(columns=PO_COLUMNS),
        so_lines=pd.DataFrame(columns=SO_COLUMNS),
        as_of=AS_OF,
        detectors=only,
    )
    assert list(det["type"]) == ["excess"] and list(det["item_location_id"]) == [2]
