"""Projected stockout within lead time -> risk score by SKU (customer impact, alternate-source availability) -> a
transfer suggestion, a PO expedite recommendation or a buyer task; automated when the governance policy allows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from replenish import models as m
from replenish.core.audit import audit_record
from replenish.core.ports import decision_policy

from . import engine
from .atp import OPEN_PO, OPEN_PO_LINE, OPEN_SO, OPEN_SO_LINE
from .models import DomainEvent, WorkflowTask

CENT = Decimal("0.01")
TEAM = {"transfer": "warehouse_control", "expedite": "procurement", "buyer_stockout": "procurement"}
ACTION = {"transfer": "transfer", "expedite": "expedite", "buyer_stockout": "purchase_order"}


def supplier_reliability(supplier_id: int | None) -> float:
    """Share of the supplier's last 200 receipts that arrived within its contracted lead time (1.0 without data)."""
    if supplier_id is None:
        return 0.0
    supplier = m.Supplier.objects.filter(pk=supplier_id).only("contracted_lead_time_days").first()
    rows = list(
        m.Receipt.objects.filter(supplier_id=supplier_id)
        .order_by("-received_date")
        .values_list("order_date", "received_date")[:200]
    )
    if supplier is None or not rows:
        return 1.0
    return sum((r - o).days <= supplier.contracted_lead_time_days for o, r in rows) / len(rows)


def stockout_tasks_refresh(
    *, run: m.PlanRun, item_location_ids: list[int], event: DomainEvent | None = None
) -> dict:
    today = timezone.localdate()
    plans = list(
        m.SkuPlan.objects.filter(run=run, item_location_id__in=item_location_ids).select_related(
            "item_location__item", "item_location__location"
        )
    )
    created = auto = closed = 0
    with transaction.atomic():
        for plan in sorted(plans, key=lambda p: p.item_location_id):
            il = plan.item_location
            key = f"stockout:{il.pk}"
            live = (
                WorkflowTask.objects.select_for_update()
                .filter(
                    dedupe_key=key,
                    status__in=[WorkflowTask.Status.OPEN, WorkflowTask.Status.AWAITING_APPROVAL],
                )
                .first()
            )
            horizon = today + timedelta(days=int(round(plan.lead_time_mean)))
            if plan.projected_stockout_date is None or plan.projected_stockout_date > horizon:
                if live is not None:
                    live.status = WorkflowTask.Status.CLOSED
                    live.save(update_fields=["status", "updated_at"])
                    audit_record(
                        kind="system",
                        action="workflow_task_closed",
                        actor=None,
                        subject_type="workflow_task",
                        subject_id=live.pk,
                        payload={"reason": "no stockout projected within lead time"},
                    )
                    closed += 1
                continue
            shortage = max(int(round(plan.reorder_point - plan.inventory_position)), 1)
            others = m.ItemLocation.objects.filter(item_id=il.item_id).exclude(pk=il.pk)
            surplus = 0
            best_source = None
            for other in others.select_related("location"):
                spare = other.on_hand - other.allocated - other.static_min
                if spare > surplus:
                    surplus, best_source = spare, other.location
            impact = sum(
                (line.unit_price * line.quantity_ordered)
                for line in m.SalesOrderLine.objects.filter(
                    item_id=il.item_id,
                    order__location_id=il.location_id,
                    status__in=OPEN_SO_LINE,
                    order__status__in=OPEN_SO,
                    requested_ship_date__lte=horizon,
                ).only("unit_price", "quantity_ordered")
            )
            open_po = m.PurchaseOrderLine.objects.filter(
                item_id=il.item_id,
                order__location_id=il.location_id,
                status__in=OPEN_PO_LINE,
                order__status__in=OPEN_PO,
            )
            po_line = open_po.order_by("promised_date").select_related("order").first()
            margin = float(il.item.unit_price - il.item.unit_cost)
            risk = engine.stockout_risk(
                stockout_probability=plan.stockout_probability,
                shortage_units=shortage,
                unit_margin=margin,
                customer_impact=float(impact),
                alternate_units=surplus,
                open_po=po_line is not None,
            )
            value = Decimal(str(round(risk.score, 2))).quantize(CENT)
            supplier_id = po_line.order.supplier_id if po_line else None
            verdict = decision_policy().automation_decide(
                action=ACTION[risk.action],
                abc=plan.abc,
                xyz=plan.xyz,
                supplier_reliability=supplier_reliability(supplier_id),
                value=value,
                confidence=_confidence(plan),
                quality_flags=list(plan.flags or []),
            )
            payload = {
                "shortage_units": shortage,
                "alternate_units": surplus,
                "transfer_from": best_source.code if best_source and risk.action == "transfer" else None,
                "po": po_line.order.number if po_line else None,
                "stockout_date": str(plan.projected_stockout_date),
                "stockout_probability": plan.stockout_probability,
                "customer_impact": str(impact),
                "explanation": risk.explanation,
                "open_po_units": open_po.aggregate(u=Sum("quantity_ordered"))["u"],
            }
            title = {
                "transfer": f"Transfer {shortage} {il.item.sku} from {payload['transfer_from']} to {il.location.code}",
                "expedite": f"Expedite PO {payload['po']} for {il.item.sku} at {il.location.code}",
                "buyer_stockout": f"Source {shortage} {il.item.sku} for {il.location.code} before "
                f"{plan.projected_stockout_date}",
            }[risk.action]
            values = dict(
                kind=risk.action,
                owner_team=TEAM[risk.action],
                item_location=il,
                location=il.location,
                supplier_id=supplier_id,
                value_at_stake=value,
                confidence=_confidence(plan),
                title=title[:200],
                payload=payload,
                automation_reason=verdict.reason,
                event=event,
            )
            if live is not None:
                for k, v in values.items():
                    setattr(live, k, v)
                live.save()
                continue
            status = WorkflowTask.Status.AUTO_EXECUTED if verdict.auto else WorkflowTask.Status.OPEN
            task = WorkflowTask.objects.create(dedupe_key=key, status=status, **values)
            audit_record(
                kind="auto_execution" if verdict.auto else "recommendation",
                action=f"{risk.action}_{'auto' if verdict.auto else 'task'}",
                actor=None,
                subject_type="workflow_task",
                subject_id=task.pk,
                payload={
                    "value": str(value),
                    "policy": verdict.policy_id,
                    "reason": verdict.reason,
                    "event": getattr(event, "pk", None),
                    **{k: payload[k] for k in ("shortage_units", "stockout_date")},
                },
            )
            auto += verdict.auto
            created += not verdict.auto
    return {
        "stockout_tasks_created": created,
        "stockout_auto_executed": auto,
        "stockout_tasks_closed": closed,
    }


def _confidence(plan: m.SkuPlan) -> float:
    """Forecast quality (MASE below 1 is better than naive) damped by data-quality flags."""
    mase = plan.mase if plan.mase is not None else 1.5
    base = max(0.1, min(0.95, 1.0 - 0.35 * mase))
    return round(base * (0.7 if plan.flags else 1.0), 3)
