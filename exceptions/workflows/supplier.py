"""Supplier performance decline (fill rate or lead-time drift beyond thresholds) -> predicted service impact on the
supplier's SKU-locations -> a sourcing-review task and a proposed safety-stock policy change that needs approval."""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from replenish import models as m
from replenish.core.audit import audit_record, audit_refusal
from replenish.core.errors import NotAllowed
from replenish.core.ports import decision_policy
from replenish.core.roles import ACTION_ROLES, has_role, user_rank
from replenish.services import item_location_safety_stock_floor_set

from . import engine
from .models import DomainEvent, WorkflowTask

RECENT_DAYS = 90
BASELINE_DAYS = 365
MIN_RECEIPTS = 3
FILL_RATE_DROP = 0.05  # absolute drop of the line fill rate vs the baseline (or below the floor)
FILL_RATE_FLOOR = 0.90
LEAD_TIME_DRIFT_DAYS = 3.0  # and at least LEAD_TIME_DRIFT_SHARE of the baseline mean
LEAD_TIME_DRIFT_SHARE = 0.20
# The governance tiers know order actions only: a safety-stock increase is extra buying, so it is approved with the
# purchase_order tiers on the working capital it adds (governance could add a dedicated action later).
APPROVAL_ACTION = "purchase_order"
CENT = Decimal("0.01")


def _lead_times(supplier_id: int, start: date, end: date) -> list[int]:
    return [
        (r - o).days
        for o, r in m.Receipt.objects.filter(
            supplier_id=supplier_id, received_date__gt=start, received_date__lte=end
        ).values_list("order_date", "received_date")
    ]


def _fill_rate(supplier_id: int, start: date, end: date) -> tuple[float | None, int]:
    rows = m.PurchaseOrderLine.objects.filter(
        order__supplier_id=supplier_id, promised_date__gt=start, promised_date__lte=end
    ).exclude(status="cancelled")
    agg = rows.aggregate(ordered=Sum("quantity_ordered"), received=Sum("quantity_received"))
    rejected = rows.filter(status="rejected").aggregate(q=Sum("quantity_ordered"))["q"] or 0
    if not agg["ordered"]:
        return None, 0
    # lines due in the window and not received count as unfilled; rejected (855) lines are never filled
    return min((agg["received"] or 0) / agg["ordered"], 1.0 - rejected / agg["ordered"]), rows.count()


def supplier_performance(*, supplier_id: int, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    recent_start = today - timedelta(days=RECENT_DAYS)
    base_start = recent_start - timedelta(days=BASELINE_DAYS)
    supplier = m.Supplier.objects.get(pk=supplier_id)
    recent, base = (
        _lead_times(supplier_id, recent_start, today),
        _lead_times(supplier_id, base_start, recent_start),
    )
    base_mean = (
        statistics.fmean(base) if len(base) >= MIN_RECEIPTS else float(supplier.contracted_lead_time_days)
    )
    fill_recent, n_recent = _fill_rate(supplier_id, recent_start, today)
    fill_base, _ = _fill_rate(supplier_id, base_start, recent_start)
    drift = (statistics.fmean(recent) - base_mean) if len(recent) >= MIN_RECEIPTS else 0.0
    reasons = []
    if drift >= max(LEAD_TIME_DRIFT_DAYS, LEAD_TIME_DRIFT_SHARE * base_mean):
        reasons.append(f"lead time {base_mean:.1f} -> {base_mean + drift:.1f} days (+{drift:.1f})")
    if (
        fill_recent is not None
        and n_recent >= MIN_RECEIPTS
        and (
            (fill_base is not None and fill_base - fill_recent >= FILL_RATE_DROP)
            or fill_recent < FILL_RATE_FLOOR
        )
    ):
        reasons.append(
            f"fill rate {fill_recent:.0%}" + (f" (was {fill_base:.0%})" if fill_base is not None else "")
        )
    return {
        "supplier": supplier.code,
        "lead_time_baseline": round(base_mean, 2),
        "lead_time_drift": round(drift, 2),
        "lead_time_recent_sd": round(statistics.pstdev(recent), 2) if len(recent) >= 2 else None,
        "fill_rate_recent": fill_recent,
        "fill_rate_baseline": fill_base,
        "receipts_recent": len(recent),
        "declining": bool(reasons),
        "reasons": reasons,
    }


def supplier_decline_review(
    *, supplier_id: int, event: DomainEvent | None = None, today: date | None = None
) -> dict:
    """When the supplier declines: the predicted service impact on its SKU-locations, a sourcing-review task and a
    proposed safety-stock change awaiting approval (both one live per supplier, refreshed in place)."""
    today = today or timezone.localdate()
    perf = supplier_performance(supplier_id=supplier_id, today=today)
    if not perf["declining"]:
        return {"supplier": perf["supplier"], "declining": False}
    items = list(m.SupplierItem.objects.filter(supplier_id=supplier_id).values_list("item_id", flat=True))
    plans = m.SkuPlan.objects.filter(run__is_current=True, item_location__item_id__in=items).select_related(
        "item_location__item", "item_location__location"
    )
    impact = []
    added_value = Decimal(0)
    for plan in plans:
        d, sd = plan.forecast_weekly / 7.0, plan.forecast_sd_weekly / 7.0**0.5
        lead = plan.lead_time_mean + perf["lead_time_drift"]
        lead_sd = max(plan.lead_time_sd, perf["lead_time_recent_sd"] or 0.0)
        predicted = engine.service_after_drift(
            safety_stock_units=plan.safety_stock,
            daily_demand=d,
            daily_sd=sd,
            lead_time=lead,
            lead_time_sd=lead_sd,
        )
        proposed = engine.safety_stock(
            z=engine.z_for(plan.service_target),
            daily_demand=d,
            daily_sd=sd,
            lead_time=lead,
            lead_time_sd=lead_sd,
        )
        delta = max(proposed - plan.safety_stock, 0.0)
        cost = (Decimal(str(round(delta, 2))) * plan.item_location.item.unit_cost).quantize(CENT)
        added_value += cost
        impact.append(
            {
                "item_location_id": plan.item_location_id,
                "sku": plan.item_location.item.sku,
                "location": plan.item_location.location.code,
                "service_target": plan.service_target,
                "predicted_service": round(predicted, 4),
                "safety_stock": round(plan.safety_stock, 2),
                "proposed_safety_stock": round(proposed, 2),
                "added_value": str(cost),
            }
        )
    impact.sort(key=lambda r: r["predicted_service"] - r["service_target"])
    requirement = decision_policy().approval_requirement(action=APPROVAL_ACTION, value=added_value, on=today)
    supplier = m.Supplier.objects.get(pk=supplier_id)
    at_risk = sum(1 for r in impact if r["predicted_service"] < r["service_target"])
    with transaction.atomic():
        review = _upsert(
            f"sourcing:{supplier_id}",
            dict(
                kind=WorkflowTask.Kind.SOURCING_REVIEW,
                owner_team="procurement",
                supplier=supplier,
                value_at_stake=added_value,
                confidence=0.8,
                event=event,
                title=f"Review sourcing of {supplier.code}: {'; '.join(perf['reasons'])}"[:200],
                payload={"performance": perf, "skus_below_target": at_risk, "impact": impact[:200]},
            ),
        )
        proposal = _upsert(
            f"safety_stock:{supplier_id}",
            dict(
                kind=WorkflowTask.Kind.SAFETY_STOCK_CHANGE,
                status=WorkflowTask.Status.AWAITING_APPROVAL,
                owner_team="procurement",
                supplier=supplier,
                required_role=requirement.role or "",
                event=event,
                value_at_stake=added_value,
                confidence=0.8,
                title=f"Raise safety stock of {len(impact)} SKU-locations of {supplier.code} "
                f"(+{added_value:,.2f} working capital)"[:200],
                payload={
                    "requirement": requirement.label,
                    "required_rank": requirement.rank,
                    "changes": [r for r in impact if float(r["added_value"]) > 0][:500],
                    "performance": perf,
                },
            ),
        )
    return {
        "supplier": supplier.code,
        "declining": True,
        "review_task": review.pk,
        "proposal_task": proposal.pk,
        "skus_below_target": at_risk,
        "added_value": str(added_value),
        "required_role": requirement.role,
    }


def _upsert(key: str, values: dict) -> WorkflowTask:
    live = (
        WorkflowTask.objects.select_for_update()
        .filter(dedupe_key=key, status__in=[WorkflowTask.Status.OPEN, WorkflowTask.Status.AWAITING_APPROVAL])
        .first()
    )
    if live is None:
        live = WorkflowTask.objects.create(dedupe_key=key, **values)
        action = f"{live.kind}_created"
    else:
        for k, v in values.items():
            setattr(live, k, v)
        live.save()
        action = f"{live.kind}_updated"
    audit_record(
        kind="recommendation",
        action=action,
        actor=None,
        subject_type="workflow_task",
        subject_id=live.pk,
        payload={
            "title": live.title,
            "value": str(live.value_at_stake),
            "required_role": live.required_role,
            "event": getattr(live.event, "pk", None),
        },
    )
    return live


def workflow_task_approve(*, task: WorkflowTask, actor) -> WorkflowTask:
    """Approve a proposal awaiting approval: the actor's rank must reach the tier's (refusals are audited)."""
    needed = int(task.payload.get("required_rank", 2))
    if task.status != WorkflowTask.Status.AWAITING_APPROVAL:
        raise NotAllowed(f"this task is {task.get_status_display().lower()}, not awaiting approval")
    if task.kind == WorkflowTask.Kind.SAFETY_STOCK_CHANGE and not (
        getattr(actor, "is_superuser", False) or has_role(actor, *ACTION_ROLES[APPROVAL_ACTION])
    ):
        # more safety stock is more buying: a procurement decision, whatever the approver's rank
        reason = (
            "a safety-stock change is a purchasing decision: only buyers, managers and directors decide it"
        )
        audit_refusal(
            actor=actor, action="approve", subject_type="workflow_task", subject_id=task.pk, reason=reason
        )
        raise NotAllowed(reason)
    if user_rank(actor) < needed:
        reason = (
            f"needs a {task.required_role or 'manager'}'s approval ({task.payload.get('requirement', '')})"
        )
        audit_refusal(
            actor=actor, action="approve", subject_type="workflow_task", subject_id=task.pk, reason=reason
        )
        raise NotAllowed(reason)
    with transaction.atomic():
        locked = WorkflowTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != WorkflowTask.Status.AWAITING_APPROVAL:
            raise NotAllowed("someone else decided this task first")
        locked.status = WorkflowTask.Status.DONE
        locked.save(update_fields=["status", "updated_at"])
        if locked.kind == WorkflowTask.Kind.SAFETY_STOCK_CHANGE:
            # The approved floors take effect: the plan of those SKU-locations is recomputed after commit.

            item_location_safety_stock_floor_set(
                floors={
                    int(c["item_location_id"]): float(c["proposed_safety_stock"])
                    for c in locked.payload.get("changes", [])
                },
                actor=actor,
                reason=f"approved {locked.title}",
            )
        audit_record(
            kind="policy_change",
            action="safety_stock_change_approved",
            actor=actor,
            subject_type="workflow_task",
            subject_id=locked.pk,
            payload={
                "changes": len(locked.payload.get("changes", [])),
                "value": str(locked.value_at_stake),
                "requirement": locked.payload.get("requirement"),
            },
        )
    return locked


@transaction.atomic
def workflow_task_done(*, task: WorkflowTask, actor, note: str = "") -> WorkflowTask:
    locked = WorkflowTask.objects.select_for_update().get(pk=task.pk)
    if locked.status != WorkflowTask.Status.OPEN:
        raise NotAllowed(f"this task is {locked.get_status_display().lower()}")
    locked.status = WorkflowTask.Status.DONE
    locked.save(update_fields=["status", "updated_at"])
    audit_record(
        kind="decision",
        action="workflow_task_done",
        actor=actor,
        subject_type="workflow_task",
        subject_id=locked.pk,
        payload={"kind": locked.kind, "note": note[:500]},
    )
    return locked
