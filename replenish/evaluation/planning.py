"""The DistOps plan the dynamic policies follow: run on the training history, then re-run on a cadence as the
simulated periods are revealed (DistOps re-plans as demand arrives; the ERP's min-max is never revisited).

Demand does not depend on the policy (unfilled demand is backordered), so every re-plan can be computed before the
simulation starts: the plan of period k sees the training history plus the demand of simulated periods 0..k-1,
nothing later. Each re-plan is the production engine (`replenish.engine.run_plan`) on that history.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from replenish.engine import PolicySettings, compute_policy, run_plan
from replenish.engine import simulate as sim
from replenish.engine.calibration import group_factors
from replenish.engine.fill_rate import rounding_draw
from replenish.engine.forecast import ForecastResult

from .days import DAYS_PER_WEEK
from .window import MONTH, EvaluationWindow

# The simulator reviews every day (an order can be placed at the end of any day), so the plan's protection interval
# is lead time + 1 day: the review period R of the textbook L + R (Silver-Pyke-Thomas 6.7).
SIMULATED_REVIEW_DAYS = 1.0
TRANSFER_LEAD_TIME_DAYS = 2  # as the plan assumes (PlanInputs.transfer_days): transfers and pulls from a hub


@dataclass
class PolicyLevels:
    first_day: int  # the day (0 = the planner's today) from which these levels apply
    reorder_point: np.ndarray
    order_up_to: np.ndarray
    pool_credit: np.ndarray | None = None  # the plan's pool_credit_cap (recommend.pool_credit)


@dataclass
class PlanSchedule:
    plan: pd.DataFrame  # the first plan (day 0): classes, targets, forecasts, lead times, policy
    forecast: ForecastResult | None
    levels: list[PolicyLevels]
    seconds: list[float] = field(default_factory=list)


def plan_schedule(
    window: EvaluationWindow,
    *,
    replan_periods: int | None,
    review_days: float = SIMULATED_REVIEW_DAYS,
    progress=None,
    service_calibration: Mapping[str, float] | None = None,
    target_calibration: np.ndarray | None = None,
) -> PlanSchedule:
    """The first plan and its re-plans every `replan_periods` simulated periods (None or 0: plan once), each
    planning for its targets corrected by the `service_calibration` factors of its groups (engine/calibration.py),
    or by `target_calibration`, one factor per series. A series keeps the factor of the group the first plan put it
    in through the re-plans: the held-out periods are measured per the class each series started in, and a part
    re-classified between Y and Z from one month to the next would otherwise be planned with the other class's
    factor half the time (on the car parts, CY's 43 parts took CZ's factor of 0.2 whenever they read as Z and were
    over-served by 4-5 points whatever CY's own factor)."""
    say = progress or (lambda _message: None)
    total = window.future.shape[1]
    step = replan_periods if replan_periods and replan_periods > 0 else total
    starts = np.concatenate([[0], np.cumsum(window.period_days)])
    levels: list[PolicyLevels] = []
    seconds: list[float] = []
    first_plan = None
    forecast = None
    supply_from = None  # the first plan's supply assignment (network.py), kept by the re-plans
    if window.period == MONTH:  # the monthly policy is recomputed per series below: no pooling
        supply_from = np.full(window.n_series, -1, dtype=np.int64)
    for k in range(0, total, step):
        started = time.perf_counter()
        inputs = replace(
            _inputs_at(window, k, review_days),
            supply_from=supply_from,
            service_calibration=service_calibration,
            target_calibration=target_calibration,
        )
        result = run_plan(inputs)
        if target_calibration is None and service_calibration:
            # the re-plans keep each series' factor of the group it started in (see the function doc)
            target_calibration = group_factors(
                result.plan["calibration_group"].to_numpy(), service_calibration
            )
        supply_from = result.plan["supply_from_series"].to_numpy(dtype=np.int64)
        plan = result.plan
        if window.period == MONTH:
            plan = _monthly_policy(plan, window, review_days)
        reorder_point, order_up_to = policy_levels(plan, window.capacity)
        credit = plan["pool_credit_cap"].to_numpy(dtype=float) if "pool_credit_cap" in plan else None
        levels.append(PolicyLevels(int(starts[k]), reorder_point, order_up_to, credit))
        seconds.append(round(time.perf_counter() - started, 3))
        if first_plan is None:
            first_plan, forecast = plan, result.forecast
        say(f"plan {len(levels)} (period {k}) in {seconds[-1]:.1f} s")
    assert first_plan is not None
    return PlanSchedule(plan=first_plan, forecast=forecast, levels=levels, seconds=seconds)


def dynamic_policy(schedule: PlanSchedule, series: pd.DataFrame) -> sim.InventoryPolicy:
    """The simulated DistOps policy of a plan schedule: its first levels, the re-plans as revisions, the pooled
    SKU-locations pulling from their hub (which counts their stock above their order-up-to levels as the nightly
    plan's purchase orders do), under the series' MOQ and pack sizes."""
    first, *later = schedule.levels
    return sim.InventoryPolicy(
        reorder_point=first.reorder_point,
        order_up_to=first.order_up_to,
        moq=np.nan_to_num(series["moq"].to_numpy(dtype=float)),
        pack_size=np.nan_to_num(series["pack_size"].to_numpy(dtype=float), nan=1.0),
        supply_from=schedule.plan["supply_from_series"].to_numpy(dtype=np.int64),
        hub_lead_time_days=TRANSFER_LEAD_TIME_DAYS,
        pool_credit=first.pool_credit,
        revisions=tuple(
            sim.PolicyRevision(
                level.first_day,
                level.reorder_point,
                order_up_to=level.order_up_to,
                pool_credit=level.pool_credit,
            )
            for level in later
        ),
    )


def average_position(policy: sim.InventoryPolicy) -> np.ndarray:
    """A policy's own average position, s + (S - s) / 2 rounded up: the start when no stock is recorded."""
    reorder_point = np.asarray(policy.reorder_point, dtype=float)
    return np.ceil(reorder_point + (np.asarray(policy.order_up_to, dtype=float) - reorder_point) / 2.0)


def policy_levels(plan: pd.DataFrame, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, S) from a plan: the reorder point and the order-up-to level (reorder point + order quantity), with S
    capped by the storage capacity (and s by S).

    S is an inventory position (on hand + on order - backorders); what the bin must hold is the on hand when the
    order arrives, about S minus the demand over the lead time and review. So S is capped at capacity + that mean
    demand: the expected peak on hand fits the bin. (Capping the position itself at a bin smaller than the lead-time
    demand would starve the series: it could never have enough on order.)
    """
    reorder_point = np.nan_to_num(plan["reorder_point"].to_numpy(dtype=float))
    order_up_to = np.maximum(np.nan_to_num(plan["order_up_to"].to_numpy(dtype=float)), reorder_point)
    cover = np.nan_to_num(plan["lead_time_demand_mean"].to_numpy(dtype=float))
    room = np.where(np.isfinite(capacity), capacity + cover, np.inf)
    order_up_to = np.minimum(order_up_to, room)
    return np.minimum(reorder_point, order_up_to), order_up_to


def _inputs_at(window: EvaluationWindow, k: int, review_days: float):
    base = window.inputs
    demand, promo = base.demand, base.promo
    if k:
        demand = np.concatenate([demand[:, k:], window.future[:, :k].astype(demand.dtype)], axis=1)
        if promo is not None:
            promo = np.concatenate([promo[:, k:], window.future_promo[:, :k]], axis=1)
    options = replace(base.options, review_days=review_days, policy=None)
    return replace(base, demand=demand, promo=promo, options=options)


def _monthly_policy(plan: pd.DataFrame, window: EvaluationWindow, review_days: float) -> pd.DataFrame:
    """The engine plans in periods it takes for weeks; for monthly history the forecast is per month, so the
    policy is recomputed with the forecast converted to weeks (mean x 7 / days a month, sd x its square root:
    independent days, as the engine's lead-time demand assumes)."""
    scale = DAYS_PER_WEEK / float(np.mean(window.period_days))
    series = window.inputs.series
    frame = pd.DataFrame(
        {
            "forecast_weekly": plan["forecast_weekly"].to_numpy(dtype=float) * scale,
            "forecast_sd_weekly": plan["forecast_sd_weekly"].to_numpy(dtype=float) * np.sqrt(scale),
            "demand_class": plan["demand_class"].astype(str).to_numpy(),
            "lead_time_days": plan["lead_time_mean"].to_numpy(dtype=float),
            "lead_time_sd_days": plan["lead_time_sd"].to_numpy(dtype=float),
            "target_type": plan["target_type"].to_numpy(),
            "service_target": plan["planning_target"].to_numpy(dtype=float),
            "unit_cost": series["unit_cost"].to_numpy(dtype=float),
            "ordering_cost": series["ordering_cost"].to_numpy(dtype=float),
            "holding_rate": series["holding_rate"].to_numpy(dtype=float),
            "moq": series["moq"].to_numpy(dtype=float),
            "pack_size": series["pack_size"].to_numpy(dtype=float),
            "capacity": np.nan,
            "inventory_position": 0.0,
            "static_min": window.static_min,
            "static_max": window.static_max,
            "flag_no_history": plan["flag_no_history"].to_numpy(dtype=bool),
            "rounding_draw": rounding_draw(window.item_location_ids),
            "allocation_group": plan["calibration_group"].astype(str).to_numpy(),
        }
    )
    policy = compute_policy(frame, PolicySettings(review_days=review_days))
    converted = plan.copy()
    converted["forecast_weekly"] = frame["forecast_weekly"].to_numpy()
    converted["forecast_sd_weekly"] = frame["forecast_sd_weekly"].to_numpy()
    for column in ("safety_stock", "reorder_point", "order_quantity", "order_up_to"):
        converted[column] = policy[column].to_numpy()
    return converted
