"""The demo's past weeks, simulated, so the manager screens have something to show on a fresh `make run`.

For each of the last N Mondays: the plan run of that day (replenish.planning.history), the buyers' week of work on
it (the most valuable recommendations of their SKU-locations, decided the way planners decide: they accept more
readily when the plan's confidence is high and the money small, expedites and cancellations less, and each buyer has
a lean of their own), the transfers they approved, and the customer order lines of that week filled or short as the
plan in force foresaw. Then weekly KPI snapshots over those weeks and the acceptance model trained on the decisions.

It is seed data like the generated scenario, loaded in bulk: the decided exceptions are closed, their decisions
dated in their week, and one audit event records what the backfill loaded. A buyer's lean and the effects below are
the simulated behaviour the acceptance model should learn back (tests/governance/test_demo_history.py checks it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from exceptions.models import Decision, PlanningException
from replenish import models as m
from replenish.bulk import bulk_insert_frame, reset_sequences
from replenish.core.models import AuditEvent
from replenish.engine import value as value_math
from replenish.planning.history import plan_history_backfill

from .kpis import kpi_backfill
from .services import acceptance_model_train, audit_record

WEEKS = (
    8  # the KPI tiles show 8 weeks of history (9 weekly points with this week's); 9 past weeks are simulated
)
DECISIONS_PER_BUYER_WEEK = 25
OTHER_ACTIONS_PER_BUYER_WEEK = 3
ACTION_LEAN = {"purchase_order": 0.5, "transfer": 0.4, "expedite": -0.6, "defer": -0.3, "cancel": -1.0}
ABC_LEAN = {"A": -0.5, "B": 0.0, "C": 0.4}
BUYER_LEANS = (0.8, 0.0, -0.8)  # buyer1 trusts the engine, buyer2 is neutral, buyer3 checks more
EXCEPTION_TYPE = {
    "purchase_order": "reorder_due",
    "transfer": "stockout_risk",
    "expedite": "inbound_late",
    "defer": "excess",
    "cancel": "excess",
}
OVERRIDE_REASONS = {
    "purchase_order": ("forecast_too_high", "promotion", "supplier_constraint", "known_demand_change"),
    "transfer": ("data_error", "forecast_too_high"),
    "expedite": ("lead_time_wrong", "supplier_constraint"),
    "defer": ("known_demand_change", "forecast_too_low"),
    "cancel": ("known_demand_change", "promotion"),
}
REJECT_REASONS = ("already_handled", "data_error", "other")


@dataclass
class HistorySummary:
    runs: int = 0
    exceptions: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    transfers: int = 0
    order_lines: int = 0
    kpi_rows: int = 0
    acceptance_model: int | None = None


def acceptance_logit(*, confidence, value, action, abc, buyer_lean) -> np.ndarray:
    """The simulated planners' log-odds of approving unchanged."""
    lean = np.vectorize(lambda a: ACTION_LEAN.get(a, 0.0))(action) + np.vectorize(
        lambda c: ABC_LEAN.get(c, 0.0)
    )(abc)
    return (
        0.9
        + 3.0 * (np.asarray(confidence) - 0.5)
        - 0.35 * (np.log1p(np.asarray(value)) - 5.0)
        + lean
        + buyer_lean
    )


def _week_work(run: m.PlanRun, buyers: dict[int, float]) -> pd.DataFrame:
    """The run's recommendations on the buyers' SKU-locations with the figures a planner sees, valued in money."""
    rows = pd.DataFrame(
        list(
            m.Recommendation.objects.filter(run=run, item_location__buyer_id__in=list(buyers)).values(
                "pk",
                "item_location_id",
                "action",
                "quantity",
                "due_date",
                "supplier_id",
                "source_location_id",
                "confidence",
                "item_location__buyer_id",
                "item_location__location_id",
                "item_location__item_id",
                "item_location__item__category",
                "item_location__item__sku",
                "item_location__item__unit_cost",
                "item_location__item__unit_price",
            )
        )
    )
    if rows.empty:
        return rows
    plans = pd.DataFrame(
        list(
            m.SkuPlan.objects.filter(
                run=run, item_location_id__in=rows["item_location_id"].unique().tolist()
            ).values(
                "item_location_id",
                "abc",
                "inventory_position",
                "lead_time_demand_mean",
                "lead_time_demand_sd",
                "forecast_weekly",
                "projected_stockout_date",
            )
        )
    )
    rows = rows.merge(plans, on="item_location_id", how="left")
    cost = rows["item_location__item__unit_cost"].astype(float).to_numpy()
    margin = np.maximum(rows["item_location__item__unit_price"].astype(float).to_numpy() - cost, 0.0)
    short = value_math.expected_short_units(
        rows["inventory_position"].to_numpy(dtype=float),
        rows["lead_time_demand_mean"].fillna(0).to_numpy(dtype=float),
        rows["lead_time_demand_sd"].fillna(0).to_numpy(dtype=float),
    )
    quantity = rows["quantity"].to_numpy(dtype=float)
    cover = value_math.weeks_of_cover(quantity, rows["forecast_weekly"].fillna(0).to_numpy(dtype=float))
    holding = value_math.holding_cost(quantity, cost, cover)["holding_cost"]
    excess = rows["action"].isin(["defer", "cancel"]).to_numpy()
    rows["value"] = np.round(np.where(excess, holding, short * margin), 2)
    return rows


def _decide(work: pd.DataFrame, buyers: dict[int, float], rng: np.random.Generator) -> pd.DataFrame:
    """Each buyer's most valuable items of the week, and what they decided."""
    ranked = work.sort_values("value", ascending=False)
    by_buyer = ranked.groupby("item_location__buyer_id", sort=False)
    # the most valuable items of each buyer, and a few of each kind of action (a week has expedites and deferrals
    # to decide too, not only orders)
    picked = (
        pd.concat(
            [
                by_buyer.head(DECISIONS_PER_BUYER_WEEK),
                ranked.groupby(["item_location__buyer_id", "action"], sort=False).head(
                    OTHER_ACTIONS_PER_BUYER_WEEK
                ),
            ]
        )
        .drop_duplicates("item_location_id")
        .reset_index(drop=True)
    )
    logit = acceptance_logit(
        confidence=picked["confidence"].to_numpy(dtype=float),
        value=picked["value"].to_numpy(dtype=float),
        action=picked["action"].to_numpy(),
        abc=picked["abc"].fillna("").to_numpy(),
        buyer_lean=picked["item_location__buyer_id"].map(buyers).to_numpy(dtype=float),
    )
    draw = rng.random(len(picked))
    approve = draw < 1.0 / (1.0 + np.exp(-logit))
    override = ~approve & (rng.random(len(picked)) < 0.65)
    picked["decision"] = np.where(approve, "approve", np.where(override, "override", "reject"))
    picked["hours"] = rng.gamma(2.0, 9.0, len(picked))  # from the plan run to the decision
    picked["draw"] = rng.random(len(picked))
    return picked


def _proposal(row, quantity: int, suppliers: dict[int, str], locations: dict[int, str]) -> dict:
    proposal = {"action": row.action, "quantity": quantity, "date": row.due_date.isoformat()}
    if pd.notna(row.supplier_id):
        proposal["supplier_code"] = suppliers.get(int(row.supplier_id), "")
    if pd.notna(row.source_location_id):
        proposal["source_location_code"] = locations.get(int(row.source_location_id), "")
    return proposal | {"recommendation_id": int(row.pk)}


def _record_decisions(run: m.PlanRun, picked: pd.DataFrame, summary: HistorySummary) -> list[tuple]:
    """Closed exceptions with their decision (bulk, seed data); returns the approved transfers to load."""
    suppliers = dict(m.Supplier.objects.values_list("pk", "code"))
    locations = dict(m.Location.objects.values_list("pk", "code"))
    opened: datetime = run.finished_at  # type: ignore[assignment]  # the run has finished
    exceptions, decisions, transfers = [], [], []
    for row in picked.itertuples(index=False):
        quantity = int(row.quantity)
        decided = opened + timedelta(hours=float(row.hours))
        proposal = _proposal(row, quantity, suppliers, locations)
        after, reason, maker = dict(proposal), "", None
        if row.decision == "override":
            options = OVERRIDE_REASONS.get(row.action, ("other",))
            reason = options[int(row.draw * len(options))]
            factor = 1.3 if reason in ("promotion", "forecast_too_low") else 0.5 + 0.4 * float(row.draw)
            after["quantity"] = max(1, int(math.ceil(quantity * factor)))
            maker = row.item_location__buyer_id
        elif row.decision == "reject":
            reason = REJECT_REASONS[int(row.draw * len(REJECT_REASONS))]
        value = Decimal(str(row.value)).quantize(Decimal("0.01"))
        exception = PlanningException(
            type=EXCEPTION_TYPE.get(row.action, "reorder_due"),
            item_location_id=int(row.item_location_id),
            recommendation_id=int(row.pk),
            run=run,
            location_id=int(row.item_location__location_id),
            supplier_id=None if pd.isna(row.supplier_id) else int(row.supplier_id),
            buyer_id=int(row.item_location__buyer_id),
            owner_id=int(row.item_location__buyer_id),
            category=row.item_location__item__category,
            sku=row.item_location__item__sku,
            status="closed",
            due_by=row.due_date,
            value_at_stake=value,
            confidence=float(row.confidence),
            explanation={
                "summary": "Demo history: decided in the week of the plan run.",
                "as_of": run.filters["as_of"],
            },
            proposal=after,
            version=2,
            maker_id=maker,
            outcome={"demo_history": True},
            decided_at=decided,
            closed_at=decided,
        )
        exceptions.append((exception, opened))
        decisions.append(
            {
                "recommendation_id": int(row.pk),
                "actor_id": int(row.item_location__buyer_id),
                "action": row.decision,
                "version": 1,
                "before": {
                    "status": "open",
                    "version": 1,
                    "proposal": proposal,
                    "value_at_stake": str(value),
                },
                "after": {
                    "status": {"approve": "approved", "override": "overridden"}.get(row.decision, "rejected"),
                    "version": 2,
                    "proposal": after,
                    "value_at_stake": str(value),
                },
                "reason_code": reason,
                "value": value,
                "confidence": float(row.confidence),
                "created_at": decided,
            }
        )
        if row.action == "transfer" and row.decision != "reject" and pd.notna(row.source_location_id):
            transfers.append((row, after["quantity"], decided.date()))
    created = PlanningException.objects.bulk_create([e for e, _ in exceptions])
    for exception, decision in zip(created, decisions, strict=True):
        decision["exception_id"] = exception.pk
    # created_at is auto_now_add: the exceptions were raised by that Monday's plan run
    PlanningException.objects.filter(pk__in=[e.pk for e in created]).update(created_at=opened)
    made = Decision.objects.bulk_create([Decision(**d) for d in decisions])
    for made_decision, row in zip(made, decisions, strict=True):
        made_decision.created_at = row[
            "created_at"
        ]  # auto_now_add stamped them now; bulk_update keeps the value given
    Decision.objects.bulk_update(made, ["created_at"])
    summary.exceptions += len(created)
    for d in decisions:
        summary.decisions[d["action"]] = summary.decisions.get(d["action"], 0) + 1
    return transfers


def _record_transfers(transfers: list[tuple], today: date, summary: HistorySummary) -> None:
    start = m.TransferOrder.objects.count()
    rows = []
    for i, (row, quantity, shipped) in enumerate(transfers, start=1):
        number = f"TOH{start + i:07d}"
        arrival = shipped + timedelta(days=2)
        rows.append(
            m.TransferOrder(
                source="demo_history",
                external_id=number,
                number=number,
                item_id=int(row.item_location__item_id),
                from_location_id=int(row.source_location_id),
                to_location_id=int(row.item_location__location_id),
                quantity=quantity,
                ship_date=shipped,
                expected_arrival=arrival,
                status="received" if arrival < today - timedelta(days=1) else "in_transit",
            )
        )
    m.TransferOrder.objects.bulk_create(rows)
    summary.transfers += len(rows)


def _order_history(
    runs: list[m.PlanRun], today: date, rng: np.random.Generator, summary: HistorySummary
) -> None:
    """The customer order lines of the past weeks: one line per SKU-location and week with demand, shipped in full,
    or short (the rest lost) when the plan run in force that week projected a stockout by the requested day."""
    first = runs[0].filters["as_of"]
    demand = pd.DataFrame(
        list(
            m.DemandHistory.objects.filter(
                period_start__gte=first, period_start__lt=today, quantity__gt=0
            ).values(
                "item_location_id",
                "period_start",
                "quantity",
                "item_location__item_id",
                "item_location__location_id",
                "item_location__item__unit_price",
            )
        )
    )
    if demand.empty:
        return
    stockouts = pd.DataFrame(
        list(
            m.SkuPlan.objects.filter(run__in=runs, projected_stockout_date__isnull=False).values(
                "run__filters", "item_location_id", "projected_stockout_date"
            )
        )
    )
    demand["requested"] = [
        p + timedelta(days=int(d)) for p, d in zip(demand["period_start"], rng.integers(0, 5, len(demand)))
    ]
    short = np.zeros(len(demand), dtype=bool)
    if len(stockouts):
        stockouts["week"] = [date_of(f["as_of"]) for f in stockouts["run__filters"]]
        merged = demand.merge(
            stockouts[["week", "item_location_id", "projected_stockout_date"]],
            left_on=["period_start", "item_location_id"],
            right_on=["week", "item_location_id"],
            how="left",
        )
        short = (
            merged["projected_stockout_date"].notna()
            & (merged["projected_stockout_date"] <= merged["requested"])
        ).to_numpy()
    ordered = demand["quantity"].to_numpy(dtype=np.int64)
    shipped = np.where(short, np.floor(ordered * rng.uniform(0.0, 0.7, len(demand))), ordered).astype(
        np.int64
    )
    customers = np.array(list(m.Customer.objects.order_by("pk").values_list("pk", flat=True)))
    demand["customer_id"] = customers[rng.integers(0, len(customers), len(demand))]
    keys = demand.groupby(["customer_id", "item_location__location_id", "period_start"], sort=True).ngroup()
    next_id = (m.SalesOrder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    heads = demand.assign(key=keys).drop_duplicates("key").sort_values("key")
    orders = pd.DataFrame(
        {
            "id": next_id + heads["key"].to_numpy(),
            "source": "demo_history",
            "external_id": [f"SOH{next_id + k:08d}" for k in heads["key"]],
            "number": [f"SOH{next_id + k:08d}" for k in heads["key"]],
            "customer_id": heads["customer_id"].to_numpy(),
            "location_id": heads["item_location__location_id"].to_numpy(),
            "order_date": [p - timedelta(days=3) for p in heads["period_start"]],
            "status": "shipped",
        }
    )
    line_number = demand.assign(key=keys).groupby("key").cumcount().to_numpy() + 1
    lines = pd.DataFrame(
        {
            "source": "demo_history",
            "external_id": [f"SOH{next_id + k:08d}-{n}" for k, n in zip(keys, line_number)],
            "order_id": next_id + keys.to_numpy(),
            "line_number": line_number,
            "item_id": demand["item_location__item_id"].to_numpy(),
            "quantity_ordered": ordered,
            "quantity_allocated": 0,
            "quantity_shipped": shipped,
            "unit_price": demand["item_location__item__unit_price"].astype(str).to_numpy(),
            "requested_ship_date": demand["requested"].to_numpy(),
            "promised_ship_date": demand["requested"].to_numpy(),
            "status": "shipped",
        }
    )
    bulk_insert_frame(m.SalesOrder, orders)
    bulk_insert_frame(m.SalesOrderLine, lines)
    reset_sequences(m.SalesOrder)
    summary.order_lines += len(lines)


def date_of(text: str) -> date:
    return date.fromisoformat(text)


def demo_history_backfill(*, weeks: int = WEEKS, seed: int = 7, today: date | None = None) -> HistorySummary:
    """Simulate the demo's last `weeks` weeks (see the module docstring). Does nothing when they are there."""
    summary = HistorySummary()
    today = today or timezone.localdate()
    # one week more than the KPI history: the first weekly snapshot's 28-day window then has decided work in it
    runs = plan_history_backfill(weeks=weeks + 1, as_of=today)
    if not runs:
        return summary
    summary.runs = len(runs)
    rng = np.random.default_rng(seed)
    User = get_user_model()
    buyer_ids = list(
        User.objects.filter(pk__in=m.ItemLocation.objects.values("buyer_id"))
        .order_by("username")
        .values_list("pk", flat=True)
    )
    buyers = {pk: BUYER_LEANS[i % len(BUYER_LEANS)] for i, pk in enumerate(buyer_ids)}
    with transaction.atomic():
        transfers = []
        for run in runs:
            work = _week_work(run, buyers)
            if len(work):
                transfers += _record_decisions(run, _decide(work, buyers, rng), summary)
        _record_transfers(transfers, today, summary)
        _order_history(runs, today, rng, summary)
        audit_record(
            kind=AuditEvent.Kind.SYSTEM,
            action="demo_history",
            actor=None,
            subject_type="plan_run",
            subject_id=runs[-1].pk,
            payload={
                "weeks": weeks,
                "plan_runs": [r.pk for r in runs],
                "exceptions": summary.exceptions,
                "decisions": summary.decisions,
                "transfers": summary.transfers,
                "order_lines": summary.order_lines,
                "note": "simulated history of the demo, loaded as seed data",
            },
        )
    summary.kpi_rows = kpi_backfill(end=today, weeks=weeks)
    with transaction.atomic():
        model = acceptance_model_train()
    summary.acceptance_model = model.version if model else None
    return summary
