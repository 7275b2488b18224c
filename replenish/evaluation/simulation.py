"""Run the policies on the same demand and lead-time draws and assemble the report.

Policies (all under the same MOQ and pack-size rules, daily review, backorders):
- `static`: the ERP's static min-max, never revisited;
- `dynamic`: DistOps reorder points and order-up-to levels (reorder point + economic order quantity), re-planned
  on a cadence as demand arrives;
- `dynamic_plus`: the same plan, plus lateral transfers between the locations of an item and prioritized
  expediting (only where the margin a pulled-in order saves covers the emergency freight).

The report is a JSON-serialisable dict: per policy, the totals and the rows per class (ABC-XYZ segment, ABC class,
demand class) with fill rate (units and lines), stockout frequency, average inventory value, turns, expedites,
emergency freight, transfers and the exceptions a person would review; the service targets per class and how
close each dynamic policy came to them; the acceptance checks of the issue; timings and peak memory.
"""

from __future__ import annotations

import resource
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone

from replenish.engine import simulate as sim
from replenish.engine.network import PoolingSettings
from replenish.engine.recommend import cancelled_open_lines

from .attention import AttentionSettings, attention_comparison
from .calibration import calibrate
from .days import spread_periods_to_days
from .planning import TRANSFER_LEAD_TIME_DAYS, PlanSchedule, average_position, dynamic_policy, plan_schedule
from .report import DYNAMIC, DYNAMIC_PLUS, POLICY_LABELS, STATIC, assemble_report
from .sweep import run_grid
from .window import DAYS_PER_MONTH, GENERATED, MONTH, EvaluationError, EvaluationWindow, evaluation_window

DEFAULT_POLICIES = (STATIC, DYNAMIC, DYNAMIC_PLUS)

# The third policy's actions and their costs (the emergency-freight proxy).
EXPEDITE_DAYS_SAVED = 5  # a supplier pulls an open order in by about a week's worth of working days
EXPEDITE_FEE = 75.0  # per expedited order line: the supplier's rush charge and the buyer's time
EXPEDITE_FREIGHT_RATE = 0.08  # premium freight, as a share of the value of the goods expedited
TRANSFER_COST = 40.0  # per transfer: picking, a shuttle truck slot, receiving

RANDOM = "random"  # each period's units fall on days (and order lines) at random, seeded
EVEN = "even"  # each period's units spread evenly over its days (deterministic)
DAY_SPREADS = (RANDOM, EVEN)

# The static policy's own trade-off curve: its min scaled by these factors (1.0 is the ERP's min-max itself).
STATIC_FRONTIER_MULTIPLIERS = (0.5, 0.75, 1.5, 2.0, 3.0)

DEFAULT_WARMUP_WEEKS = {GENERATED: 13, "actuals": 0}
DEFAULT_REPLAN_WEEKS = (
    1  # DistOps re-plans nightly; weekly re-plans are close (and every 4 weeks halves the time)
)


def simulation_run(
    *,
    demand: str = GENERATED,
    weeks: int = 26,
    warmup_weeks: int | None = None,
    seed: int = 1,
    policies: Sequence[str] = DEFAULT_POLICIES,
    location: str | None = None,
    replan_weeks: int = DEFAULT_REPLAN_WEEKS,
    day_spread: str = RANDOM,
    frontier: bool = True,
    calibration: bool = True,
    targets: Sequence[tuple[str, float]] = (),
    target_levels: Sequence[float] | None = None,
    seeds: Sequence[int] | None = None,
    progress: Callable[[str], None] | None = None,
    attention: AttentionSettings | None = None,
) -> dict[str, Any]:
    """Simulate the policies over `weeks` the planner never saw and return the report (see the module doc).
    `attention` adds the attention simulation (attention.py: planners working K tasks a day each).

    `targets` (class, value) set service targets; `target_levels` runs once per level with every class at it;
    `seeds` runs once per simulation seed (default: `seed` alone). Several runs: the first run's report carries
    the `sweep` summary (achieved against target per class over the seeds, sweep.py)."""

    def run(*, seed: int, policy_table: pd.DataFrame | None) -> dict[str, Any]:
        return evaluate(
            calibration=calibration,
            demand=demand,
            weeks=weeks,
            warmup_weeks=warmup_weeks,
            seed=seed,
            policies=policies,
            location=location,
            replan_weeks=replan_weeks,
            day_spread=day_spread,
            frontier=frontier,
            progress=progress,
            policy_table=policy_table,
            attention=attention,
        ).report

    return run_grid(
        run, seeds=seeds or [seed], levels=target_levels or [None], overrides=targets, progress=progress
    )


@dataclass
class Evaluation:
    report: dict[str, Any]
    window: EvaluationWindow
    schedule: PlanSchedule


def evaluate(
    *,
    demand: str,
    weeks: int,
    warmup_weeks: int | None,
    seed: int,
    policies: Sequence[str],
    location: str | None,
    replan_weeks: int,
    day_spread: str = RANDOM,
    frontier: bool = False,
    calibration: bool = False,
    progress: Callable[[str], None] | None = None,
    policy_table: pd.DataFrame | None = None,
    attention: AttentionSettings | None = None,
) -> Evaluation:
    say = progress or (lambda _message: None)
    if attention is not None:
        attention.validate()
    unknown = [p for p in policies if p not in POLICY_LABELS]
    if unknown or not policies:
        raise EvaluationError(
            f"Unknown policy {', '.join(unknown) or '(none)'}: choose from {', '.join(POLICY_LABELS)}."
        )
    if day_spread not in DAY_SPREADS:
        raise EvaluationError(f"--day-spread must be one of {', '.join(DAY_SPREADS)} (got {day_spread!r}).")
    warmup = DEFAULT_WARMUP_WEEKS.get(demand, 0) if warmup_weeks is None else warmup_weeks
    timings: dict[str, float] = {}
    started = time.perf_counter()
    window = evaluation_window(mode=demand, weeks=weeks, warmup_weeks=warmup, seed=seed, location=location)
    if policy_table is not None:  # service targets set for this evaluation (sweep.target_table)
        window.inputs = replace(window.inputs, policy_table=policy_table)
    timings["load"] = _lap(started)
    say(f"{window.n_series:,} SKU-locations, {window.future.shape[1]} {window.period}s to simulate")

    replan_periods = _periods(window, replan_weeks)
    learned = None
    if calibration and any(p != STATIC for p in policies):
        started = time.perf_counter()
        learned = calibrate(
            window, seed=seed, replan_periods=replan_periods or None, day_spread=day_spread, progress=say
        )
        timings["calibration"] = _lap(started)
    started = time.perf_counter()
    schedule = plan_schedule(
        window,
        replan_periods=replan_periods,
        progress=say,
        service_calibration=None if learned is None else learned.factors(),
    )
    timings["plan"] = _lap(started)

    started = time.perf_counter()
    scenario, warmup_days = build_scenario(window, schedule, seed=seed, even=day_spread == EVEN)
    timings["scenario"] = _lap(started)

    labels = class_labels(schedule.plan)
    results: dict[str, sim.SimulationResult] = {}
    cancelled = (0, 0.0)  # open lines and units DistOps cancels at the start (open_orders_for)
    for name in policies:
        started = time.perf_counter()
        policy, options, start = policy_setup(name, window, schedule, scenario, warmup_days=warmup_days)
        seen = scenario_for(
            name, replace(scenario, initial_on_hand=start), schedule, window.open_order_cancellable
        )
        if name != STATIC:
            cancelled = _cancelled_lines(window.open_orders, seen.initial_pipeline)
        results[name] = sim.simulate(seen, policy, options)
        timings[f"simulate.{name}"] = _lap(started)
        say(f"{name}: simulated in {timings[f'simulate.{name}']:.1f} s")
    measured_days = next(iter(results.values())).measured_days
    curve = None
    if frontier and STATIC in results:
        started = time.perf_counter()
        curve = static_frontier(window, schedule, scenario, results[STATIC], warmup_days=warmup_days)
        timings["simulate.static_frontier"] = _lap(started)
        say(f"static min-max frontier: simulated in {timings['simulate.static_frontier']:.1f} s")
    report = assemble_report(results, labels, schedule.plan, measured_days=measured_days, frontier=curve)
    if attention is not None:
        started = time.perf_counter()

        def setup(name: str) -> tuple[sim.Scenario, sim.InventoryPolicy, sim.SimulationOptions]:
            policy, options, start = policy_setup(name, window, schedule, scenario, warmup_days=warmup_days)
            seen = scenario_for(
                name, replace(scenario, initial_on_hand=start), schedule, window.open_order_cancellable
            )
            return seen, policy, options

        report["attention"] = attention_comparison(
            attention, window=window, schedule=schedule, scenario=scenario, warmup_days=warmup_days, seed=seed,
            static=results.get(STATIC), setup=setup, progress=say,
        )  # fmt: skip
        timings["simulate.attention"] = _lap(started)
    report["kind"] = "simulation"
    report["parameters"] = {
        "demand": demand,
        "weeks": weeks,
        "warmup_weeks": warmup,
        "seed": seed,
        "policies": list(policies),
        "location": location or "",
        "replan_weeks": replan_weeks,
        "day_spread": day_spread,
        "frontier": bool(curve),
        "replan_periods": replan_periods or 0,
        "plans": len(schedule.levels),
        "period": window.period,
        "plan_as_of": window.plan_as_of.isoformat(),
        "measured_days": measured_days,
        "warmup_days": warmup_days,
        "n_series": window.n_series,
        **window.description,
    }
    report["parameters"]["calibration"] = learned is not None
    report["calibration"] = None if learned is None else learned.summary()
    pooled = int((schedule.plan["supply_from_series"].to_numpy(dtype=np.int64) >= 0).sum())
    report["notes"] = window.notes + _policy_notes(policies, replan_weeks, pooled, cancelled)
    if learned is not None:
        report["notes"].append(
            f"Service calibration: before the held-out weeks, DistOps replayed the last {learned.periods} "
            f"{learned.period}s of the training history (actual demand, recorded lead times, days spread "
            f"{learned.day_spread}ly) with its own plan and corrected the target it plans for in each segment by "
            "how far it fell short or over (evaluation/calibration.py)."
        )
    report["timings"] = {**timings, "plans": schedule.seconds, "total": round(sum(timings.values()), 3)}
    report["peak_memory_mb"] = peak_memory_mb()
    report["created_at"] = timezone.now().isoformat()
    report["currency"] = getattr(settings, "DISTOPS_CURRENCY", "USD")
    return Evaluation(report=report, window=window, schedule=schedule)


# --- scenario and policies ------------------------------------------------------------------------------------


def build_scenario(
    window: EvaluationWindow, schedule: PlanSchedule, *, seed: int, even: bool = False
) -> tuple[sim.Scenario, int]:
    """The simulator's scenario: daily demand (and order lines) from the simulated periods, the seeded lead-time
    sampler, the starting stock and the planner's view used for the exception count; the same for every policy."""
    rng = np.random.default_rng([seed, zlib.crc32(b"evaluation-days")])
    daily, lines = spread_periods_to_days(
        window.future, window.period_days, rng=rng, line_size=window.line_size, even=even
    )
    warmup_days = int(window.period_days[: window.warmup_periods].sum())
    plan = schedule.plan
    series = window.inputs.series
    unit_cost = np.nan_to_num(series["unit_cost"].to_numpy(dtype=float))
    unit_price = np.nan_to_num(series["unit_price"].to_numpy(dtype=float))
    scenario = sim.Scenario(
        demand=daily,
        order_lines=lines,
        lead_times=sim.seeded_lead_time_sampler(window.lead_time_quantile, seed),
        initial_on_hand=0.0 if window.initial_on_hand is None else window.initial_on_hand,
        initial_pipeline=window.open_orders,
        unit_cost=unit_cost,
        unit_price=unit_price,
        class_label=class_labels(plan)["segment"],
        item_group=series["item_id"].to_numpy(dtype=np.int64),
        # What DistOps believes (the first plan): the exception count and the expedite rule use it.
        planning_daily_demand=np.nan_to_num(plan["forecast_weekly"].to_numpy(dtype=float)) / 7.0,
        planning_lead_time_days=np.nan_to_num(plan["lead_time_mean"].to_numpy(dtype=float), nan=14.0),
    )
    return scenario, warmup_days


def policy_setup(
    name: str, window: EvaluationWindow, schedule: PlanSchedule, scenario: sim.Scenario, *, warmup_days: int
) -> tuple[sim.InventoryPolicy, sim.SimulationOptions, np.ndarray | float]:
    """(policy, options, starting on hand) of one policy."""
    series = window.inputs.series
    moq = np.nan_to_num(series["moq"].to_numpy(dtype=float))
    pack = np.nan_to_num(series["pack_size"].to_numpy(dtype=float), nan=1.0)
    options = sim.SimulationOptions(warmup_days=warmup_days)
    if name == STATIC:
        reorder_point = np.nan_to_num(window.static_min)
        order_up_to = np.maximum(np.nan_to_num(window.static_max), reorder_point)
        policy = sim.InventoryPolicy(
            reorder_point=reorder_point, order_up_to=order_up_to, moq=moq, pack_size=pack
        )
    else:
        policy = dynamic_policy(schedule, series)
        if name == DYNAMIC_PLUS:
            options = replace(
                options,
                transfers=sim.TransferOption(
                    lead_time_days=TRANSFER_LEAD_TIME_DAYS, cost_per_transfer=TRANSFER_COST
                ),
                expedite=sim.ExpediteOption(
                    days_saved=EXPEDITE_DAYS_SAVED,
                    fee=EXPEDITE_FEE,
                    freight_rate=EXPEDITE_FREIGHT_RATE,
                    eligible=expedite_worthwhile(schedule.plan, series),
                ),
            )
    start: np.ndarray | float = scenario.initial_on_hand  # type: ignore[assignment]
    if window.initial_on_hand is None:
        # No recorded stock at the start of held-out history: each policy starts at its own average position.
        start = average_position(policy)
    return policy, options, start


def scenario_for(
    name: str, scenario: sim.Scenario, schedule: PlanSchedule, cancellable: np.ndarray | None = None
) -> sim.Scenario:
    """The shared scenario as one policy sees it: for DistOps, the open POs of the SKU-locations it supplies from
    their hub go to the hub and the excess ones it cancels are gone (`open_orders_for`; ``cancellable``: per open
    order, a PO line not yet shipped), and those SKU-locations plan on the transfer lead time (the exception count
    projects their stock over it and the day the pull takes to land, not over the supplier's)."""
    if name == STATIC:
        return scenario
    supplied = schedule.plan["supply_from_series"].to_numpy(dtype=np.int64) >= 0
    planned = scenario.planning_lead_time_days
    if planned is not None and supplied.any():
        # a pull placed today is usable after the transfer and one day (the simulator's timing): the projection
        # over that horizon sees it
        planned = np.where(supplied, float(TRANSFER_LEAD_TIME_DAYS + 1), np.asarray(planned, dtype=float))
    return replace(
        scenario,
        initial_pipeline=open_orders_for(
            name,
            scenario.initial_pipeline,
            schedule,
            cancellable=cancellable,
            on_hand=scenario.initial_on_hand,
        ),
        planning_lead_time_days=planned,
    )


def open_orders_for(
    name: str,
    open_orders: sim.OpenOrders | None,
    schedule: PlanSchedule,
    *,
    cancellable: np.ndarray | None = None,
    on_hand: Any = 0.0,
) -> sim.OpenOrders | None:
    """The open purchase orders at the start as each policy holds them. For DistOps:
    - the ERP's orders for SKU-locations that DistOps supplies from their item's hub (network.py) are redirected
      to the hub: DistOps proposes the ship-to change at once (the goods then serve the whole network instead of
      one branch's slow demand);
    - the lines its first plans cancel are gone (`recommend.cancelled_open_lines`: a SKU-location whose position,
      ``on_hand`` plus its open orders, is above its order-up-to level plus 8 weeks of demand loses its latest
      lines not yet shipped (``cancellable``) while it stays at or above the order-up-to level without them; the
      buyer accepts the cancellations, as the simulated policy places DistOps' orders). Lines it would defer
      instead arrive as promised."""
    if name == STATIC or open_orders is None:
        return open_orders
    supply_from = schedule.plan["supply_from_series"].to_numpy(dtype=np.int64)
    series = np.asarray(open_orders.series, dtype=np.int64)
    if series.size == 0:
        return open_orders
    series = np.where(supply_from[series] >= 0, supply_from[series], series)
    quantity = np.asarray(open_orders.quantity, dtype=float)
    available_day = np.asarray(open_orders.available_day)
    keep = np.ones(series.size, dtype=bool)
    if cancellable is not None:
        plan = schedule.plan
        n = len(plan)
        position = np.broadcast_to(np.asarray(on_hand, dtype=float), (n,)) + np.bincount(
            series, weights=quantity, minlength=n
        )
        history = ~plan["flag_no_history"].to_numpy(dtype=bool)
        keep = ~cancelled_open_lines(
            series,
            quantity,
            available_day,
            np.asarray(cancellable, dtype=bool) & history[series],
            position,
            schedule.levels[0].order_up_to,
            plan["forecast_weekly"].to_numpy(dtype=float),
        )
    return sim.OpenOrders(series=series[keep], available_day=available_day[keep], quantity=quantity[keep])


def expedite_worthwhile(plan: pd.DataFrame, series: pd.DataFrame) -> np.ndarray:
    """Prioritized expediting: a SKU-location is expedited only when the margin of the days of demand a pulled-in
    order saves covers the emergency freight of pulling in one order quantity."""
    daily = np.nan_to_num(plan["forecast_weekly"].to_numpy(dtype=float)) / 7.0
    cost = np.nan_to_num(series["unit_cost"].to_numpy(dtype=float))
    margin = np.maximum(np.nan_to_num(series["unit_price"].to_numpy(dtype=float)) - cost, 0.0)
    quantity = np.nan_to_num(plan["order_quantity"].to_numpy(dtype=float))
    saved = margin * daily * EXPEDITE_DAYS_SAVED
    return saved >= EXPEDITE_FEE + EXPEDITE_FREIGHT_RATE * quantity * cost


def static_frontier(
    window: EvaluationWindow,
    schedule: PlanSchedule,
    scenario: sim.Scenario,
    static: sim.SimulationResult,
    *,
    warmup_days: int,
) -> list[dict[str, Any]]:
    """Static min-max with its min scaled (min x f, max + (f - 1) x min: the same lot size), on the same draws:
    the ERP's own fill-rate / inventory trade-off, to compare the dynamic policies with at equal fill rate."""
    points = [_frontier_point(1.0, static)]
    for multiplier in STATIC_FRONTIER_MULTIPLIERS:
        scaled = replace(
            window,
            static_min=np.nan_to_num(window.static_min) * multiplier,
            static_max=np.nan_to_num(window.static_max)
            + (multiplier - 1.0) * np.nan_to_num(window.static_min),
        )
        policy, options, start = policy_setup(STATIC, scaled, schedule, scenario, warmup_days=warmup_days)
        result = sim.simulate(replace(scenario, initial_on_hand=start), policy, options)
        points.append(_frontier_point(multiplier, result))
    return sorted(points, key=lambda point: point["multiplier"])


def _frontier_point(multiplier: float, result: sim.SimulationResult) -> dict[str, Any]:
    total = result.total.iloc[0]
    return {
        "multiplier": multiplier,
        "unit_fill_rate": float(total["unit_fill_rate"]),
        "line_fill_rate": float(total["line_fill_rate"]) if np.isfinite(total["line_fill_rate"]) else None,
        "avg_on_hand_value": float(total["avg_on_hand_value"]),
        "avg_on_hand_units": float(total["avg_on_hand_units"]),
    }


def class_labels(plan: pd.DataFrame) -> pd.DataFrame:
    abc = plan["abc"].astype(str).to_numpy()
    xyz = plan["xyz"].astype(str).to_numpy()
    return pd.DataFrame(
        {
            "segment": np.char.add(abc.astype(str), xyz.astype(str)),
            "abc": abc,
            "demand_class": plan["demand_class"].astype(str).to_numpy(),
        }
    )


def _periods(window: EvaluationWindow, weeks: int) -> int:
    if weeks <= 0:
        return 0
    if window.period == MONTH:
        return max(1, round(weeks * 7 / DAYS_PER_MONTH))
    return weeks


def _cancelled_lines(open_orders: sim.OpenOrders | None, kept: sim.OpenOrders | None) -> tuple[int, float]:
    """(lines, units) of the ERP's open orders that a policy's start (`open_orders_for`) no longer holds."""
    if open_orders is None or kept is None:
        return 0, 0.0
    before = np.asarray(open_orders.quantity, dtype=float)
    after = np.asarray(kept.quantity, dtype=float)
    return before.size - after.size, float(before.sum() - after.sum())


def _policy_notes(
    policies: Sequence[str], replan_weeks: int, pooled: int = 0, cancelled: tuple[int, float] = (0, 0.0)
) -> list[str]:
    notes = [
        "Every policy orders under the same MOQ and pack-size rules with daily review; unfilled demand is "
        "backordered; all policies see the same daily demand and the same lead-time draws (the k-th order of a "
        "SKU-location gets the same lead time under every policy).",
    ]
    if any(p != STATIC for p in policies):
        cadence = (
            "once, at the start"
            if replan_weeks <= 0
            else "every week"
            if replan_weeks == 1
            else f"every {replan_weeks} weeks"
        )
        notes.append(
            f"DistOps re-plans {cadence} on the demand seen so far (the production engine); its order-up-to level "
            "is the reorder point plus the economic order quantity, capped so the on hand at arrival fits the bin."
        )
    if pooled and any(p != STATIC for p in policies):
        notes.append(
            f"MOQ pooling: {pooled:,} SKU-locations whose supplier lot is over "
            f"{PoolingSettings().min_lot_weeks:g} weeks of their demand are supplied from their item's hub (the "
            f"location with the most demand) by transfer, in eaches, {TRANSFER_LEAD_TIME_DAYS} days away; the hub "
            "buys for them. The ERP's open POs for those SKU-locations are redirected to the hub at the start."
        )
    if cancelled[0] and any(p != STATIC for p in policies):
        notes.append(
            f"Excess open orders: DistOps starts without the {cancelled[0]:,} open PO lines ({cancelled[1]:,.0f} "
            "units) its first plans cancel (not yet shipped, leaving the SKU-location at or above its order-up-to "
            "level while it is above that level plus 8 weeks of demand), the buyer accepting the cancellations; "
            "the ERP's min-max receives them."
        )
    if DYNAMIC_PLUS in policies:
        notes.append(
            f"Transfers: {TRANSFER_LEAD_TIME_DAYS} days, {TRANSFER_COST:g} each. Expedites pull an open order in by "
            f"{EXPEDITE_DAYS_SAVED} days at {EXPEDITE_FEE:g} + {EXPEDITE_FREIGHT_RATE:.0%} of the goods' value, "
            "only where the margin of the days saved covers that cost."
        )
    notes.append(
        "Exceptions: the times a SKU-location's projected net stock at the end of its planned lead time turns "
        "negative (what a person would have to review), counted the same way for every policy."
    )
    return notes


def _lap(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in kB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)
