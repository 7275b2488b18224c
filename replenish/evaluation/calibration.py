"""Service calibration: replay the plan's own recent history to learn, per group of SKU-locations, how far its
achieved fill rate falls from the target, and the factor that corrects the target it plans for
(`replenish.engine.calibration`: groups, planning target, update rule).

The replay: the plan as of `periods` before the window's today, re-planned on a cadence, simulated against the
actual demand of those periods (spread over days as the evaluation spreads them) and the recorded supplier lead
times, starting each SKU-location at its own average position; the first `warmup_periods` are not measured.
Per group (ABC-XYZ segment x supply role) the achieved fill gives the next factor; its standard error over the
group's SKU-locations (``achieved_se``) says how far a small group's factor can be trusted. Each pass replays with the
factors of the pass before, so a second pass measures the first correction and refines it (secant). Launches and
groups under `MIN_GROUP_SERIES` SKU-locations keep c = 1, as do groups with a cycle-service target.

What is measured, so that the replay stands for the period the factor will be applied to:
- the groups are those of the current plan (the groups the factor is applied to), not those the replayed plan
  assigned a year earlier: a part read as CY then and CZ now is measured with CZ;
- a group's fill counts the SKU-locations that had sold in the history the replay's first plan saw. One that
  never sold has no forecast and a reorder point of 0 at any factor: its first sales are short whatever the
  factor, so its demand says nothing about the factor (``unsold_share`` per group: the share of the group's
  replayed demand left out). Counted in, it made the factor compensate one year's launches by over-serving every
  other part of the group the next year (car parts: 5.6% of the replayed year's CZ demand came from parts that
  had never sold, 1.0% of the held-out year's; the replay filled 3.5-3.6 points less than the held-out year at
  every factor, 1.4-1.5 without them).

Who calls it: the simulator before its held-out weeks (two passes from c = 1; it never sees the held-out weeks),
and the nightly plan's calibration (`replenish.planning.calibration`: one pass a night from the factors the plan
applied, so the factors follow the plan's recent history). Weekly and monthly history alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from replenish.engine import run_plan
from replenish.engine import simulate as sim
from replenish.engine.calibration import NEW, group_factors, updated_factor

from .days import DAYS_PER_WEEK, spread_periods_to_days
from .planning import average_position, dynamic_policy, plan_schedule
from .window import MONTH, WEEK, EvaluationWindow, recorded_lead_time_quantile

# replayed periods of training history and how many of them are warm-up (not measured), by period
REPLAY_PERIODS = {WEEK: (26, 13), MONTH: (12, 3)}
# replay windows ending this many periods before the window's today, pooled (those the history allows): one
# year's surprises (parts waking up) do not repeat the next, and a factor learned on one window follows them
REPLAY_OFFSETS = {WEEK: (0,), MONTH: (0,)}
MIN_TRAINING_PERIODS = {
    WEEK: 26,
    MONTH: 12,
}  # history the replay's first plan needs before its replayed periods
CALIBRATION_REPLAN_WEEKS = 4
CALIBRATION_PASSES = 2  # the second pass measures the first pass's factors and refines them
MIN_GROUP_SERIES = 20  # smaller groups keep c = 1
DAYS_PER_MONTH = 365.25 / 12


@dataclass
class Calibration:
    # per group: series, target, achieved (in the last pass), factor (c on the allowed shortage, for the next
    # plan), passes ([factor planned with, achieved] per pass)
    groups: dict[str, dict[str, Any]]
    periods: int
    warmup_periods: int
    period: str = WEEK
    day_spread: str = "random"
    windows: int = 1  # replay windows pooled (REPLAY_OFFSETS)
    notes: list[str] = field(default_factory=list)

    @property
    def weeks(self) -> int:
        return self.periods if self.period == WEEK else round(self.periods * DAYS_PER_MONTH / DAYS_PER_WEEK)

    def factors(self) -> dict[str, float]:
        return {name: float(row["factor"]) for name, row in self.groups.items() if row.get("calibrated")}

    def summary(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "periods": self.periods,
            "warmup_periods": self.warmup_periods,
            "weeks": self.weeks,
            "day_spread": self.day_spread,
            "windows": self.windows,
            "groups": self.groups,
        }


def calibrate(
    window: EvaluationWindow,
    *,
    seed: int,
    replan_periods: int | None = None,
    passes: int = CALIBRATION_PASSES,
    start: Mapping[str, float] | None = None,
    day_spread: str = "random",
    series_groups: np.ndarray | None = None,
    progress=None,
) -> Calibration | None:
    """Replay the last periods of the window's training history (see the module doc) `passes` times, starting
    from the factors `start` (None: c = 1), re-planned every `replan_periods` periods (default: every
    `CALIBRATION_REPLAN_WEEKS` weeks). `series_groups` (n,): each series' group as the nightly plan assigned it (its
    monthly items are planned on weekly buckets there), measured and corrected as such; None: the groups a plan
    on the window's whole training history assigns (what the simulator applies). None when the history is too
    short."""
    say = progress or (lambda _message: None)
    replayed_periods, warmup = REPLAY_PERIODS[window.period]
    history = window.inputs.demand
    n, n_periods = history.shape
    offsets = [
        offset
        for offset in REPLAY_OFFSETS[window.period]
        if n_periods >= replayed_periods + offset + MIN_TRAINING_PERIODS[window.period]
    ]
    if n == 0 or not offsets:
        return None
    if series_groups is None:  # measured and corrected in the groups the factors will be applied to
        series_groups = run_plan(replace(window.inputs, service_calibration=None)).plan["calibration_group"]
        series_groups = series_groups.astype(str).to_numpy()
    replays = []
    for offset in offsets:
        past = _replay_window(window, replayed_periods, warmup, offset)
        rng = np.random.default_rng([seed, 20_271] if offset == 0 else [seed, 20_271, offset])
        daily, lines = spread_periods_to_days(
            past.future, past.period_days, rng=rng, line_size=window.line_size, even=day_spread == "even"
        )
        replays.append((past, daily, lines))
    if replan_periods is None:
        replan_periods = (
            CALIBRATION_REPLAN_WEEKS
            if window.period == WEEK
            else max(1, round(CALIBRATION_REPLAN_WEEKS * DAYS_PER_WEEK / DAYS_PER_MONTH))
        )
    factors = {str(k): float(v) for k, v in (start or {}).items()}
    groups: dict[str, dict[str, Any]] = {}
    for _ in range(max(passes, 1)):
        sums = pd.concat(
            [_replay(*replay, seed, factors, replan_periods, series_groups) for replay in replays]
        )
        for name, row in _measured(sums).items():
            group = groups.setdefault(name, {"passes": []})
            planned_with = factors.get(name, 1.0)
            group.update(
                series=row["series"],
                target=row["target"],
                achieved=row["achieved"],
                achieved_se=row["achieved_se"],
                unsold_share=row["unsold_share"],
            )
            group["calibrated"] = bool(row["calibratable"])
            if row["calibratable"]:
                group["passes"].append([round(planned_with, 4), row["achieved"]])
                factors[name] = updated_factor(row["target"], [tuple(p) for p in group["passes"]])
            group["factor"] = round(factors.get(name, 1.0), 4) if row["calibratable"] else 1.0
    say(f"service calibration on {replayed_periods} {window.period}s of history: {len(groups)} groups")
    return Calibration(
        groups=groups,
        periods=replayed_periods,
        warmup_periods=warmup,
        period=window.period,
        day_spread=day_spread,
        windows=len(offsets),
    )


def _replay_window(window: EvaluationWindow, replayed: int, warmup: int, offset: int = 0) -> EvaluationWindow:
    """The window as of `replayed` + `offset` periods before its today: training history up to there, the
    `replayed` periods after it as the simulated ones, recorded lead times, no starting stock (each policy starts
    at its own level)."""
    history = window.inputs.demand
    cut = history.shape[1] - replayed - offset
    promo = window.inputs.promo
    inputs = replace(
        window.inputs,
        demand=history[:, :cut],
        promo=None if promo is None else promo[:, :cut],
        open_supply=None,
        series=window.inputs.series.assign(on_hand=0.0, allocated=0.0, backordered=0.0),
    )
    receipts = window.inputs.receipts
    today = pd.Timestamp(window.plan_as_of)
    cut_day = today - (
        pd.Timedelta(weeks=replayed + offset)
        if window.period == WEEK
        else pd.DateOffset(months=replayed + offset)
    )
    if receipts is not None and len(receipts):
        # the replayed plan sees the receipts before its own today only
        receipts = receipts[pd.to_datetime(receipts["received_date"]) < cut_day].reset_index(drop=True)
        inputs = replace(inputs, receipts=receipts)
    if window.period == WEEK:
        period_days = np.full(replayed, int(DAYS_PER_WEEK))
    else:
        month_starts = pd.date_range(cut_day, periods=replayed + 1, freq="MS")  # the window's today is a 1st
        period_days = np.diff(month_starts.to_numpy()).astype("timedelta64[D]").astype(np.int64)
    replayed_demand = np.nan_to_num(history[:, cut : cut + replayed]).astype(np.float32)
    return replace(
        window,
        inputs=inputs,
        future=replayed_demand,
        future_promo=np.zeros_like(replayed_demand, dtype=bool)
        if promo is None
        else promo[:, cut : cut + replayed],
        period_days=period_days,
        warmup_periods=warmup,
        lead_time_quantile=recorded_lead_time_quantile(window.inputs.series, receipts),
        initial_on_hand=None,
        open_orders=None,
    )


def _replay(
    past: EvaluationWindow,
    daily: np.ndarray,
    lines: np.ndarray | None,
    seed: int,
    factors: Mapping[str, float],
    replan_periods: int,
    groups: np.ndarray | None = None,
) -> pd.DataFrame:
    """One pass on one window: plan with these factors, simulate the replayed periods; per series its group,
    target, demand and units filled on time."""
    schedule = plan_schedule(
        past,
        replan_periods=replan_periods,
        service_calibration=dict(factors),
        target_calibration=None if groups is None else group_factors(groups, factors),
    )
    plan = schedule.plan
    policy = dynamic_policy(schedule, past.inputs.series)
    scenario = sim.Scenario(
        demand=daily,
        order_lines=lines,
        lead_times=sim.seeded_lead_time_sampler(past.lead_time_quantile, seed + 1),
        initial_on_hand=average_position(policy),
    )
    warmup_days = int(past.period_days[: past.warmup_periods].sum())
    result = sim.simulate(scenario, policy, sim.SimulationOptions(warmup_days=warmup_days))
    return pd.DataFrame(
        {
            "group": (plan["calibration_group"] if groups is None else pd.Series(groups))
            .astype(str)
            .to_numpy(),
            "series": np.arange(len(plan)),
            "target": plan["service_target"].to_numpy(dtype=float),
            "fill_target": plan["target_type"].astype(str).to_numpy() == "fill_rate",
            "demand": result.per_series["demand_units"].to_numpy(),
            "filled": result.per_series["filled_on_time_units"].to_numpy(),
            # sold in the history the replay's first plan saw: a SKU-location that never sold has no forecast,
            # a reorder point of 0 at any factor, so its demand is out of the factor's reach
            "sold": np.nansum(past.inputs.demand, axis=1) > 0,
        }
    )


def _measured(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per group, over the replayed windows' rows: SKU-locations, demand-weighted target, achieved fill (units
    filled on time / demand) with its standard error, and whether the group is calibrated.

    The standard error is the ratio estimator's over the group's SKU-locations (each row a draw of (demand,
    units short)): se^2 = n / (n - 1) x sum((short_i - s d_i)^2) / D^2, s = units short / D, D = demand. Shown
    beside the achieved fill (drift): car parts' CY (43 parts) measures 89.1% with a standard error of 2.1 points,
    so its factor is uncertain by about +-20%. Not used to damp the factor's step: weighing the step by it (no
    step within one standard error, positive-part James-Stein) put CY off its target in 14 car-parts runs of 30
    against 8, as the replays' direction was right more often than their noise suggests."""
    measured: dict[str, dict[str, Any]] = {}
    for name, group_rows in frame.groupby("group", sort=True):
        total = float(group_rows["demand"].sum())
        rows = group_rows[group_rows["sold"]]
        demand = float(rows["demand"].sum())
        target = float(np.average(rows["target"], weights=rows["demand"])) if demand > 0 else float("nan")
        achieved = float(rows["filled"].sum() / demand) if demand > 0 else float("nan")
        series = int(rows["series"].nunique())
        count = len(rows)
        standard_error = None
        if demand > 0 and count > 1:
            short = rows["demand"].to_numpy(dtype=float) - rows["filled"].to_numpy(dtype=float)
            residual = short - (short.sum() / demand) * rows["demand"].to_numpy(dtype=float)
            standard_error = float(np.sqrt(count / (count - 1) * np.sum(residual**2)) / demand)
        measured[str(name)] = {
            "series": int(group_rows["series"].nunique()),
            "target": round(target, 4) if demand > 0 else None,
            "achieved": round(achieved, 4) if demand > 0 else None,
            "achieved_se": None if standard_error is None else round(standard_error, 4),
            "unsold_share": round(1.0 - demand / total, 4) if total > 0 else None,
            "calibratable": bool(
                name != NEW
                and series >= MIN_GROUP_SERIES
                and rows["fill_target"].all()
                and demand > 0
                and target < 1.0
            ),
        }
    return measured


__all__ = ["Calibration", "calibrate"]
