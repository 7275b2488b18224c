import json

import numpy as np
import pandas as pd
import pytest

from replenish.engine.recommend import RecommendSettings, build_recommendations, cancelled_open_lines

NO_SUPPLY = pd.DataFrame(
    {
        "series": pd.Series([], dtype=np.int64),
        "po_line_id": pd.Series([], dtype=object),
        "quantity": pd.Series([], dtype=float),
        "arrival_day": pd.Series([], dtype=np.int64),
        "expedite_days": pd.Series([], dtype=float),
        "kind": pd.Series([], dtype=object),
    }
)


def plan_rows(*rows):
    defaults = {
        "item_id": 1,
        "location_id": 0,
        "supplier_id": 17,
        "inventory_position": 500.0,
        "available": 500.0,
        "reorder_point": 120.0,
        "order_up_to": 260.0,
        "moq": 0.0,
        "pack_size": 1.0,
        "capacity": np.nan,
        "forecast_weekly": 70.0,
        "lead_time_days": 12.5,
        "projected_stockout_day": np.nan,
        "ordering_cost": 50.0,
        "flag_no_history": False,
    }
    return pd.DataFrame([{**defaults, **row} for row in rows])


# a donor must not itself be due to reorder within the look-ahead: 0.7 a week takes months to reach its ROP
SLOW = {"forecast_weekly": 0.7}


def supply(rows):
    return pd.DataFrame(
        rows, columns=["series", "po_line_id", "quantity", "arrival_day", "expedite_days", "kind"]
    )


def test_purchase_order_below_the_reorder_point_is_rounded_up_to_the_pack():
    # need = 260 - 35 = 225 -> packs of 24: 240
    plan = plan_rows({"inventory_position": 35.0, "available": 35.0, "pack_size": 24.0, "moq": 100.0})
    result = build_recommendations(plan, NO_SUPPLY)
    assert len(result) == 1
    row = result.iloc[0]
    assert (row["action"], row["quantity"], row["due_day"], row["supplier_id"]) == (
        "purchase_order",
        240.0,
        0,
        17,
    )
    assert row["reason"] == (
        "Order 240 units from supplier 17 by day 0: position 35 is at or below the reorder point 120 "
        "(lead time 12.5 days)"
    )
    assert row["factors"]["reorder_point"] == 120.0
    json.dumps(list(result["factors"]), allow_nan=False)


def test_moq_and_capacity_bound_the_order():
    plan = plan_rows(
        {
            "inventory_position": 118.0,
            "available": 118.0,
            "order_up_to": 128.0,
            "moq": 50.0,
            "pack_size": 12.0,
        },
        {"inventory_position": 35.0, "available": 35.0, "pack_size": 24.0, "capacity": 100.0, "item_id": 2},
    )
    result = build_recommendations(plan, NO_SUPPLY).set_index("series")
    assert result.loc[0, "quantity"] == 60.0  # need 10 -> MOQ 50 -> packs of 12: 60
    assert result.loc[1, "quantity"] == 48.0  # room 100 - 35 = 65 -> whole packs of 24: 48
    assert result.loc[1, "factors"]["capacity_limited"] is True


def test_order_falls_due_when_the_position_reaches_the_reorder_point_within_the_lookahead():
    # 10 a day, position 150, ROP 120: the ROP is reached after 3 days; the order then brings 120 back to 260
    plan = plan_rows({"inventory_position": 150.0, "available": 150.0})
    row = build_recommendations(plan, NO_SUPPLY, settings=RecommendSettings(order_lookahead_days=7)).iloc[0]
    assert (row["action"], row["due_day"], row["quantity"]) == ("purchase_order", 3, 140.0)
    assert "by day 3" in row["reason"]
    assert build_recommendations(plan, NO_SUPPLY, settings=RecommendSettings(order_lookahead_days=2)).empty


def test_expedite_only_the_line_that_lands_before_the_stockout():
    plan = plan_rows({"inventory_position": 400.0, "available": 20.0, "projected_stockout_day": 10.0})
    lines = supply(
        [
            (0, 101, 100.0, 15, 8, "po"),  # can come on day 7 <= 10: expedite
            (0, 102, 100.0, 20, 5, "po"),  # at best day 15 > 10: useless
            (0, 103, 100.0, 5, 3, "po"),  # already before the stockout
            (0, None, 100.0, 25, 20, "transfer"),  # not a PO line
        ]
    )
    result = build_recommendations(plan, lines)
    expedites = result[result["action"] == "expedite"]
    assert list(expedites["po_line_id"]) == [101]
    assert expedites.iloc[0]["factors"]["expedited_arrival_day"] == 7.0


def test_no_expedite_when_it_cannot_beat_the_stockout():
    plan = plan_rows({"inventory_position": 400.0, "available": 20.0, "projected_stockout_day": 10.0})
    result = build_recommendations(plan, supply([(0, 102, 100.0, 20, 5, "po")]))
    assert (result["action"] != "expedite").all()


def test_transfer_covers_the_need_when_the_donor_stays_above_its_reorder_point():
    plan = plan_rows(
        {
            "location_id": 0,
            "inventory_position": 5.0,
            "available": 5.0,
            "reorder_point": 20.0,
            "order_up_to": 60.0,
        },
        {"location_id": 1, "inventory_position": 100.0, "available": 100.0, "reorder_point": 30.0, **SLOW},
    )
    result = build_recommendations(plan, NO_SUPPLY)
    assert list(result["action"]) == ["transfer"]
    row = result.iloc[0]
    assert (row["series"], row["from_series"], row["quantity"]) == (0, 1, 55.0)
    assert row["factors"]["source_position_after"] == 45.0 > row["factors"]["source_reorder_point"]


def test_partial_transfer_leaves_the_donor_above_its_rop_and_the_rest_is_ordered():
    plan = plan_rows(
        {
            "location_id": 0,
            "inventory_position": 5.0,
            "available": 5.0,
            "reorder_point": 20.0,
            "order_up_to": 60.0,
        },
        {"location_id": 1, "inventory_position": 35.0, "available": 35.0, "reorder_point": 30.0, **SLOW},
    )
    result = build_recommendations(plan, NO_SUPPLY).set_index("action")
    assert result.loc["transfer", "quantity"] == 4.0  # 35 - 4 = 31 > 30; 5 would leave it at its ROP
    assert result.loc["purchase_order", "quantity"] == 51.0


def test_no_transfer_from_a_donor_at_its_reorder_point_or_when_slower_than_the_supplier():
    at_rop = plan_rows(
        {
            "location_id": 0,
            "inventory_position": 5.0,
            "available": 5.0,
            "reorder_point": 20.0,
            "order_up_to": 60.0,
        },
        {"location_id": 1, "inventory_position": 30.5, "available": 30.5, "reorder_point": 30.0, **SLOW},
    )
    assert "transfer" not in set(build_recommendations(at_rop, NO_SUPPLY)["action"])
    far = plan_rows(
        {
            "location_id": 0,
            "inventory_position": 5.0,
            "available": 5.0,
            "reorder_point": 20.0,
            "order_up_to": 60.0,
        },
        {"location_id": 1, "inventory_position": 100.0, "available": 100.0, "reorder_point": 30.0, **SLOW},
    )
    days = pd.DataFrame([[0.0, 30.0], [30.0, 0.0]], index=[0, 1], columns=[0, 1])
    assert "transfer" not in set(build_recommendations(far, NO_SUPPLY, transfer_days=days)["action"])
    cheap = RecommendSettings(transfer_cost_per_unit=0.1)  # 55 x 0.1 = 5.5 < ordering cost 50
    assert "transfer" in set(
        build_recommendations(far, NO_SUPPLY, transfer_days=days, settings=cheap)["action"]
    )


def test_a_series_without_history_does_not_donate_its_launch_stock():
    plan = plan_rows(
        {
            "location_id": 0,
            "inventory_position": 5.0,
            "available": 5.0,
            "reorder_point": 20.0,
            "order_up_to": 60.0,
        },
        {
            "location_id": 1,
            "inventory_position": 100.0,
            "available": 100.0,
            "reorder_point": 0.0,
            **SLOW,
            "flag_no_history": True,
        },
    )
    assert list(build_recommendations(plan, NO_SUPPLY)["action"]) == ["purchase_order"]


def test_transfers_pair_within_items_only():
    plan = plan_rows(
        {"item_id": 1, "location_id": 0, "inventory_position": 5.0, "available": 5.0, "reorder_point": 20.0},
        {
            "item_id": 2,
            "location_id": 1,
            "inventory_position": 900.0,
            "available": 900.0,
            "reorder_point": 30.0,
            **SLOW,
        },
    )
    assert "transfer" not in set(build_recommendations(plan, NO_SUPPLY)["action"])


def test_defer_or_cancel_excess_open_po_lines():
    # 10 a week (1/0.7 a day); series 0 and 1 are in excess (above order-up-to + 8 weeks), series 2 is not
    plan = plan_rows(
        {
            "inventory_position": 500.0,
            "available": 400.0,
            "order_up_to": 100.0,
            "reorder_point": 20.0,
            "forecast_weekly": 10.0,
        },
        {
            "inventory_position": 500.0,
            "available": 100.0,
            "order_up_to": 150.0,
            "reorder_point": 20.0,
            "forecast_weekly": 10.0,
            "item_id": 2,
        },
        {
            "inventory_position": 150.0,
            "available": 50.0,
            "order_up_to": 100.0,
            "reorder_point": 20.0,
            "forecast_weekly": 10.0,
            "item_id": 3,
        },
        {
            "inventory_position": 500.0,
            "available": 40.0,
            "order_up_to": 150.0,
            "reorder_point": 20.0,
            "forecast_weekly": 10.0,
            "item_id": 4,
        },
    )
    lines = supply(
        [
            (0, 1, 100.0, 20, 0, "po"),
            (1, 2, 400.0, 30, 0, "po"),
            (2, 3, 100.0, 20, 0, "po"),
            (3, 4, 460.0, 20, 0, "po"),
        ]
    )
    result = build_recommendations(plan, lines).set_index("series")
    assert result.loc[0, "action"] == "cancel"  # 500 - 100 = 400 still covers 100
    # without the line: 100 units, 80 above the reorder point, which 10/7 a day uses up in floor(56) days
    assert result.loc[1, "action"] == "defer"
    assert result.loc[1, "factors"]["new_arrival_day"] == 56
    assert 2 not in result.index  # 150 is not above 100 + 80
    # without the line 40 units: the reorder point 20 is reached on day 14, before the arrival on day 20
    assert 3 not in result.index


def test_every_reason_is_one_sentence_and_factors_are_json():
    plan = plan_rows(
        {"inventory_position": 35.0, "available": 35.0, "projected_stockout_day": 3.0},
        {"inventory_position": 900.0, "available": 10.0, "order_up_to": 100.0, "item_id": 2},
    )
    lines = supply([(0, 11, 50.0, 9, 7, "po"), (1, 12, 800.0, 30, 0, "po")])
    result = build_recommendations(plan, lines)
    assert set(result["action"]) == {"purchase_order", "expedite", "cancel"}
    for reason in result["reason"]:
        assert reason.count(". ") == 0 and reason[0].isupper()
    json.dumps(list(result["factors"]), allow_nan=False)
    assert pytest.approx(result["quantity"].sum()) == result["quantity"].sum()


def test_a_hub_counts_its_pooled_branchs_stock_above_its_order_up_to_level_before_it_orders():
    # given a hub at 100 against s = 120, S = 260, and its pooled branch at 60 against S = 20 whose demand over the
    # hub's lead time is 30
    hub = {"inventory_position": 100.0, "available": 100.0, "supply_from_series": -1, "pool_credit_cap": 0.0}
    branch = {"location_id": 1, "inventory_position": 60.0, "available": 60.0, "reorder_point": 8.0,
              "order_up_to": 20.0, "forecast_weekly": 7.0, "supply_from_series": 0, "pool_credit_cap": 30.0}  # fmt: skip

    # when planned: the branch's 40 above its level count up to 30, so the hub's order position is 130
    result = build_recommendations(plan_rows(hub, branch), NO_SUPPLY)

    # then the hub's need waits until 130 falls to 120: 10 units at 10 a day, day 1; it needs 260 - 120 = 140, of
    # which the branch gives 21 by transfer (its 51 above its reorder point less the 30 its hub counts) and the
    # supplier 119
    transfers = result[result["action"] == "transfer"]
    assert (transfers["series"].tolist(), transfers["quantity"].tolist()) == ([0], [21.0])
    orders = result[result["action"] == "purchase_order"]
    assert orders["series"].tolist() == [0]
    assert (orders["due_day"].iloc[0], orders["quantity"].iloc[0]) == (1.0, 119.0)
    assert (
        "counting 30 units its pooled branches hold above their order-up-to levels"
        in orders["reason"].iloc[0]
    )
    factors = orders["factors"].iloc[0]
    factors = json.loads(factors) if isinstance(factors, str) else factors
    assert factors["pooled_branch_credit"] == 30.0 and factors["inventory_position"] == 100.0

    # and with the branch at its level (nothing counted) the hub needs 260 - 100 = 160 today: 11 by transfer (20
    # less its reorder point 8 less 1), 149 ordered
    at_level = build_recommendations(
        plan_rows(hub, {**branch, "inventory_position": 20.0, "available": 20.0}), NO_SUPPLY
    )
    assert at_level[at_level["action"] == "transfer"]["quantity"].tolist() == [11.0]
    plain = at_level[at_level["action"] == "purchase_order"]
    assert (plain["due_day"].iloc[0], plain["quantity"].iloc[0]) == (0.0, 149.0)
    assert "pooled branches" not in plain["reason"].iloc[0]


def test_a_shipped_line_is_neither_cancelled_nor_deferred():
    # given the excess series 0 of the test above, its only line shipped (an ASN)
    plan = plan_rows(
        {"inventory_position": 500.0, "available": 400.0, "order_up_to": 100.0, "reorder_point": 20.0,
         "forecast_weekly": 10.0}
    )  # fmt: skip
    line = supply([(0, 1, 100.0, 20, 0, "po")])
    assert build_recommendations(plan, line)["action"].tolist() == ["cancel"]
    assert build_recommendations(plan, line.assign(shipped=True)).empty


def test_the_nightly_plans_cancel_a_series_latest_lines_one_after_another_until_one_fails():
    # series 0: 20 on hand, lines of 50 (day 10), 40 (day 20), 30 (day 30): position 140 against S = 60 and
    #   60 + 8 weeks x 5 = 100: the 30 goes (140 > 100, 110 >= 60), then the 40 (110 > 100, 70 >= 60), then the
    #   50 stays (70 is not above 100)
    # series 1: nothing on hand, lines of 30 (day 5, not shipped) and 30 (day 15, shipped): position 60 against
    #   S = 10, 10 + 8 = 18: the shipped line stays, the other goes (60 > 18, 30 >= 10)
    # series 2: 30 on hand, lines of 20 (day 3) and 45 (day 9): position 95 against S = 60, 60 + 8 = 68: the 45
    #   would leave 50 < 60 (deferred, not cancelled), and the chain stops there: the 20 stays too
    series = np.array([0, 0, 0, 1, 1, 2, 2])
    quantity = np.array([50.0, 40.0, 30.0, 30.0, 30.0, 20.0, 45.0])
    arrival = np.array([10, 20, 30, 5, 15, 3, 9])
    cancellable = np.array([True, True, True, True, False, True, True])
    position = np.array([20.0 + 120.0, 60.0, 30.0 + 65.0])

    cancelled = cancelled_open_lines(
        series,
        quantity,
        arrival,
        cancellable,
        position,
        np.array([60.0, 10.0, 60.0]),
        np.array([5.0, 1.0, 1.0]),
    )

    assert cancelled.tolist() == [False, True, True, True, False, False, False]
