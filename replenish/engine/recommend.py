"""Recommendations: purchase orders, expedites, defers/cancels of excess, inter-warehouse transfers.

Every rule is a vectorized selection over the whole panel (sorting and groupby, never a loop per series or per
item). Each recommendation carries the numbers behind it (``factors``, JSON-serialisable) and one plain English
sentence (``reason``). The engine proposes; it never posts anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .policy import bound_order_quantity

PURCHASE_ORDER = "purchase_order"
EXPEDITE = "expedite"
DEFER = "defer"
CANCEL = "cancel"
TRANSFER = "transfer"
ACTIONS = (PURCHASE_ORDER, EXPEDITE, DEFER, CANCEL, TRANSFER)
RECOMMENDATION_COLUMNS = (
    "series",
    "action",
    "quantity",
    "due_day",
    "supplier_id",
    "from_series",
    "po_line_id",
    "factors",
    "reason",
)
DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class RecommendSettings:
    order_lookahead_days: int = 7  # also propose the POs whose position reaches the ROP within this many days
    excess_weeks: float = 8.0  # excess: position above order-up-to + this many weeks of demand
    max_defer_days: int = 90
    default_transfer_days: float = 2.0
    transfer_cost_per_unit: float = float("nan")  # NaN: unknown, only the lead-time rule applies
    min_transfer_quantity: float = 1.0


def _texts(values: np.ndarray, decimals: int = 1) -> list[str]:
    """Numbers for sentences: rounded to ``decimals``, whole numbers without a trailing '.0'."""
    rounded = np.round(np.asarray(values, dtype=np.float64), decimals)
    return [
        f"{value:.{decimals}f}".removesuffix(".0") if decimals == 1 else f"{value:.{decimals}f}"
        for value in rounded.tolist()
    ]


def _labels(values: np.ndarray | pd.Series) -> list[str]:
    return [str(value) for value in np.asarray(values, dtype=object).tolist()]


def _records(columns: dict[str, np.ndarray]) -> list[dict]:
    """Per-row dicts of plain Python scalars, NaN -> None (JSON-serialisable)."""
    keys = list(columns)
    lists = []
    for values in columns.values():
        array = np.asarray(values)
        if array.dtype.kind == "f" and np.isnan(array).any():
            boxed = array.astype(object)
            boxed[np.isnan(array)] = None
            lists.append(boxed.tolist())
        else:
            lists.append(array.tolist())
    return [dict(zip(keys, row)) for row in zip(*lists)]


def _units(quantity: np.ndarray) -> list[str]:
    return [f"{text} unit" if text == "1" else f"{text} units" for text in _texts(quantity, 0)]


def transfer_days_between(
    transfer_days: float | pd.DataFrame, from_location: np.ndarray, to_location: np.ndarray, default: float
) -> np.ndarray:
    """Transfer lead time in days for each (from, to) location pair: a scalar, or a matrix (index = from location,
    columns = to) with `default` for pairs it does not know."""
    if not isinstance(transfer_days, pd.DataFrame):
        value = float(transfer_days) if transfer_days is not None else default
        return np.full(from_location.shape[0], value if np.isfinite(value) else default)
    matrix = transfer_days.to_numpy(dtype=np.float64)
    row = transfer_days.index.get_indexer(pd.Index(from_location))
    col = transfer_days.columns.get_indexer(pd.Index(to_location))
    found = (row >= 0) & (col >= 0)
    days = np.full(from_location.shape[0], default)
    days[found] = matrix[row[found], col[found]]
    return np.where(np.isfinite(days), days, default)


def _frame(
    series: np.ndarray,
    action: str,
    quantity: np.ndarray,
    due_day: np.ndarray,
    reason: list[str],
    factors: list[dict],
    *,
    supplier_id=None,
    from_series=None,
    po_line_id=None,
) -> pd.DataFrame:
    size = series.shape[0]
    return pd.DataFrame(
        {
            "series": series.astype(np.int64),
            "action": np.full(size, action, dtype=object),
            "quantity": np.asarray(quantity, dtype=np.float64),
            "due_day": np.asarray(due_day, dtype=np.int64),
            "supplier_id": pd.array([pd.NA] * size, dtype=object) if supplier_id is None else supplier_id,
            "from_series": pd.array([pd.NA] * size, dtype="Int64") if from_series is None else from_series,
            "po_line_id": pd.array([pd.NA] * size, dtype=object) if po_line_id is None else po_line_id,
            "factors": factors,
            "reason": pd.array(reason, dtype=object) if size else pd.array([], dtype=object),
        }
    )


def _transfers(
    plan: pd.DataFrame,
    needer: np.ndarray,
    need: np.ndarray,
    transfer_days: float | pd.DataFrame,
    settings: RecommendSettings,
    reserved: np.ndarray | None = None,
) -> pd.DataFrame:
    """One donor per needing series: pair the k-th largest need with the k-th largest surplus of the same item.

    A donor is a series of the same item at another location with position above its reorder point; it gives
    at most what keeps its position strictly above its ROP, at most its available stock, and none of the units
    ``reserved`` (a pooled branch's stock its hub already counts, ``pool_credit``). The transfer is kept when its
    lead time is shorter than the supplier's or it is cheaper than placing the order.
    """
    position = plan["inventory_position"].to_numpy(dtype=np.float64)
    reorder_point = plan["reorder_point"].to_numpy(dtype=np.float64)
    available = plan["available"].to_numpy(dtype=np.float64)
    surplus = np.minimum(np.ceil(position - reorder_point) - 1.0, np.floor(available))
    if reserved is not None:
        surplus = surplus - np.ceil(reserved)
    # a series without history has a zero reorder point: its stock is a launch quantity, not a surplus
    no_history = (
        plan["flag_no_history"].to_numpy(dtype=bool)
        if "flag_no_history" in plan
        else np.zeros(len(plan), bool)
    )
    donor = ~needer & ~no_history & (surplus >= settings.min_transfer_quantity)
    item = plan["item_id"].to_numpy()
    needers = pd.DataFrame({"item": item[needer], "to_series": np.flatnonzero(needer), "need": need[needer]})
    donors = pd.DataFrame(
        {"item": item[donor], "from_series": np.flatnonzero(donor), "surplus": surplus[donor]}
    )
    needers = needers[needers["item"].isin(donors["item"])]
    if needers.empty:
        return pd.DataFrame(columns=["to_series", "from_series", "quantity", "transfer_days"])
    donors = donors[donors["item"].isin(needers["item"])]
    needers = needers.sort_values(["item", "need"], ascending=[True, False], kind="stable")
    donors = donors.sort_values(["item", "surplus"], ascending=[True, False], kind="stable")
    needers["rank"] = needers.groupby("item", sort=False).cumcount()
    donors["rank"] = donors.groupby("item", sort=False).cumcount()
    pairs = needers.merge(donors, on=["item", "rank"], how="inner")
    to_series = pairs["to_series"].to_numpy(dtype=np.int64)
    from_series = pairs["from_series"].to_numpy(dtype=np.int64)
    quantity = np.minimum(pairs["need"].to_numpy(), pairs["surplus"].to_numpy())
    location = plan["location_id"].to_numpy()
    days = transfer_days_between(
        transfer_days, location[from_series], location[to_series], settings.default_transfer_days
    )
    supplier_lead_time = plan["lead_time_days"].to_numpy(dtype=np.float64)[to_series]
    faster = days < supplier_lead_time
    ordering_cost = plan["ordering_cost"].to_numpy(dtype=np.float64)[to_series]
    cheaper = np.isfinite(settings.transfer_cost_per_unit) & (
        settings.transfer_cost_per_unit * quantity < np.nan_to_num(ordering_cost)
    )
    keep = (faster | cheaper) & (quantity >= settings.min_transfer_quantity)
    return pd.DataFrame(
        {
            "to_series": to_series[keep],
            "from_series": from_series[keep],
            "quantity": quantity[keep],
            "transfer_days": days[keep],
        }
    )


def pool_credit(
    position: np.ndarray, order_up_to: np.ndarray, supply_from: np.ndarray, credit_cap: np.ndarray
) -> np.ndarray:
    """Per series the units its pooled branches hold that its order need not cover (0 for all but hubs).

    A hub's reorder point covers its own and its pooled branches' demand over the supplier lead time and
    review (``network.pooled_hub_demand``), as if every branch pulled its demand from the hub. A branch whose
    inventory position is above its order-up-to level will not pull until it has sold the excess: that part of
    its demand is already covered, in the branch. As distribution requirements planning nets each branch's
    requirements against its own stock before they become the hub's, the hub counts each branch's position
    above its order-up-to level, up to the branch's demand over the hub's lead time and review
    (``credit_cap``, the part of its demand the hub's reorder point holds), as its own position when it
    decides whether and how much to order. At go-live, where the branches hold the min-max lots the pooling
    replaces, the hub does not buy what the branches already hold.
    """
    return credit_at_hubs(supply_from, credited_branch_stock(position, order_up_to, supply_from, credit_cap))


def credit_at_hubs(supply_from: np.ndarray, credited: np.ndarray) -> np.ndarray:
    """Per series the sum of its pooled branches' ``credited_branch_stock``."""
    supply_from = np.asarray(supply_from, dtype=np.int64)
    branches = np.flatnonzero(supply_from >= 0)
    return np.bincount(supply_from[branches], weights=credited[branches], minlength=supply_from.size)


def credited_branch_stock(
    position: np.ndarray, order_up_to: np.ndarray, supply_from: np.ndarray, credit_cap: np.ndarray
) -> np.ndarray:
    """Per series the units of its stock its hub counts (``pool_credit``): its position above its order-up-to level
    up to its cap, for a pooled branch; 0 for every other series."""
    supply_from = np.asarray(supply_from, dtype=np.int64)
    excess = np.asarray(position, dtype=np.float64) - np.asarray(order_up_to, dtype=np.float64)
    cap = np.maximum(np.nan_to_num(np.asarray(credit_cap, dtype=np.float64)), 0.0)
    return np.where(supply_from >= 0, np.clip(np.nan_to_num(excess), 0.0, cap), 0.0)


def excess_level(order_up_to: np.ndarray, weekly: np.ndarray, settings: RecommendSettings) -> np.ndarray:
    """The position above which a series is in excess: its order-up-to level plus ``excess_weeks`` of demand."""
    return np.asarray(order_up_to, dtype=np.float64) + settings.excess_weeks * np.maximum(
        np.nan_to_num(np.asarray(weekly, dtype=np.float64)), 0.0
    )


def _shipped(supply: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    if "shipped" not in supply:
        return np.zeros(int(np.count_nonzero(rows)), dtype=bool)
    return supply["shipped"].to_numpy()[rows].astype(bool)


def cancelled_open_lines(
    series: np.ndarray,
    quantity: np.ndarray,
    arrival_day: np.ndarray,
    cancellable: np.ndarray,
    position: np.ndarray,
    order_up_to: np.ndarray,
    weekly: np.ndarray,
    settings: RecommendSettings | None = None,
) -> np.ndarray:
    """The open purchase order lines the nightly plans cancel one night after another while nothing else moves:
    ``build_recommendations`` cancels a series' latest cancellable line when its position is above its order-up-to
    level plus ``excess_weeks`` of demand and stays at or above the order-up-to level without the line; the next
    night the next latest, and so on until a line fails either test (that one it defers). Lines per row of
    ``series`` (the series index into ``position``, ``order_up_to``, ``weekly``); returns a mask over the lines.
    The policy simulator applies it to the ERP's open orders at the start (the buyer accepts the cancellations)."""
    settings = settings or RecommendSettings()
    series = np.asarray(series, dtype=np.int64)
    quantity = np.asarray(quantity, dtype=np.float64)
    eligible = np.flatnonzero(np.asarray(cancellable, dtype=bool))
    out = np.zeros(series.size, dtype=bool)
    if eligible.size == 0:
        return out
    order = eligible[np.lexsort((-np.asarray(arrival_day, dtype=np.float64)[eligible], series[eligible]))]
    ordered_series = series[order]
    taken = quantity[order]
    before = np.concatenate([[0.0], np.cumsum(taken)[:-1]])
    starts = np.flatnonzero(np.r_[True, ordered_series[1:] != ordered_series[:-1]])
    group_start = np.repeat(starts, np.diff(np.r_[starts, ordered_series.size]))
    before = before - before[group_start]  # units of the series' later lines cancelled before this one
    position = np.asarray(position, dtype=np.float64)[ordered_series]
    level = np.asarray(order_up_to, dtype=np.float64)[ordered_series]
    excess = excess_level(level, np.asarray(weekly, dtype=np.float64)[ordered_series], settings)
    passes = (position - before > excess) & (position - before - taken >= level)
    # the chain stops at a series' first line that fails: no failure counted within the series up to the line
    failed = np.cumsum(~passes) - np.concatenate([[0], np.cumsum(~passes)[:-1]])[group_start]
    out[order] = passes & (failed == 0)
    return out


def build_recommendations(
    plan: pd.DataFrame,
    open_supply: pd.DataFrame,
    *,
    transfer_days: float | pd.DataFrame = 2.0,
    settings: RecommendSettings | None = None,
) -> pd.DataFrame:
    """Recommendations for a plan (one row per series, index 0..n-1) and its cleaned open supply lines.

    ``plan`` columns: item_id, location_id, supplier_id, inventory_position, available, reorder_point,
    order_up_to, moq, pack_size, capacity, forecast_weekly, lead_time_days, projected_stockout_day,
    ordering_cost, and optionally flag_no_history (no excess action on a series without history) and
    supply_from_series (the hub row a series is supplied from, -1 = its supplier: no purchase order for it).
    ``open_supply``: series, po_line_id, quantity, arrival_day, expedite_days, kind ("po" | "transfer").
    Returns columns: series, action, quantity, due_day, supplier_id, from_series, po_line_id, factors, reason.
    """
    settings = settings or RecommendSettings()
    plan = plan.reset_index(drop=True)
    n_series = len(plan)
    position = plan["inventory_position"].to_numpy(dtype=np.float64)
    reorder_point = plan["reorder_point"].to_numpy(dtype=np.float64)
    order_up_to = plan["order_up_to"].to_numpy(dtype=np.float64)
    # a hub counts what its pooled branches hold above their order-up-to levels (pool_credit)
    credit = credited = np.zeros(n_series)
    if "supply_from_series" in plan and "pool_credit_cap" in plan:
        pooled = plan["supply_from_series"].to_numpy(dtype=np.int64)
        cap = plan["pool_credit_cap"].to_numpy(dtype=np.float64)
        credited = credited_branch_stock(position, order_up_to, pooled, cap)  # not given away by transfer
        credit = credit_at_hubs(pooled, credited)
    order_position = position + credit
    weekly = np.maximum(np.nan_to_num(plan["forecast_weekly"].to_numpy(dtype=np.float64)), 0.0)
    daily = weekly / DAYS_PER_WEEK
    lead_time = plan["lead_time_days"].to_numpy(dtype=np.float64)
    stockout_day = plan["projected_stockout_day"].to_numpy(dtype=np.float64)
    capacity = (
        plan["capacity"].to_numpy(dtype=np.float64) if "capacity" in plan else np.full(n_series, np.nan)
    )
    moq = plan["moq"].to_numpy(dtype=np.float64)
    pack = plan["pack_size"].to_numpy(dtype=np.float64)
    pieces: list[pd.DataFrame] = []

    # -- purchase orders (and transfers that replace them) --------------------------------------------------
    with np.errstate(divide="ignore", invalid="ignore"):
        days_to_reorder_point = np.where(
            order_position <= reorder_point, 0.0, np.ceil((order_position - reorder_point) / daily)
        )
    due = np.where(np.isfinite(days_to_reorder_point), days_to_reorder_point, np.inf)
    position_at_due = order_position - daily * np.where(np.isfinite(due), due, 0.0)
    need = np.ceil(order_up_to - position_at_due - 1e-9)  # whole units
    needer = (due <= settings.order_lookahead_days) & (need > 0) & (order_up_to > 0)
    transfers = _transfers(plan, needer, need, transfer_days, settings, reserved=credited)
    transferred = np.zeros(n_series)
    transferred[transfers["to_series"].to_numpy(dtype=np.int64)] = transfers["quantity"].to_numpy()
    if len(transfers):
        to_series = transfers["to_series"].to_numpy(dtype=np.int64)
        from_series = transfers["from_series"].to_numpy(dtype=np.int64)
        quantity = transfers["quantity"].to_numpy()
        days = transfers["transfer_days"].to_numpy()
        donor_after = position[from_series] - quantity
        location = plan["location_id"].to_numpy()
        reason = [
            f"Transfer {units} from location {source} by day {day}: position {pos} is at or near the reorder point "
            f"{rop}; the transfer takes {days_text} days against a supplier lead time of {lead} days and leaves the "
            f"source at {after}, above its reorder point {source_rop}"
            for units, source, day, pos, rop, days_text, lead, after, source_rop in zip(
                _units(quantity),
                _labels(location[from_series]),
                _texts(due[to_series], 0),
                _texts(position[to_series]),
                _texts(reorder_point[to_series]),
                _texts(days),
                _texts(lead_time[to_series]),
                _texts(donor_after),
                _texts(np.floor(reorder_point[from_series] * 10) / 10),  # floored: "above" must read true
            )
        ]
        factors = _records(
            {
                "inventory_position": position[to_series],
                "reorder_point": reorder_point[to_series],
                "order_up_to": order_up_to[to_series],
                "transfer_days": days,
                "supplier_lead_time_days": lead_time[to_series],
                "source_position_after": donor_after,
                "source_reorder_point": reorder_point[from_series],
            }
        )
        pieces.append(
            _frame(
                to_series,
                TRANSFER,
                quantity,
                due[to_series],
                reason,
                factors,
                from_series=pd.array(from_series, dtype="Int64"),
            )
        )

    remainder = need - transferred
    # a series supplied from its hub (network.py) gets its stock by transfer only: the hub's order covers it
    from_hub = (
        plan["supply_from_series"].to_numpy(dtype=np.int64) >= 0
        if "supply_from_series" in plan
        else np.zeros(n_series, dtype=bool)
    )
    po_rows = np.flatnonzero(needer & (remainder > 0) & ~from_hub)
    if po_rows.size:
        quantity, limited = bound_order_quantity(
            remainder[po_rows],
            moq[po_rows],
            pack[po_rows],
            capacity[po_rows] - position[po_rows] - transferred[po_rows],
        )
        keep = quantity > 0
        po_rows, quantity, limited = po_rows[keep], quantity[keep], limited[keep]
        supplier = plan["supplier_id"].to_numpy()[po_rows]
        due_po = due[po_rows]
        reason = [
            f"Order {units} from supplier {supplier_text} by day {day}: position {pos} "
            + (
                f"is at or below the reorder point {rop}"
                if day == "0"
                else f"reaches the reorder point {rop} by then"
            )
            + f" (lead time {lead} days)"
            + (
                f", counting {held} its pooled branches hold above their order-up-to levels"
                if has_credit
                else ""
            )
            for units, supplier_text, day, pos, rop, lead, held, has_credit in zip(
                _units(quantity),
                _labels(supplier),
                _texts(due_po, 0),
                _texts(order_position[po_rows]),
                _texts(reorder_point[po_rows]),
                _texts(lead_time[po_rows]),
                _units(credit[po_rows]),
                (credit[po_rows] > 0).tolist(),
            )
        ]
        factors = _records(
            {
                "inventory_position": position[po_rows],
                "pooled_branch_credit": credit[po_rows],
                "reorder_point": reorder_point[po_rows],
                "order_up_to": order_up_to[po_rows],
                "forecast_weekly": weekly[po_rows],
                "lead_time_days": lead_time[po_rows],
                "moq": moq[po_rows],
                "pack_size": pack[po_rows],
                "transferred": transferred[po_rows],
                "capacity_limited": limited,
                "projected_stockout_day": stockout_day[po_rows],
            }
        )
        pieces.append(
            _frame(
                po_rows,
                PURCHASE_ORDER,
                quantity,
                due_po,
                reason,
                factors,
                supplier_id=pd.array(supplier, dtype=object),
            )
        )

    supply = open_supply
    is_po = (supply["kind"].to_numpy() == "po") & supply["po_line_id"].notna().to_numpy()
    lines = supply.loc[is_po, ["series", "po_line_id", "quantity", "arrival_day", "expedite_days"]]

    # -- expedite: an open PO line due after the projected stockout that can be pulled in before it --------
    line_series = lines["series"].to_numpy(dtype=np.int64)
    line_stockout = stockout_day[line_series]
    expedited_day = np.maximum(lines["arrival_day"].to_numpy() - lines["expedite_days"].to_numpy(), 0.0)
    candidate = (
        np.isfinite(line_stockout)
        & (lines["expedite_days"].to_numpy() > 0)
        & (lines["arrival_day"].to_numpy() > line_stockout)
        & (expedited_day <= line_stockout)
    )
    if candidate.any():
        chosen = lines[candidate].assign(expedited_day=expedited_day[candidate])
        chosen = chosen.sort_values(
            ["series", "expedited_day", "quantity"], ascending=[True, True, False], kind="stable"
        )
        chosen = chosen.drop_duplicates("series", keep="first")
        rows = chosen["series"].to_numpy(dtype=np.int64)
        quantity = chosen["quantity"].to_numpy(dtype=np.float64)
        arrival = chosen["arrival_day"].to_numpy(dtype=np.float64)
        new_day = chosen["expedited_day"].to_numpy(dtype=np.float64)
        reason = [
            f"Expedite PO line {line} ({units}) to arrive by day {new}: it is due on day {due_text}, after the "
            f"projected stockout on day {stockout}"
            for line, units, new, due_text, stockout in zip(
                _labels(chosen["po_line_id"]),
                _units(quantity),
                _texts(new_day, 0),
                _texts(arrival, 0),
                _texts(stockout_day[rows], 0),
            )
        ]
        factors = _records(
            {
                "arrival_day": arrival,
                "expedited_arrival_day": new_day,
                "projected_stockout_day": stockout_day[rows],
                "inventory_position": position[rows],
                "reorder_point": reorder_point[rows],
            }
        )
        pieces.append(
            _frame(
                rows,
                EXPEDITE,
                quantity,
                np.zeros(rows.shape[0]),
                reason,
                factors,
                po_line_id=pd.array(chosen["po_line_id"].to_numpy(), dtype=object),
            )
        )

    # -- excess: defer (or cancel) the latest open PO line of a series far above its order-up-to -------------
    excess = excess_level(order_up_to, weekly, settings)
    no_history = (
        plan["flag_no_history"].to_numpy(dtype=bool)
        if "flag_no_history" in plan
        else np.zeros(n_series, bool)
    )
    in_excess = (position > excess) & ~no_history
    # a shipped line (ASN) is on its way: it can no longer be cancelled or deferred
    excess_lines = lines[in_excess[line_series] & ~_shipped(supply, is_po)]
    if len(excess_lines):
        latest = excess_lines.sort_values(["series", "arrival_day"], ascending=[True, False], kind="stable")
        latest = latest.drop_duplicates("series", keep="first")
        rows = latest["series"].to_numpy(dtype=np.int64)
        quantity = latest["quantity"].to_numpy(dtype=np.float64)
        arrival = latest["arrival_day"].to_numpy(dtype=np.float64)
        without_line = position[rows] - quantity
        cancel = without_line >= order_up_to[rows]
        # The line is not needed until the position without it falls to the reorder point: that day (capped at
        # max_defer_days after the current arrival) is its new arrival. No earlier than a day later: no action.
        with np.errstate(divide="ignore", invalid="ignore"):
            needed_day = np.floor((without_line - reorder_point[rows]) / daily[rows])
        needed_day = np.where(np.isfinite(needed_day), needed_day, np.inf)
        new_day = np.minimum(needed_day, arrival + settings.max_defer_days)
        defer = ~cancel & (new_day >= arrival + 1)
        line_text = [
            f"PO line {line} ({units})"
            for line, units in zip(_labels(latest["po_line_id"]), _units(quantity))
        ]
        weeks_text = _texts(np.array([settings.excess_weeks]))[0]
        reason = [
            f"Cancel {line}: without it the position {rest} still covers the order-up-to level {level}"
            if is_cancel
            else f"Defer {line} from day {arrival_text} to day {new}: position {pos} is above the order-up-to level "
            f"{level} plus {weeks_text} weeks of demand"
            for line, is_cancel, rest, level, arrival_text, new, pos in zip(
                line_text,
                cancel.tolist(),
                _texts(position[rows] - quantity),
                _texts(order_up_to[rows]),
                _texts(arrival, 0),
                _texts(new_day, 0),
                _texts(position[rows]),
            )
        ]
        factors = _records(
            {
                "inventory_position": position[rows],
                "order_up_to": order_up_to[rows],
                "excess_level": excess[rows],
                "forecast_weekly": weekly[rows],
                "arrival_day": arrival,
                "new_arrival_day": np.where(cancel, np.nan, new_day),
            }
        )
        po_ids = latest["po_line_id"].to_numpy()
        for action, mask in ((CANCEL, cancel), (DEFER, defer)):
            if mask.any():
                picked = np.flatnonzero(mask)
                pieces.append(
                    _frame(
                        rows[mask],
                        action,
                        quantity[mask],
                        np.zeros(picked.size),
                        [reason[i] for i in picked],
                        [factors[i] for i in picked],
                        po_line_id=pd.array(po_ids[mask], dtype=object),
                    )
                )

    if not pieces:
        return _frame(np.zeros(0, dtype=np.int64), PURCHASE_ORDER, np.zeros(0), np.zeros(0), [], [])
    result = pd.concat(pieces, ignore_index=True)
    return result.loc[:, list(RECOMMENDATION_COLUMNS)]
