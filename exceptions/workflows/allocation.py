"""Allocation of constrained supply across branches and customers (engine.allocate: lexicographic MILP - contract
minimums first, then margin, then demand velocity), one rationale per allocated line, every line audited."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from replenish import models as m
from replenish.core.audit import audit_record

from . import engine
from .atp import OPEN_SO, OPEN_SO_LINE, is_tiered
from .models import AllocationLine, CustomerServiceTask

HORIZON_DAYS = 14  # order lines requested within two weeks compete for today's stock
TRANSFER_COST_SHARE = Decimal("0.05")  # freight of a branch transfer per unit, as a share of unit cost


def allocation_run(
    *, item_id: int, actor=None, event=None, horizon_days: int = HORIZON_DAYS, include_allocated: bool = False
) -> dict:
    """Allocate the item's available stock (on hand - allocated, per location) to its open order lines due within the
    horizon when demand exceeds it. Returns a summary; writes AllocationLine rows and one audit event per line.
    include_allocated: reallocate all the stock, what is already allocated included (customer service taking stock
    from lower tiers for a contract's minimum)."""
    today = timezone.localdate()
    item = m.Item.objects.get(pk=item_id)
    held = 0 if include_allocated else 1
    supply = {
        loc: max(on_hand - held * allocated, 0)
        for loc, on_hand, allocated in m.ItemLocation.objects.filter(item_id=item_id).values_list(
            "location_id", "on_hand", "allocated"
        )
    }
    lines = list(
        m.SalesOrderLine.objects.filter(
            item_id=item_id,
            status__in=OPEN_SO_LINE,
            order__status__in=OPEN_SO,
            requested_ship_date__lte=today + timedelta(days=horizon_days),
        )
        .select_related("order__customer__service_tier")
        .order_by("requested_ship_date", "pk")
    )
    lines = [ln for ln in lines if ln.quantity_open - held * ln.quantity_allocated > 0]
    demand_units = sum(ln.quantity_open - held * ln.quantity_allocated for ln in lines)
    if not lines or demand_units <= sum(supply.values()):
        return {
            "item": item.sku,
            "constrained": False,
            "demand": demand_units,
            "supply": sum(supply.values()),
        }
    velocity = dict(
        m.SkuPlan.objects.filter(run__is_current=True, item_location__item_id=item_id).values_list(
            "item_location__location_id", "forecast_weekly"
        )
    )
    demands = []
    for ln in lines:
        tier = ln.order.customer.service_tier
        qty = ln.quantity_open - held * ln.quantity_allocated
        minimum = math.ceil(float(tier.fill_promise) * qty) if is_tiered(tier) else 0
        demands.append(
            engine.AllocDemand(
                key=ln.pk,
                location=ln.order.location_id,
                quantity=qty,
                contractual_minimum=minimum,
                unit_margin=float(ln.unit_price - item.unit_cost),
                velocity=float(velocity.get(ln.order.location_id, 0.0)),
            )
        )
    result = engine.allocate(
        supply=supply, demands=demands, transfer_cost=float(item.unit_cost * TRANSFER_COST_SHARE)
    )
    key = uuid.uuid4().hex
    by_line = {ln.pk: ln for ln in lines}
    with transaction.atomic():
        rows = []
        for d in demands:
            got = result.allocated.get(d.key, {})
            main = max(got, key=got.get) if got else d.location
            rows.append(
                AllocationLine(
                    allocation_key=key,
                    item_id=item_id,
                    supply_location_id=main,
                    sales_order_line_id=d.key,
                    demand_location_id=d.location,
                    demanded=d.quantity,
                    contractual_minimum=d.contractual_minimum,
                    allocated=result.total(d.key),
                    rationale=result.rationale[d.key],
                )
            )
        AllocationLine.objects.bulk_create(rows)
        for row in rows:
            line = by_line[row.sales_order_line_id]
            audit_record(
                kind="recommendation",
                action="allocation_line",
                actor=actor,
                subject_type="sales_order_line",
                subject_id=row.sales_order_line_id,
                payload={
                    "allocation": key,
                    "order": line.order.number,
                    "item": item.sku,
                    "demanded": row.demanded,
                    "allocated": row.allocated,
                    "contract_minimum": row.contractual_minimum,
                    "from": result.allocated[row.sales_order_line_id]
                    and {str(k): v for k, v in result.allocated[row.sales_order_line_id].items()},
                    "rationale": row.rationale,
                    "event": getattr(event, "pk", None),
                },
            )
            CustomerServiceTask.objects.filter(sales_order_line_id=row.sales_order_line_id).exclude(
                status=CustomerServiceTask.Status.RESOLVED
            ).update(allocated_units=row.allocated)
    return {
        "item": item.sku,
        "constrained": True,
        "allocation": key,
        "lines": len(rows),
        "shortfall": result.shortfall,
        "margin": round(result.margin, 2),
        "supply": sum(supply.values()),
        "demand": demand_units,
    }
