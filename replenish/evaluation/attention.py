"""Attention simulation (issue 12 item 6): what DistOps' ranking is worth when planners can work only K tasks a day.

The DistOps policy (dynamic, or dynamic with transfers and expediting) is simulated again with limited attention
(replenish/engine/simulate/attention.py): each day each SKU-location the policy would act on is one task valued by
the value module (the queue's formula); tasks an automation policy covers run without a person; each planner
executes the top K of the rest of the SKU-locations they own in one ordering's order, the rest wait:

- value: DistOps' queue, highest value first, then the earliest work-by day (replenish.engine.attention: the last
  day to act before the projected stockout, at most 28 days after the task first appeared);
- oldest: the longest waiting first (a first-in, first-out exception list);
- random: no ranking;
- unlimited: every task, the plain DistOps policy.

Planners: the SKU-locations' buyers (ItemLocation.buyer; SKU-locations without one are dealt round-robin to the
buyers), or `planners` planners dealt round-robin over the SKU-locations when given or when nobody is assigned.

Automation is production's: each task (action, value, spend) with its SKU-location's ABC and XYZ classes, its
supplier's on-time share over the year before the plan (as the exceptions refresh measures it), its confidence
(replenish/engine/confidence.py; the acceptance part as the refresh has it before a model is trained) and its
data-quality faults is put to the automation policies in force (the decision policy port, governance: the default
policies of migration 0010 on a fresh install), the rule the refresh applies. `automation=False` (--no-automation):
a person decides every task.

Value fill: the demand filled on time at its price over all demand at its price (a money ranking favours the
units worth most; the unit fill rate counts every unit alike).

Share captured, per ordering and measure: (measure(ordering) - measure(static)) / (measure(unlimited) -
measure(static)), for the unit fill rate in points (and the value fill rate) and for the average inventory value; 1 = the whole
improvement of unlimited attention over static min-max, above 1 = more than it (less inventory when tasks wait).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from replenish import models as m
from replenish.core.ports import decision_policy
from replenish.engine import confidence as conf
from replenish.engine import simulate as sim
from replenish.engine import value as v
from replenish.value_settings import value_settings

from .planning import PlanSchedule
from .report import DYNAMIC, DYNAMIC_PLUS, STATIC
from .window import EvaluationError, EvaluationWindow

ORDERING_LABELS = {
    sim.VALUE: "DistOps ranking (value)",
    sim.OLDEST: "Oldest first",
    sim.RANDOM: "Random",
    sim.UNLIMITED: "Unlimited attention",
}
DEFAULT_CAPACITY = 50
DEFAULT_PLANNERS = 3  # round-robin planners when no buyer is assigned (the generator's buyers per network)
ACCEPTANCE_SHARE = 0.90  # the issue: at least 90% of the unlimited-attention improvement
RELIABILITY_DAYS = 91 + 365  # the exceptions refresh's supplier statistics window (recent + baseline)
CLEARLY_MORE = 0.05  # and clearly more than oldest first: at least 5 points more of the fill improvement


@dataclass(frozen=True)
class AttentionSettings:
    capacity: int = DEFAULT_CAPACITY  # tasks per planner per day
    orderings: tuple[str, ...] = sim.ORDERINGS
    policy: str = DYNAMIC_PLUS  # the DistOps policy whose proposals become tasks
    automation: bool = True
    planners: int | None = None  # None: the buyers

    def validate(self) -> None:
        if self.capacity < 0:
            raise EvaluationError(
                f"--attention must be 0 or more tasks per planner per day (got {self.capacity})."
            )
        unknown = [o for o in self.orderings if o not in sim.ORDERINGS]
        if unknown or not self.orderings:
            raise EvaluationError(
                f"Unknown ordering {', '.join(unknown) or '(none)'}: choose from {', '.join(sim.ORDERINGS)}."
            )
        if self.policy not in (DYNAMIC, DYNAMIC_PLUS):
            raise EvaluationError(
                f"--attention-policy must be {DYNAMIC} or {DYNAMIC_PLUS} (got {self.policy!r})."
            )
        if self.planners is not None and self.planners < 1:
            raise EvaluationError(f"--planners must be at least 1 (got {self.planners}).")


def share_captured(measure: float, static: float, unlimited: float) -> float | None:
    """(measure - static) / (unlimited - static); None when unlimited attention changes nothing."""
    gap = unlimited - static
    if not np.isfinite(gap) or abs(gap) < 1e-9 or not np.isfinite(measure):
        return None
    return float((measure - static) / gap)


def planner_assignment(window: EvaluationWindow, planners: int | None) -> tuple[np.ndarray, int, str]:
    """(planner index per series, number of planners, how they were assigned)."""
    n = window.n_series
    if planners is None:
        ids = window.item_location_ids.tolist()
        buyer_of = dict(m.ItemLocation.objects.filter(pk__in=ids).values_list("pk", "buyer_id"))
        buyers = np.array([buyer_of.get(int(i)) or 0 for i in ids], dtype=np.int64)
        owned = buyers > 0
        if owned.any():
            names, index = np.unique(buyers[owned], return_inverse=True)
            planner = np.empty(n, dtype=np.int64)
            planner[owned] = index
            planner[~owned] = np.arange((~owned).sum()) % len(names)
            return planner, len(names), "buyers"
        planners = DEFAULT_PLANNERS
    return np.arange(n, dtype=np.int64) % planners, planners, "round-robin"


def supplier_on_time(as_of: date) -> dict[int, float]:
    """Each supplier's on-time share of its receipts received in the 456 days (a quarter and the year before it)
    up to `as_of`, on time = within its contracted lead time x 1.1 + 1 day: the reliability the exceptions refresh
    gives the automation policies (exceptions.refresh.load.supplier_statistics)."""
    start = as_of - timedelta(days=RELIABILITY_DAYS)
    receipts = pd.DataFrame(
        m.Receipt.objects.filter(received_date__gte=start, received_date__lte=as_of).values_list(
            "supplier_id", "order_date", "received_date", "supplier__contracted_lead_time_days"
        ),
        columns=["supplier", "ordered", "received", "contracted"],
    )  # fmt: skip
    if receipts.empty:
        return {}
    days = (pd.to_datetime(receipts["received"]) - pd.to_datetime(receipts["ordered"])).dt.days
    on_time = days <= receipts["contracted"].astype(float) * 1.1 + 1
    return {int(k): float(x) for k, x in on_time.groupby(receipts["supplier"]).mean().items()}


@dataclass
class PolicyAutomation:
    """The production automation rule as the simulator's `automation` option: the day's tasks are put to the
    automation policies in force (decision policy port) with their SKU-locations' classes, supplier reliability,
    confidence and data-quality faults; returns which a policy executes."""

    on: date
    abc: np.ndarray
    xyz: np.ndarray
    reliability: np.ndarray
    confidence: np.ndarray
    faults: list[list[str]]
    cases: int = 0
    executed: int = 0

    def __call__(self, rows, actions, values, amounts) -> np.ndarray:
        cases = [
            {
                "action": str(action),
                "abc": self.abc[i],
                "xyz": self.xyz[i],
                "supplier_reliability": float(self.reliability[i]),
                "value": v.money(value),
                "confidence": float(self.confidence[i]),
                "quality_flags": self.faults[i],
                "amount": v.money(amount),
            }
            for i, action, value, amount in zip(rows.tolist(), actions, values, amounts)
        ]
        verdicts = decision_policy().automation_decide_many(cases=cases, on=self.on) if cases else []
        auto = np.array([bool(verdict.auto) for verdict in verdicts], dtype=bool)
        self.cases += len(cases)
        self.executed += int(auto.sum())
        return auto


def policy_automation(plan: Any, window: EvaluationWindow) -> PolicyAutomation:
    """The automation rule of the policies in force on the plan's day, with each series' facts (see the module)."""
    n = len(plan)
    flag_columns = [c for c in plan.columns if c.startswith("flag_")]
    raised = plan[flag_columns].fillna(False).to_numpy(dtype=bool) if flag_columns else np.zeros((n, 0), bool)
    flags = [[flag_columns[j] for j in np.flatnonzero(row)] for row in raised]
    data = conf.data_confidence(
        mase=plan["mase"].to_numpy(dtype=float) if "mase" in plan else np.full(n, np.nan),
        flags=flags,
        lead_time_source=plan["lead_time_source"].astype(str).to_numpy()
        if "lead_time_source" in plan
        else ["default"] * n,
        lead_time_unstable=plan["lead_time_unstable"].fillna(False).to_numpy(dtype=bool)
        if "lead_time_unstable" in plan
        else np.zeros(n, bool),
        lead_time_samples=plan["lead_time_n_samples"].to_numpy(dtype=float)
        if "lead_time_n_samples" in plan
        else None,
    )["data"]
    on_time = supplier_on_time(window.plan_as_of)
    supplier = window.inputs.series["supplier_id"].to_numpy()
    return PolicyAutomation(
        on=window.plan_as_of,
        abc=plan["abc"].astype(str).str.upper().to_numpy(),
        xyz=plan["xyz"].astype(str).str.upper().to_numpy(),
        reliability=np.array([on_time.get(int(s), 0.0) if pd.notna(s) else 0.0 for s in supplier]),
        confidence=conf.confidence(data, np.full(n, np.nan)),
        faults=[conf.fault_flags(row) for row in flags],
    )


def attention_option(
    settings: AttentionSettings,
    ordering: str,
    window: EvaluationWindow,
    schedule: PlanSchedule,
    planner: np.ndarray,
    seed: int,
    automation: PolicyAutomation | None = None,
) -> sim.AttentionOption:
    plan = schedule.plan
    series = window.inputs.series
    values = value_settings()
    lead = np.nan_to_num(plan["lead_time_mean"].to_numpy(dtype=float), nan=14.0)
    lead_sd = np.nan_to_num(plan["lead_time_sd"].to_numpy(dtype=float))
    weekly, weekly_sd = (
        plan["forecast_weekly"].to_numpy(dtype=float),
        plan["forecast_sd_weekly"].to_numpy(dtype=float),
    )
    mean, sd = v.horizon_demand(weekly, weekly_sd, lead, lead_sd, values)
    cost = np.nan_to_num(series["unit_cost"].to_numpy(dtype=float))
    margin = np.maximum(np.nan_to_num(series["unit_price"].to_numpy(dtype=float)) - cost, 0.0)
    return sim.AttentionOption(
        capacity=settings.capacity,
        planner=planner,
        ordering=ordering,
        horizon_mean=mean,
        horizon_sd=sd,
        unit_margin=margin,
        lead_time_days=lead,
        lead_time_sd_days=lead_sd,
        automation=automation,
        settings=values,
        seed=seed,
        draft_group=draft_groups(series),
    )


def draft_groups(series: pd.DataFrame) -> np.ndarray:
    """The draft PO of each series' supplier orders, as the exceptions refresh assembles them: one per supplier and
    ship-to location (exceptions.refresh.tasks); -1 for a series without a supplier."""
    supplier = pd.to_numeric(series["supplier_id"], errors="coerce")
    pairs = pd.MultiIndex.from_arrays(
        [supplier.fillna(-1).astype(np.int64), series["location_id"].to_numpy()]
    )
    group, _ = pd.factorize(pairs)
    return np.where(supplier.notna().to_numpy(), group, -1).astype(np.int64)


def attention_comparison(
    settings: AttentionSettings,
    *,
    window: EvaluationWindow,
    schedule: PlanSchedule,
    scenario: sim.Scenario,
    warmup_days: int,
    seed: int,
    static: sim.SimulationResult | None,
    setup: Callable[[str], tuple[sim.Scenario, sim.InventoryPolicy, sim.SimulationOptions]],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the orderings (and static min-max, unless given) on the same draws; the report's `attention` section.
    `setup(name)` gives the scenario, policy and options of a policy as the plain evaluation runs it."""
    say = progress or (lambda _message: None)
    planner, n_planners, source = planner_assignment(window, settings.planners)
    if static is None:
        static = sim.simulate(*setup(STATIC))
    base_scenario, policy, options = setup(settings.policy)
    orderings = list(dict.fromkeys([*settings.orderings, sim.UNLIMITED]))  # the share needs unlimited
    rule = policy_automation(schedule.plan, window) if settings.automation else None
    results: dict[str, sim.SimulationResult] = {}
    for ordering in orderings:
        automation = None if rule is None else replace(rule, cases=0, executed=0)
        option = attention_option(settings, ordering, window, schedule, planner, seed, automation)
        results[ordering] = sim.simulate(base_scenario, policy, replace(options, attention=option))
        say(f"attention {settings.capacity}/planner/day, {ordering}: simulated")
    price = np.nan_to_num(window.inputs.series["unit_price"].to_numpy(dtype=float))
    static_row = _measures(static, price)
    unlimited = _measures(results[sim.UNLIMITED], price)
    rows = []
    for ordering in orderings:
        row = _measures(results[ordering], price)
        row["fill_share"] = share_captured(
            100 * row["unit_fill_rate"], 100 * static_row["unit_fill_rate"], 100 * unlimited["unit_fill_rate"]
        )
        row["value_fill_share"] = share_captured(
            100 * (row["value_fill_rate"] or 0.0),
            100 * (static_row["value_fill_rate"] or 0.0),
            100 * (unlimited["value_fill_rate"] or 0.0),
        )
        row["inventory_share"] = share_captured(
            row["avg_on_hand_value"], static_row["avg_on_hand_value"], unlimited["avg_on_hand_value"]
        )
        rows.append({"ordering": ordering, "label": ORDERING_LABELS[ordering], **row})
    automation = None
    if rule is not None:
        automation = {
            "on": rule.on.isoformat(),
            "actions": sorted(decision_policy().automated_actions()),
            "reliable_suppliers": int(
                np.unique(window.inputs.series["supplier_id"].to_numpy()[rule.reliability >= 0.8]).size
            ),
            "confident_series": int((rule.confidence >= 0.5).sum()),
        }
    return {
        "capacity": settings.capacity,
        "policy": settings.policy,
        "planners": n_planners,
        "planner_source": source,
        "automation": automation,
        "static": {"label": "Static min-max (the ERP's)", **static_row},
        "rows": rows,
        "acceptance": attention_acceptance(rows),
    }


def _measures(result: sim.SimulationResult, price: np.ndarray) -> dict[str, float | None]:
    """The totals the comparison shows, plus the value fill rate: demand filled on time at its price over all
    demand at its price (the units a money ranking favours count for their worth)."""
    total = result.total.iloc[0]
    keys = (
        "unit_fill_rate", "line_fill_rate", "avg_on_hand_value", "expedites", "emergency_freight", "orders",
        "transfers_in", "tasks", "tasks_by_people", "tasks_automatic", "task_wait_days", "decisions_by_people",
    )  # fmt: skip
    out: dict[str, float | None] = {
        key: (float(total[key]) if np.isfinite(float(total[key])) else None) for key in keys
    }
    tasks, worked = out["tasks"] or 0.0, (out["tasks_by_people"] or 0.0) + (out["tasks_automatic"] or 0.0)
    out["waited_share"] = (tasks - worked) / tasks if tasks else None
    per_series = result.per_series
    demand_value = float((per_series["demand_units"].to_numpy() * price).sum())
    filled_value = float((per_series["filled_on_time_units"].to_numpy() * price).sum())
    out["value_fill_rate"] = filled_value / demand_value if demand_value > 0 else None
    out["average_wait_days"] = (out["task_wait_days"] or 0.0) / worked if worked else None
    return out


def attention_acceptance(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The issue's check: DistOps' ranking captures at least 90% of the unlimited-attention improvement (fill
    points and inventory value) and clearly more of the fill improvement than oldest first."""
    by = {row["ordering"]: row for row in rows}
    ranked = by.get(sim.VALUE)
    if ranked is None or ranked["fill_share"] is None or ranked["inventory_share"] is None:
        return None
    oldest = by.get(sim.OLDEST)
    fill_ok = ranked["fill_share"] >= ACCEPTANCE_SHARE - 1e-9  # 0.9 computed in floating point
    inventory_ok = ranked["inventory_share"] >= ACCEPTANCE_SHARE - 1e-9
    beats, ceiling = None, False
    if oldest is not None and oldest["fill_share"] is not None:
        beats = ranked["fill_share"] >= oldest["fill_share"] + CLEARLY_MORE
        # oldest first within CLEARLY_MORE of all of it: no order can be clearly ahead, attention costs little here
        ceiling = oldest["fill_share"] > 1.0 - CLEARLY_MORE
    return {
        "fill_share": ranked["fill_share"],
        "inventory_share": ranked["inventory_share"],
        "oldest_fill_share": None if oldest is None else oldest["fill_share"],
        "fill_ok": fill_ok,
        "inventory_ok": inventory_ok,
        "beats_oldest": beats,
        "oldest_at_ceiling": ceiling,
        "met": bool(fill_ok and inventory_ok and beats is not False),
    }
