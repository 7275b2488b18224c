"""Factories of the exceptions tests: plan runs, SkuPlans, recommendations and exceptions with explicit figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from guardian.shortcuts import assign_perm

from exceptions.models import PlanningException
from replenish import models as m
from tests import factories as f


def today() -> date:
    return timezone.localdate()


def plan_run(**kw) -> m.PlanRun:
    if kw.get("is_current", True):
        m.PlanRun.objects.filter(is_current=True).update(is_current=False)
    defaults = {
        "status": m.PlanRun.Status.COMPLETE,
        "is_current": True,
        "input_snapshot": {"as_of": today().isoformat()},
        "finished_at": timezone.now(),
    }
    return m.PlanRun.objects.create(**{**defaults, **kw})


def sku_plan(*, run: m.PlanRun, item_location: m.ItemLocation, **kw) -> m.SkuPlan:
    defaults = {
        "demand_class": "smooth",
        "abc": "A",
        "xyz": "X",
        "method": "ses",
        "forecast_weekly": 70.0,
        "forecast_sd_weekly": 14.0,
        "mase": 0.6,
        "bias": 0.0,
        "lead_time_mean": 14.0,
        "lead_time_sd": 3.0,
        "lead_time_source": "supplier_item",
        "lead_time_unstable": False,
        "target_type": "fill_rate",
        "service_target": 0.97,
        "safety_stock": 30.0,
        "reorder_point": 170.0,
        "order_up_to": 400.0,
        "order_quantity": 230.0,
        "inventory_position": 100.0,
        "stockout_probability": 0.6,
        "projected_stockout_date": today() + timedelta(days=9),
        "flags": [],
    }
    return m.SkuPlan.objects.create(run=run, item_location=item_location, **{**defaults, **kw})


def recommendation(*, run: m.PlanRun, item_location: m.ItemLocation, action: str = "purchase_order", **kw):
    defaults = {
        "quantity": 240,
        "due_date": today(),
        "factors": {},
        "reason": "Order 240 units: position below ROP.",
        "confidence": 0.7,
    }
    return m.Recommendation.objects.create(
        run=run, item_location=item_location, action=action, **{**defaults, **kw}
    )


def network(*, buyer=None, n: int = 1, location=None, supplier=None, **il_kw):
    """n SKU-locations at one location with a primary supplier each (the supplier is shared)."""
    location = location or f.location(code=f"WX{f.n()}")
    supplier = supplier or f.supplier(name="Acme Fasteners")
    out = []
    for _ in range(n):
        item = f.item(unit_cost=Decimal("10.00"), unit_price=Decimal("16.00"))
        m.SupplierItem.objects.create(
            external_id=f"SI{f.n()}",
            supplier=supplier,
            item=item,
            supplier_part_number=f"P{f.n()}",
            unit_cost=Decimal("10.00"),
            is_primary=True,
        )
        out.append(f.item_location(item=item, location=location, buyer=buyer, **il_kw))
    return out


def stockout_case(*, run, buyer=None, action="transfer", **plan_kw):
    """One SKU-location that runs out within its lead time, with a recommendation: a transfer by default (a task
    of its own); a purchase order makes it a line of its supplier's draft PO for the location."""
    (il,) = network(buyer=buyer)
    supplier = m.SupplierItem.objects.get(item=il.item, is_primary=True).supplier
    plan = sku_plan(run=run, item_location=il, **plan_kw)
    rec = recommendation(run=run, item_location=il, supplier=supplier, action=action)
    return il, plan, rec


def exception(**kw) -> PlanningException:
    il = kw.pop("item_location", None) or network()[0]
    defaults = {
        "type": "stockout_risk",
        "item_location": il,
        "location": il.location,
        "buyer": il.buyer,
        "category": il.item.category,
        "sku": il.item.sku,
        "value_at_stake": Decimal("100.00"),
        "supplier": m.SupplierItem.objects.filter(item=il.item, is_primary=True).first().supplier
        if m.SupplierItem.objects.filter(item=il.item, is_primary=True).exists()
        else None,
        "value_parts": {
            "lost_margin": "100.00",
            "order_exposure": "0.00",
            "tier_penalties": "0.00",
            "holding_cost": "0.00",
            "feasibility_adjustment": "0.00",
            "action_cost": "0.00",
            "floor": "0.00",
            "feasibility": 1.0,
            "value": "100.00",
            "expected_short_units": 16.67,
            "named_short_units": 0.0,
            "unit_margin": 6.0,
            "horizon_days": 15.0,
            "basis": {},
        },
        "proposal": {
            "action": "purchase_order",
            "quantity": 240,
            "date": today().isoformat(),
            "supplier_name": "Acme",
        },
        "explanation": {"summary": "Runs out soon.", "as_of": today().isoformat()},
        "owner": il.buyer,
        "due_by": today(),
        "confidence": 0.7,
    }
    return PlanningException.objects.create(**{**defaults, **kw})


def grant_location(user, location) -> None:
    """django-guardian's own call: it stores the grant in the direct foreign-key table of the exceptions app."""
    assign_perm("replenish.view_location", user, location)


def grant_supplier(user, supplier) -> None:
    assign_perm("replenish.view_supplier", user, supplier)


def approval_tiers_ensure() -> None:
    """The seeded approval bands of every action (buyer up to 5,000, manager to 50,000, director above), again after
    a transactional test flushed the migration's rows (governance/migrations/0004_seed_policies.py)."""
    from governance.models import ApprovalTier

    if ApprovalTier.objects.exists():
        return
    bands = ((None, "5000", "buyer"), ("5000", "50000", "manager"), ("50000", None, "director"))
    ApprovalTier.objects.bulk_create(
        ApprovalTier(
            action=action,
            value_above=Decimal(above) if above else None,
            value_up_to=Decimal(up_to) if up_to else None,
            required_role=role,
            effective_from=date(2020, 1, 1),
        )
        for action in ("purchase_order", "expedite", "defer", "cancel", "transfer", "reallocate")
        for above, up_to, role in bands
    )
