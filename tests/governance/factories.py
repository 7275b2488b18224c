"""Governance test factories: users with a role, tiers and policies."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from governance.models import ApprovalTier, AutomationPolicy

_seq = itertools.count(1)


def user(role: str | None = None, **kw):
    i = next(_seq)
    u = get_user_model().objects.create_user(
        username=kw.pop("username", f"gov{role or 'user'}{i}"), password="pw-test-12345", **kw
    )
    if role:
        if role in {
            "buyer",
            "warehouse_supervisor",
            "customer_service",
            "transportation_planner",
            "manager",
            "auditor",
            "administrator",
        }:
            from replenish.core.services import roles_ensure

            if not Group.objects.filter(name=role).exists():
                roles_ensure()
        group, _ = Group.objects.get_or_create(name=role)
        u.groups.add(group)
    return u


def tier(**kw) -> ApprovalTier:
    defaults = {
        "action": "purchase_order",
        "value_above": None,
        "value_up_to": Decimal("5000"),
        "required_role": "buyer",
        "effective_from": date(2024, 1, 1),
    }
    return ApprovalTier.objects.create(**{**defaults, **kw})


def policy(**kw) -> AutomationPolicy:
    defaults = {
        "name": "test policy",
        "action": "purchase_order",
        "abc_classes": "C",
        "xyz_classes": "XY",
        "min_supplier_reliability": 0.9,
        "max_value": Decimal("500"),
        "min_confidence": 0.8,
        "effective_from": date(2024, 1, 1),
    }
    return AutomationPolicy.objects.create(**{**defaults, **kw})


def clear_seeded() -> None:
    ApprovalTier.objects.all().delete()
    AutomationPolicy.objects.all().delete()


def plan_run(*, finished_at=None, scope="full", **kw):
    from django.utils import timezone

    from replenish.models import PlanRun

    return PlanRun.objects.create(
        status="complete", scope=scope, finished_at=finished_at or timezone.now(), **kw
    )


def sku_plan(*, run, item_location, **kw):
    from replenish.models import SkuPlan

    defaults = {
        "demand_class": "smooth",
        "abc": "C",
        "xyz": "X",
        "method": "ses",
        "forecast_weekly": 10.0,
        "forecast_sd_weekly": 2.0,
        "mase": 0.8,
        "bias": 0.0,
        "lead_time_mean": 10.0,
        "lead_time_sd": 2.0,
        "lead_time_source": "receipts",
        "target_type": "fill_rate",
        "service_target": 0.95,
        "safety_stock": 5.0,
        "reorder_point": 20.0,
        "order_up_to": 40.0,
        "order_quantity": 20.0,
        "inventory_position": 30.0,
        "stockout_probability": 0.05,
        "projected_stockout_date": None,
    }
    return SkuPlan.objects.create(run=run, item_location=item_location, **{**defaults, **kw})


def sales_order_line(*, item, requested, quantity=10, status="open", **kw):
    from decimal import Decimal

    from replenish.models import SalesOrder, SalesOrderLine
    from tests import factories as base

    i = next(_seq)
    order = SalesOrder.objects.create(
        external_id=f"SO{i}",
        number=f"SO{i}",
        customer=base.customer(),
        location=kw.pop("location", None) or base.location(),
        order_date=requested,
    )
    return SalesOrderLine.objects.create(
        external_id=f"SOL{i}",
        order=order,
        line_number=1,
        item=item,
        quantity_ordered=quantity,
        unit_price=Decimal("15"),
        requested_ship_date=requested,
        status=status,
        **kw,
    )


def receipt(*, item, supplier, location, ordered, received, quantity=10):
    from replenish.models import Receipt

    i = next(_seq)
    return Receipt.objects.create(
        external_id=f"R{i}",
        supplier=supplier,
        item=item,
        location=location,
        quantity=quantity,
        order_date=ordered,
        received_date=received,
    )


def exception(**kw):
    from exceptions.models import PlanningException

    defaults = {
        "type": "stockout_risk",
        "status": "closed",
        "category": "Fasteners",
        "value_at_stake": Decimal("1000"),
        "confidence": 0.7,
        "sku": kw["item_location"].item.sku if kw.get("item_location") else "",
    }
    return PlanningException.objects.create(**{**defaults, **kw})


def decision(*, exception_, action="approve", actor=None, **kw):
    from exceptions.models import Decision

    defaults = {
        "version": exception_.version,
        "value": exception_.value_at_stake,
        "confidence": exception_.confidence,
    }
    return Decision.objects.create(
        exception=exception_,
        recommendation=exception_.recommendation,
        action=action,
        actor=actor,
        **{**defaults, **kw},
    )


def awaiting_exception(*, maker, value="20000", required_role="manager", **kw):
    from datetime import timedelta

    from django.utils import timezone

    from tests import factories as base

    il = base.item_location()
    supplier = base.supplier()
    proposal = {
        "action": "purchase_order",
        "quantity": 240,
        "supplier_id": supplier.pk,
        "supplier_code": supplier.code,
        "date": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "text": f"Order 240 from {supplier.code}",
    }
    return exception(
        item_location=il,
        location=il.location,
        supplier=supplier,
        status="awaiting_approval",
        required_role=required_role,
        maker=maker,
        value_at_stake=Decimal(value),
        proposal=proposal,
        category=il.item.category,
        **kw,
    )
