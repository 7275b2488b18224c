"""The policy derivation of one SKU-location, step by step, from the figures its plan row stored.

Plain data in (the stored row as a mapping, the run's settings), plain data out: a list of steps, each with a label,
the formula with the stored inputs written in, the figure and its unit. Nothing here re-plans: the figures are the
stored ones, and the intermediate figures a person needs to follow them (the EOQ before its bounds, the order
quantity after each constraint) are worked out with the same textbook formulas as replenish/engine/policy.py:

- lead-time demand over the protection interval P = L + R: mean = the forecast path summed over P days, sd =
  sqrt(P (g sd_d)^2 + (mean / P)^2 sd_L^2) with sd_d = weekly sd / sqrt(7) (Silver-Pyke-Thomas eq. 6.14-6.15);
- the reorder point covers X + U, U the expected undershoot of s at a review: mean + E[U], sd^2 + E[U]^2 / 3;
- cycle service: k = z_alpha; fill rate: G(k) - G(k + q / sd) = q (1 - beta) / sd, q = Q + E[U] (the exact form,
  Hadley-Whitin) or G(k) = q (1 - beta) / sd; negative binomial / Poisson rows: the smallest s meeting the same
  condition on the discrete loss function;
- EOQ = sqrt(2 D A / (r v)), kept within weeks of cover, then MOQ, pack size, storage capacity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DAYS_PER_WEEK = 7.0
WEEKS_PER_YEAR = 52.0

DISTRIBUTION_LABELS = {
    "normal": "normal",
    "negative_binomial": "negative binomial (fitted by moments)",
    "poisson": "Poisson",
}
TARGET_LABELS = {"fill_rate": "unit fill rate", "cycle": "cycle service level"}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt(value: Any, digits: int = 1) -> str:
    number = _number(value)
    if number is None:
        return "n/a"
    return f"{number:,.{digits}f}"


def pct(value: Any, digits: int = 1) -> str:
    number = _number(value)
    return "n/a" if number is None else f"{100 * number:.{digits}f}%"


def step(key: str, label: str, value: Any, unit: str = "", formula: str = "", note: str = "") -> dict:
    number = _number(value)
    return {
        "key": key,
        "label": label,
        "value": round(number, 4) if number is not None else value,
        "unit": unit,
        "formula": formula,
        "note": note,
    }


def order_quantity_steps(plan: Mapping[str, Any], policy: Mapping[str, Any]) -> tuple[list[dict], str]:
    """The order quantity from the EOQ through its bounds and constraints; returns (steps, the binding one)."""
    weekly = _number(plan.get("policy_forecast_weekly")) or 0.0
    ordering = _number(plan.get("ordering_cost"))
    holding = _number(plan.get("holding_rate"))
    cost = _number(plan.get("unit_cost"))
    moq = _number(plan.get("moq")) or 0.0
    pack = _number(plan.get("pack_size")) or 1.0
    pack = pack if pack > 0 else 1.0
    capacity = _number(plan.get("capacity"))
    position = _number(plan.get("inventory_position")) or 0.0
    min_cover = _number(policy.get("min_cover_weeks"))
    max_cover = _number(policy.get("max_cover_weeks"))
    fallback_cover = _number(policy.get("fallback_cover_weeks")) or 4.0
    steps: list[dict] = []
    annual = weekly * WEEKS_PER_YEAR
    defined = cost is not None and cost > 0 and holding is not None and holding > 0 and ordering is not None
    binding = "EOQ"
    if weekly <= 0:
        steps.append(
            step("order_quantity", "Order quantity", 0.0, "units", note="no forecast demand: no order")
        )
        return steps, "no demand"
    if defined:
        raw = math.sqrt(2.0 * annual * max(ordering or 0.0, 0.0) / (holding * cost))  # type: ignore[operator]  # defined: all set
        steps.append(
            step(
                "eoq_raw",
                "Economic order quantity",
                raw,
                "units",
                f"sqrt(2 x D x A / (r x v)) = sqrt(2 x {fmt(annual)} x {fmt(ordering, 2)} / "
                f"({fmt(holding, 2)} x {fmt(cost, 2)}))",
                "D yearly demand (52 x the weekly forecast), A cost of an order line, r yearly holding rate, "
                "v unit cost",
            )
        )
        low = (min_cover or 0.0) * weekly
        high = max(max_cover * weekly, low) if max_cover is not None else math.inf
        bounded = min(max(raw, low), high)
        if bounded != raw:
            binding = "weeks of cover"
        steps.append(
            step(
                "eoq",
                "EOQ within weeks of cover",
                bounded,
                "units",
                f"between {fmt(min_cover)} and {fmt(max_cover)} weeks of {fmt(weekly, 2)} a week "
                f"= {fmt(low)} to {fmt(high)}",
            )
        )
    else:
        bounded = fallback_cover * weekly
        binding = "weeks of cover"
        steps.append(
            step(
                "eoq",
                "Order quantity by weeks of cover",
                bounded,
                "units",
                f"{fmt(fallback_cover)} weeks x {fmt(weekly, 2)} a week",
                "the EOQ is undefined without a unit cost, holding rate and ordering cost",
            )
        )
    wanted = max(bounded, moq)
    if moq > bounded:
        binding = "MOQ"
    steps.append(
        step("after_moq", "At least the MOQ", wanted, "units", f"max({fmt(bounded)}, MOQ {fmt(moq, 0)})")
    )
    packed = math.ceil(wanted / pack - 1e-9) * pack
    if packed != wanted and pack > 1:
        binding = binding if binding == "MOQ" and packed == moq else "pack size"
    steps.append(
        step(
            "after_pack",
            "Rounded up to whole packs",
            packed,
            "units",
            f"{fmt(wanted)} up to a multiple of {fmt(pack, 0)}",
        )
    )
    quantity = packed
    if capacity is not None:
        room = math.floor(max(capacity - position, 0.0) / pack + 1e-9) * pack
        if packed > room:
            quantity = room
            binding = "storage capacity"
        steps.append(
            step(
                "after_capacity",
                "Within the storage room",
                quantity,
                "units",
                f"capacity {fmt(capacity, 0)} - inventory position {fmt(position)} = room {fmt(room, 0)} "
                f"(in whole packs)",
            )
        )
    steps.append(
        step(
            "order_quantity",
            "Order quantity Q",
            plan.get("order_quantity"),
            "units",
            note=f"bound by: {binding}",
        )
    )
    return steps, binding


def lead_time_demand_steps(plan: Mapping[str, Any], review_days: float) -> list[dict]:
    weekly = _number(plan.get("policy_forecast_weekly")) or 0.0
    weekly_sd = _number(plan.get("policy_forecast_sd_weekly")) or 0.0
    lead = _number(plan.get("policy_lead_time_days")) or 0.0
    lead_sd = _number(plan.get("policy_lead_time_sd_days")) or 0.0
    growth = _number(plan.get("error_growth")) or 1.0
    mean = _number(plan.get("lead_time_demand_mean")) or 0.0
    protection = lead + review_days
    rate = mean / protection if protection > 0 else weekly / DAYS_PER_WEEK
    daily_sd = weekly_sd / math.sqrt(DAYS_PER_WEEK)
    return [
        step("forecast_weekly", "Forecast demand", weekly, "units/week"),
        step(
            "forecast_sd_weekly",
            "Forecast error sd",
            weekly_sd,
            "units/week",
            note="backtest RMSE pooled with the segment",
        ),
        step("lead_time", "Lead time L", lead, "days", note=f"sd {fmt(lead_sd)} days"),
        step("review", "Review period R", review_days, "days", note="the plan is refreshed nightly"),
        step(
            "lead_time_demand_mean",
            "Mean demand over L + R",
            mean,
            "units",
            f"the forecast path summed over {fmt(protection)} days (flat: {fmt(weekly, 2)} / 7 x {fmt(protection)} "
            f"= {fmt(weekly / DAYS_PER_WEEK * protection)})",
        ),
        step(
            "lead_time_demand_sd",
            "Sd of demand over L + R",
            plan.get("lead_time_demand_sd"),
            "units",
            f"sqrt(P x (g x sd_d)^2 + d^2 x sd_L^2) = sqrt({fmt(protection)} x ({fmt(growth, 2)} x "
            f"{fmt(daily_sd, 3)})^2 + {fmt(rate, 3)}^2 x {fmt(lead_sd, 2)}^2)",
            "sd_d = weekly sd / sqrt(7); g grows the one-step error to the horizon as the backtest's did",
        ),
    ]


def _distribution_note(mean: float, variance: float, family: str) -> str:
    if family == "negative_binomial" and variance > mean > 0:
        p = mean / variance
        r = mean**2 / (variance - mean)
        return f"r = mean^2 / (var - mean) = {fmt(r, 3)}, p = mean / var = {fmt(p, 4)}"
    if family == "poisson":
        return f"lambda = {fmt(mean, 3)} (variance not above the mean)"
    return "slow movers get a negative binomial or Poisson, the others a normal"


def _discrete_point_formula(plan: Mapping[str, Any], policy: Mapping[str, Any], exact_fill: bool) -> str:
    if not (exact_fill and policy.get("mixed_rounding", False)):
        return "the smallest s meeting the target under the fitted distribution"
    draw = None
    if _number(plan.get("item_location_id")) is not None:
        draw = (float(plan["item_location_id"]) * (math.sqrt(5.0) - 1.0) / 2.0) % 1.0
    return (
        "mixed rounding: the smallest s meeting the target with probability w, s - 1 otherwise, w such that the "
        "expected units short per cycle are exactly q x (1 - beta); this SKU-location's fixed draw "
        + ("" if draw is None else f"{draw:.3f} ")
        + "(frac(id x 0.618)) takes s when below w"
    )


def reorder_point_steps(plan: Mapping[str, Any], policy: Mapping[str, Any]) -> list[dict]:
    mean = _number(plan.get("lead_time_demand_mean")) or 0.0
    sd = _number(plan.get("lead_time_demand_sd")) or 0.0
    undershoot = _number(plan.get("undershoot")) or 0.0
    cover_mean = mean + undershoot if policy.get("review_undershoot", True) else mean
    cover_sd = math.sqrt(sd**2 + undershoot**2 / 3.0) if policy.get("review_undershoot", True) else sd
    family = str(plan.get("lead_time_demand_distribution") or "normal")
    target_type = str(plan.get("target_type") or "")
    target = _number(plan.get("policy_target"))
    quantity = _number(plan.get("order_quantity")) or 0.0
    cycle_demand = quantity + undershoot if quantity > 0 else 0.0
    exact = bool(policy.get("exact_fill_rate", False))
    if target_type == "fill_rate" and quantity > 0:
        if exact:
            condition = (
                f"G(k) - G(k + q / sd) = q x (1 - beta) / sd = {fmt(cycle_demand)} x (1 - {pct(target, 2)}) / "
                f"{fmt(cover_sd, 2)}"
            )
        else:
            condition = f"G(k) = q x (1 - beta) / sd = {fmt(cycle_demand)} x (1 - {pct(target, 2)}) / {fmt(cover_sd, 2)}"
        if family != "normal":
            condition = "the smallest s with expected units short per cycle <= q x (1 - beta) (discrete loss)"
    else:
        condition = (
            f"k = z({pct(target, 2)})" if family == "normal" else "the smallest s with P(X <= s) >= alpha"
        )
    steps = [
        step(
            "undershoot",
            "Expected undershoot of s at a review",
            undershoot,
            "units",
            note="E[U]: demand crosses s by up to a day's lines",
        ),
        step(
            "cover",
            "Demand the reorder point covers",
            cover_mean,
            "units",
            f"mean + E[U] = {fmt(mean)} + {fmt(undershoot)}; sd sqrt({fmt(sd, 2)}^2 + {fmt(undershoot, 2)}^2 / 3) "
            f"= {fmt(cover_sd, 2)}",
        ),
        step(
            "distribution",
            "Lead-time demand distribution",
            DISTRIBUTION_LABELS.get(family, family),
            "",
            note=_distribution_note(cover_mean, cover_sd**2, family),
        ),
        step(
            "cycle_demand",
            "Demand per replenishment cycle q",
            cycle_demand,
            "units",
            "Q + E[U]" if quantity > 0 else "",
        ),
        step(
            "safety_factor",
            "Safety factor k",
            plan.get("safety_factor"),
            "",
            condition,
            f"at least {fmt(policy.get('min_safety_factor'), 1)}"
            if family == "normal"
            else "implied: SS / sd",
        ),
        step(
            "reorder_point",
            "Reorder point s",
            plan.get("reorder_point"),
            "units",
            f"mean + E[U] + k x sd = {fmt(cover_mean)} + {fmt(plan.get('safety_factor'), 3)} x {fmt(cover_sd, 2)}"
            if family == "normal"
            else _discrete_point_formula(plan, policy, exact and target_type == "fill_rate" and quantity > 0),
        ),
        step(
            "safety_stock",
            "Safety stock",
            plan.get("safety_stock"),
            "units",
            f"s - mean demand over L + R = {fmt(plan.get('reorder_point'))} - {fmt(mean)}",
        ),
    ]
    floor = _number(plan.get("safety_stock_floor"))
    if floor is not None:
        steps.append(
            step(
                "safety_stock_floor",
                "Approved safety stock floor",
                floor,
                "units",
                note="the safety stock is at least this",
            )
        )
    steps.append(
        step(
            "order_up_to",
            "Order-up-to level S",
            plan.get("order_up_to"),
            "units",
            f"s + Q = {fmt(plan.get('reorder_point'))} + {fmt(plan.get('order_quantity'))}",
        )
    )
    steps.append(
        step(
            "stockout_probability",
            "Stockout probability within the lead time",
            plan.get("stockout_probability"),
            "share",
            f"P(demand over L > inventory position {fmt(plan.get('inventory_position'))})",
        )
    )
    return steps


def target_steps(plan: Mapping[str, Any], policy: Mapping[str, Any] | None = None) -> list[dict]:
    """The business target, the calibrated planning target, and the target the reorder point met: a pooled hub's
    network target and / or the row's share of its group's target at least stock (``allocate_targets`` in the run's
    policy settings, engine/allocation.py)."""
    policy = policy or {}
    target_type = str(plan.get("target_type") or "")
    # the allocation moves the normal fill-rate rows only (slow movers keep their whole-unit reorder points)
    allocated = (
        bool(policy.get("allocate_targets"))
        and target_type == "fill_rate"
        and str(plan.get("lead_time_demand_distribution") or "") == "normal"
    )
    floor_points = _number(policy.get("allocation_floor_points")) or 0.0
    business = _number(plan.get("service_target"))
    planning = _number(plan.get("planning_target"))
    used = _number(plan.get("policy_target"))
    steps = [
        step("target_type", "Service target type", TARGET_LABELS.get(target_type, target_type)),
        step(
            "business_target",
            "Business target",
            business,
            "share",
            note=f"policy table row {plan.get('abc', '')}{plan.get('xyz', '')}",
        ),
    ]
    if planning is not None and business is not None and abs(planning - business) > 1e-9:
        factor = _number(plan.get("calibration_factor"))
        group = str(plan.get("calibration_group") or "")
        steps.append(
            step(
                "planning_target",
                "Planning target (calibrated)",
                planning,
                "share",
                f"1 - (1 - {pct(business, 2)}) x {fmt(factor, 3)}" if factor is not None else "",
                "service calibration"
                + (f" of group {group}" if group else "")
                + ": the shortage the target allows, scaled by how far the plan's replay of recent weeks fell "
                "short (factor below 1) or over (above 1)",
            )
        )
    if used is not None and planning is not None and abs(used - planning) > 1e-9:
        group = str(plan.get("calibration_group") or "")
        hub = group.endswith("|hub")
        notes = ["the hub plans for its branches' demand-weighted target"] if hub else []
        if allocated:
            notes.append(
                f"the planning target is met by {'the group' if not group else 'group ' + group} as a whole at least "
                "stock: a unit of safety stock buys more fill on a cheap fast mover than on a dear slow one, so each "
                "SKU-location gets the share where a unit of stock costs what the units short it saves are worth "
                "at one price for the group (Silver-Pyke-Thomas 6.7, the B2 shortage cost), never more than "
                f"{100 * floor_points:.0f} points below its own target"
            )
        steps.append(
            step(
                "pooled_target" if hub and not allocated else "allocated_target",
                "Target of the pooled network" if hub and not allocated else "Target this SKU-location meets",
                used,
                "share",
                note="; ".join(notes),
            )
        )
    return steps


def policy_derivation(plan: Mapping[str, Any], run_options: Mapping[str, Any]) -> dict:
    """Every step from the inputs to the order-up-to level, with the binding order-quantity constraint."""
    policy = dict(run_options.get("policy") or {})
    review_days = _number(run_options.get("review_days"))
    if review_days is None:
        review_days = _number(policy.get("review_days")) or 0.0
    quantity_steps, binding = order_quantity_steps(plan, policy)
    return {
        "complete": plan.get("lead_time_demand_mean") is not None,
        "targets": target_steps(plan, policy),
        "lead_time_demand": lead_time_demand_steps(plan, review_days),
        "order_quantity": quantity_steps,
        "binding_constraint": binding,
        "reorder_point": reorder_point_steps(plan, policy),
        "static_min_max_used": "static_min_max_used" in (plan.get("flags") or []),
    }
