"""Service calibration: learn from the training history how far the plan's achieved fill rate falls from its targets,
and correct the target the plan is computed for, per segment.

The fill-rate formulas behind the reorder point rest on approximations (normal or negative binomial lead-time
demand, independent days, a backtest sd from 13 weeks). Rather than trust them blindly, DistOps replays the last
weeks of the training history it already holds: the plan as of `CALIBRATION_WEEKS` before the planner's today,
re-planned on the same cadence, simulated against the actual demand of those weeks and the recorded supplier lead
times. Per group (ABC-XYZ segment x supply role: own supplier, hub, pooled branch) it measures the achieved fill
rate and derives a factor on the allowed shortage:

    planning target = 1 - (1 - target) x c,  c = (1 - target) / (1 - achieved)   (clipped to [0.1, 10])

the first-order correction when shortages scale with the shortage allowed per cycle. A second pass replays the
weeks again with those factors and multiplies in its own correction (shortages do not scale exactly). Launches
(under `MIN_HISTORY_WEEKS` of history at the replay's start) and groups under `MIN_GROUP_SERIES` keep c = 1. The
held-out weeks are never seen: calibration reads only history before the planner's today.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from replenish.engine import simulate as sim

from .days import DAYS_PER_WEEK, spread_periods_to_days
from .planning import average_position, dynamic_policy, plan_schedule
from .window import WEEK, EvaluationWindow, recorded_lead_time_quantile

CALIBRATION_WEEKS = 26  # replayed weeks of training history: 13 warm-up + 13 measured
CALIBRATION_WARMUP_WEEKS = 13
CALIBRATION_REPLAN_WEEKS = 4
CALIBRATION_ITERATIONS = 2  # the second pass measures the first pass's factors and refines them
MIN_GROUP_SERIES = 20  # smaller groups keep c = 1
MIN_HISTORY_WEEKS = 26
FACTOR_BOUNDS = (0.1, 10.0)


@dataclass
class Calibration:
    # per group: series, target, achieved (in the last pass), factor (c on the allowed shortage)
    groups: dict[str, dict[str, Any]]
    weeks: int

    def summary(self) -> dict[str, Any]:
        return {"weeks": self.weeks, "warmup_weeks": CALIBRATION_WARMUP_WEEKS, "groups": self.groups}


def supply_role(supply_from: np.ndarray) -> np.ndarray:
    supply_from = np.asarray(supply_from, dtype=np.int64)
    hubs = np.isin(np.arange(supply_from.size), supply_from[supply_from >= 0])
    return np.where(supply_from >= 0, "branch", np.where(hubs, "hub", "own"))


def calibrate(
    window: EvaluationWindow, *, seed: int, replan_periods: int | None = None, progress=None
) -> Calibration | None:
    """Replay the last `CALIBRATION_WEEKS` of the training history, re-planned every `replan_periods` weeks as the
    evaluation will be (default `CALIBRATION_REPLAN_WEEKS`), and return the factors per group (None when the
    history is too short or not weekly)."""
    say = progress or (lambda _message: None)
    history = window.inputs.demand
    n, n_weeks = history.shape
    if window.period != WEEK or n_weeks < CALIBRATION_WEEKS + 26:
        return None
    cut = n_weeks - CALIBRATION_WEEKS
    replayed = np.nan_to_num(history[:, cut:]).astype(np.float32)
    promo = window.inputs.promo
    inputs = replace(
        window.inputs,
        demand=history[:, :cut],
        promo=None if promo is None else promo[:, :cut],
        open_supply=None,
        series=window.inputs.series.assign(on_hand=0.0, allocated=0.0, backordered=0.0),
    )
    receipts = window.inputs.receipts
    if receipts is not None and len(receipts):
        # the replayed plan sees the receipts before its own today only
        cut_day = pd.Timestamp(window.plan_as_of) - pd.Timedelta(weeks=CALIBRATION_WEEKS)
        receipts = receipts[pd.to_datetime(receipts["received_date"]) < cut_day].reset_index(drop=True)
        inputs = replace(inputs, receipts=receipts)
    past = replace(
        window,
        inputs=inputs,
        future=replayed,
        future_promo=np.zeros_like(replayed, dtype=bool) if promo is None else promo[:, cut:],
        period_days=np.full(CALIBRATION_WEEKS, int(DAYS_PER_WEEK)),
        warmup_periods=CALIBRATION_WARMUP_WEEKS,
        lead_time_quantile=recorded_lead_time_quantile(window.inputs.series, receipts),
        initial_on_hand=None,
        open_orders=None,
    )
    rng = np.random.default_rng([seed, 20_271])
    daily, lines = spread_periods_to_days(replayed, past.period_days, rng=rng, line_size=window.line_size)
    calibration = Calibration(groups={}, weeks=CALIBRATION_WEEKS)
    for iteration in range(CALIBRATION_ITERATIONS):
        calibration = _replay(
            past, daily, lines, seed, calibration, iteration > 0,
            replan_periods or CALIBRATION_REPLAN_WEEKS,
        )  # fmt: skip
    say(f"service calibration on {CALIBRATION_WEEKS} weeks of history: {len(calibration.groups)} groups")
    return calibration


def _replay(
    past: EvaluationWindow,
    daily: np.ndarray,
    lines: np.ndarray | None,
    seed: int,
    previous: Calibration,
    apply_previous: bool,
    replan_periods: int,
) -> Calibration:
    """One calibration pass: plan (with the previous pass's factors, if asked), simulate the replayed weeks and
    update each group's factor by how far it still falls from its target."""
    schedule = plan_schedule(
        past,
        replan_periods=replan_periods,
        calibration_factors=(lambda plan: factors_for(previous, plan)) if apply_previous else None,
    )
    plan = schedule.plan
    supply_from = plan["supply_from_series"].to_numpy(dtype=np.int64)
    policy = dynamic_policy(schedule, past.inputs.series)
    scenario = sim.Scenario(
        demand=daily,
        order_lines=lines,
        lead_times=sim.seeded_lead_time_sampler(past.lead_time_quantile, seed + 1),
        initial_on_hand=average_position(policy),
    )
    warmup_days = CALIBRATION_WARMUP_WEEKS * int(DAYS_PER_WEEK)
    result = sim.simulate(scenario, policy, sim.SimulationOptions(warmup_days=warmup_days))
    # series with under half a year of history at the cut are launches, not what the targets' formulas misjudge
    established = np.isfinite(past.inputs.demand).sum(axis=1) >= MIN_HISTORY_WEEKS
    group = np.where(established, _groups(plan, supply_from), "new")
    frame = pd.DataFrame(
        {
            "group": group,
            "target": plan["service_target"].to_numpy(dtype=float),
            "fill_target": plan["target_type"].astype(str).to_numpy() == "fill_rate",
            "demand": result.per_series["demand_units"].to_numpy(),
            "filled": result.per_series["filled_on_time_units"].to_numpy(),
        }
    )
    groups: dict[str, dict[str, Any]] = {}
    for name, rows in frame.groupby("group", sort=True):
        demand = rows["demand"].sum()
        target = float(np.average(rows["target"], weights=rows["demand"])) if demand > 0 else float("nan")
        achieved = float(rows["filled"].sum() / demand) if demand > 0 else float("nan")
        factor = previous.groups.get(str(name), {}).get("factor", 1.0) if apply_previous else 1.0
        calibrated = name != "new" and len(rows) >= MIN_GROUP_SERIES and rows["fill_target"].all()
        if calibrated and demand > 0 and target < 1.0:
            factor = float(np.clip(factor * (1.0 - target) / max(1.0 - achieved, 1e-6), *FACTOR_BOUNDS))
        groups[str(name)] = {
            "series": len(rows),
            "target": round(target, 4),
            "achieved": round(achieved, 4),  # in this pass, with the previous pass's factor
            "factor": round(factor, 3),
        }
    return Calibration(groups=groups, weeks=CALIBRATION_WEEKS)


def _groups(plan: pd.DataFrame, supply_from: np.ndarray) -> np.ndarray:
    segment = np.char.add(
        plan["abc"].astype(str).to_numpy().astype(str), plan["xyz"].astype(str).to_numpy().astype(str)
    )
    return np.char.add(np.char.add(segment, "|"), supply_role(supply_from).astype(str))


def factors_for(calibration: Calibration, plan: pd.DataFrame) -> np.ndarray:
    """Per series of a plan: the factor of its group (1 where the group was not calibrated)."""
    group = _groups(plan, plan["supply_from_series"].to_numpy(dtype=np.int64))
    lookup = {name: row["factor"] for name, row in calibration.groups.items()}
    return np.array([lookup.get(str(g), 1.0) for g in group])


__all__ = ["Calibration", "calibrate", "factors_for"]
