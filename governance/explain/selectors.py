"""Everything about one SKU-location, as plain JSON-ready data: the page, `manage.py explain` and the API read this.

It lives in the top layer because it assembles every app: the plan and the network mirror (replenish), the
decisions (exceptions) and the lead-time drift test (governance.drift).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from exceptions.models import Decision, PlanningException
from replenish import models as rm
from replenish.selectors import item_location_list

from ..drift import RECENT_WEEKS, REFERENCE_WEEKS, lead_time_shift
from ..models import DriftFinding
from .derivation import policy_derivation

HISTORY_WEEKS = 104  # as the plan reads (replenish/planning/inputs.py)
OPEN_PO_STATUSES = ("open", "accepted", "changed", "partial")
OPEN_ORDER_STATUSES = ("open", "backordered")
PLAN_FIELDS = [
    "demand_class",
    "abc",
    "xyz",
    "method",
    "forecast_weekly",
    "forecast_sd_weekly",
    "forecast_sd_planning",
    "mase",
    "bias",
    "lead_time_mean",
    "lead_time_sd",
    "lead_time_source",
    "lead_time_unstable",
    "lead_time_long_run_mean",
    "lead_time_recent_mean",
    "lead_time_n_samples",
    "target_type",
    "service_target",
    "policy_forecast_weekly",
    "policy_forecast_sd_weekly",
    "policy_lead_time_days",
    "policy_lead_time_sd_days",
    "policy_target",
    "error_growth",
    "demand_size_mean",
    "demand_size_cv2",
    "undershoot",
    "lead_time_demand_mean",
    "lead_time_demand_sd",
    "lead_time_demand_distribution",
    "safety_factor",
    "eoq",
    "unit_cost",
    "ordering_cost",
    "holding_rate",
    "moq",
    "pack_size",
    "capacity",
    "safety_stock_floor",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "order_quantity",
    "inventory_position",
    "stockout_probability",
]
OPTIONAL_PLAN_FIELDS = ("planning_target", "calibration_factor", "calibration_group")  # service calibration


def item_location_get(*, user, location: str, sku: str) -> rm.ItemLocation:
    """The SKU-location if the user may see it (as on the SKU-location list), else 404."""
    found = item_location_list(user=user).filter(location__code=location, item__sku=sku).first()
    if found is None:
        raise Http404(f"No SKU-location {sku} at {location} that you can see.")
    return found


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _round(value: Any, digits: int = 3) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, digits) if np.isfinite(number) else None


def current_plan(item_location: rm.ItemLocation) -> rm.SkuPlan | None:
    return (
        rm.SkuPlan.objects.filter(item_location=item_location, run__is_current=True)
        .select_related("run", "supply_location")
        .first()
    )


def _plan_dict(plan: rm.SkuPlan) -> dict:
    data = {name: getattr(plan, name) for name in PLAN_FIELDS}
    for name in OPTIONAL_PLAN_FIELDS:
        if hasattr(plan, name):
            data[name] = getattr(plan, name)
    data["flags"] = list(plan.flags or [])
    data["projected_stockout_date"] = _iso(plan.projected_stockout_date)
    data["supply_location"] = plan.supply_location.code if plan.supply_location_id else None  # type: ignore[union-attr]
    return data


def _weeks(as_of: date) -> tuple[date, date]:
    history_end = as_of - timedelta(days=as_of.weekday())
    return history_end - timedelta(weeks=HISTORY_WEEKS), history_end


def _weekly_history(item_location: rm.ItemLocation, first_week: date, history_end: date) -> list[dict]:
    """Every week from the history start (demand is stored sparsely: a week without a row sold nothing)."""
    stored = {
        row["period_start"]: row
        for row in rm.DemandHistory.objects.filter(
            item_location=item_location, period_start__gte=first_week, period_start__lt=history_end
        ).values("period_start", "quantity", "promotion")
    }
    week = max(first_week, item_location.history_start or first_week)
    week = week - timedelta(days=week.weekday())
    history = []
    while week < history_end:
        row = stored.get(week) or {"quantity": 0, "promotion": False}
        history.append(
            {"week": week.isoformat(), "quantity": row["quantity"], "promotion": bool(row["promotion"])}
        )
        week += timedelta(weeks=1)
    return history


def _candidate_methods(plan: rm.SkuPlan) -> list[dict]:
    """The backtest errors of every method that was scored for the series, the chosen one marked."""
    names = (plan.run.options or {}).get("forecast_methods") or []
    backtest = plan.backtest or {}
    columns = {metric: backtest.get(metric) or [None] * len(names) for metric in ("rmse", "mase", "bias")}
    methods = []
    for index, name in enumerate(names):
        errors = {metric: _round(values[index], 4) for metric, values in columns.items()}
        if errors["rmse"] is not None or errors["mase"] is not None:
            methods.append({"method": name, **errors, "chosen": name == plan.method})
    return methods


def _weekly_points(values: list, first: date) -> list[dict]:
    return [
        {"week": (first + timedelta(weeks=i)).isoformat(), "forecast": _round(v, 3)}
        for i, v in enumerate(values)
    ]


def demand_section(item_location: rm.ItemLocation, plan: rm.SkuPlan | None, as_of: date) -> dict:
    """Weekly demand (zeros filled from the history start), the backtest fit and the forecast path, and the
    backtest errors of every candidate method with the chosen one."""
    first_week, history_end = _weeks(as_of)
    history = _weekly_history(item_location, first_week, history_end)
    quantities = [h["quantity"] for h in history]
    section = {
        "history": history,
        "weeks_of_history": len(history),
        "mean_weekly_demand": _round(np.mean(quantities), 2) if quantities else None,
        "backtest_fit": [],
        "forecast_path": [],
        "selection_metric": "rmse",
        "methods": [],
        "chosen_method": None,
        "demand_class": None,
        "segment": None,
    }
    if plan is None:
        return section
    fit = (plan.backtest or {}).get("fit") or []
    return section | {
        "backtest_fit": _weekly_points(fit, history_end - timedelta(weeks=len(fit))),
        "forecast_path": _weekly_points((plan.backtest or {}).get("path") or [], history_end),
        "selection_metric": (plan.run.options or {}).get("forecast_selection_metric") or "rmse",
        "methods": _candidate_methods(plan),
        "chosen_method": plan.method,
        "demand_class": plan.demand_class,
        "segment": f"{plan.abc}{plan.xyz}",
    }


def _histogram(days: list[int]) -> list[dict]:
    if not days:
        return []
    low, high = min(days), max(days)
    width = max(1, int(np.ceil((high - low + 1) / 25)))
    counts: dict[int, int] = {}
    for value in days:
        bucket = low + ((value - low) // width) * width
        counts[bucket] = counts.get(bucket, 0) + 1
    return [
        {"from_days": b, "to_days": b + width - 1, "receipts": counts.get(b, 0)}
        for b in range(low, high + 1, width)
    ]


def lead_time_section(
    item_location: rm.ItemLocation, plan: rm.SkuPlan | None, supplier: rm.Supplier | None
) -> dict:
    """Receipts of the supplier-item (the supplier's, when the plan pooled them), their distribution, the planned
    figures, and the drift test of the supplier in this category (as the drift check runs it)."""
    if supplier is None:
        return {"supplier": None, "receipts": [], "histogram": [], "drift": None, "findings": []}
    source = plan.lead_time_source if plan else ""
    receipts = rm.Receipt.objects.filter(supplier=supplier)
    if source != "supplier":
        receipts = receipts.filter(item=item_location.item)
    rows = list(receipts.order_by("-received_date").values_list("order_date", "received_date")[:500])
    days = [(received - ordered).days for ordered, received in rows]
    category_rows = rm.Receipt.objects.filter(supplier=supplier, item__category=item_location.item.category)
    last = category_rows.aggregate(m=Max("received_date"))["m"]
    drift = None
    if last is not None:
        recent_start = last - timedelta(weeks=RECENT_WEEKS) + timedelta(days=1)
        reference_start = recent_start - timedelta(weeks=REFERENCE_WEEKS)
        reference: list = []
        recent: list = []
        for ordered, received in category_rows.filter(received_date__gte=reference_start).values_list(
            "order_date", "received_date"
        ):
            (recent if received >= recent_start else reference).append((received - ordered).days)
        drift = lead_time_shift(np.array(reference), np.array(recent))
        if drift is not None:
            drift = {k: (_round(v, 4) if isinstance(v, float) else v) for k, v in drift.items()}
            drift["category"] = item_location.item.category
            drift["recent_from"] = recent_start.isoformat()
    findings = [
        {
            "kind": f.get_kind_display(),
            "category": f.category,
            "message": f.message,
            "status": f.get_status_display(),
        }
        for f in DriftFinding.objects.filter(supplier_id=supplier.pk, status=DriftFinding.Status.OPEN)[:5]
    ]
    values = np.array(days, dtype=float)
    return {
        "supplier": {
            "code": supplier.code,
            "name": supplier.name,
            "contracted_days": supplier.contracted_lead_time_days,
        },
        "source": source,
        "receipts": [{"ordered": _iso(o), "received": _iso(r), "days": (r - o).days} for o, r in rows[:50]],
        "receipt_count": len(rows),
        "observed_mean": _round(values.mean() if len(values) else None, 2),
        "observed_sd": _round(values.std(ddof=1) if len(values) > 1 else None, 2),
        "histogram": _histogram(days),
        "planned_mean": _round(plan.lead_time_mean, 2) if plan else None,
        "planned_sd": _round(plan.lead_time_sd, 2) if plan else None,
        "long_run_mean": _round(plan.lead_time_long_run_mean, 2) if plan else None,
        "recent_mean": _round(plan.lead_time_recent_mean, 2) if plan else None,
        "unstable": bool(plan.lead_time_unstable) if plan else False,
        "drift": drift,
        "findings": findings,
    }


def supply_section(item_location: rm.ItemLocation) -> dict:
    po_lines = list(
        rm.PurchaseOrderLine.objects.filter(
            item_id=item_location.item_id,
            order__location_id=item_location.location_id,
            status__in=OPEN_PO_STATUSES,
        )
        .select_related("order__supplier")
        .prefetch_related("shipment_lines__shipment")
        .order_by("promised_date")[:50]
    )
    lines = []
    for line in po_lines:
        shipments = [s.shipment for s in line.shipment_lines.all() if s.shipment.status == "in_transit"]
        asn = min(shipments, key=lambda s: s.expected_arrival) if shipments else None
        arrival = asn.expected_arrival if asn else (line.acknowledged_date or line.promised_date)
        lines.append(
            {
                "po": line.order.number,
                "line": line.line_number,
                "supplier": line.order.supplier.code,
                "ordered": line.quantity_ordered,
                "open": max(line.quantity_ordered - line.quantity_received, 0),
                "promised": _iso(line.promised_date),
                "asn": asn.number if asn else None,
                "arrival": _iso(arrival),
                "late": bool(arrival and arrival > line.promised_date),
                "status": line.get_status_display(),
            }
        )
    transfers = [
        {
            "number": t.number,
            "from": t.from_location.code,
            "quantity": t.quantity,
            "arrival": _iso(t.expected_arrival),
            "status": t.get_status_display(),
        }
        for t in rm.TransferOrder.objects.filter(
            item_id=item_location.item_id,
            to_location_id=item_location.location_id,
            status__in=["planned", "in_transit"],
        )
        .select_related("from_location")
        .order_by("expected_arrival")[:20]
    ]
    orders = [
        {
            "order": line.order.number,
            "line": line.line_number,
            "customer": line.order.customer.name,
            "tier": line.order.customer.service_tier.name,
            "quantity": line.quantity_ordered - line.quantity_shipped,
            "allocated": line.quantity_allocated,
            "requested": _iso(line.requested_ship_date),
            "promised": _iso(line.promised_ship_date),
            "status": line.get_status_display(),
        }
        for line in rm.SalesOrderLine.objects.filter(
            item_id=item_location.item_id,
            order__location_id=item_location.location_id,
            status__in=OPEN_ORDER_STATUSES,
        )
        .select_related("order__customer__service_tier")
        .order_by("requested_ship_date")[:50]
    ]
    return {"purchase_order_lines": lines, "transfers": transfers, "order_lines": orders}


def projection_section(
    item_location: rm.ItemLocation, plan: rm.SkuPlan | None, supply: dict, as_of: date
) -> dict:
    """Day by day: available + inbound on its expected arrival - the forecast path spread over its days."""
    if plan is None:
        return {"days": []}
    lead = float(plan.policy_lead_time_days or plan.lead_time_mean or 14)
    horizon = int(min(max(2 * lead + 14, 35), 120))
    path = np.array((plan.backtest or {}).get("path") or [plan.forecast_weekly], dtype=float)
    weekly = np.concatenate([path, np.repeat(path[-1:], max(0, horizon // 7 + 1 - len(path)))])
    daily = np.repeat(np.maximum(np.nan_to_num(weekly), 0.0) / 7.0, 7)[:horizon]
    inbound = np.zeros(horizon)
    for line in supply["purchase_order_lines"]:
        offset = max((date.fromisoformat(line["arrival"]) - as_of).days, 0)
        if offset < horizon:
            inbound[offset] += line["open"]
    for transfer in supply["transfers"]:
        offset = max((date.fromisoformat(transfer["arrival"]) - as_of).days, 0)
        if offset < horizon:
            inbound[offset] += transfer["quantity"]
    available = float(item_location.on_hand - item_location.allocated - item_location.backordered)
    projected = available + np.cumsum(inbound) - np.cumsum(daily)
    below = np.flatnonzero(projected < 0)
    return {
        "available": available,
        "reorder_point": _round(plan.reorder_point, 1),
        "order_up_to": _round(plan.order_up_to, 1),
        "first_short_day": (as_of + timedelta(days=int(below[0]))).isoformat() if below.size else None,
        "days": [
            {
                "day": (as_of + timedelta(days=int(d))).isoformat(),
                "projected": round(float(p), 1),
                "inbound": float(i),
            }
            for d, p, i in zip(range(horizon), projected, inbound, strict=True)
        ],
    }


def decisions_section(item_location: rm.ItemLocation) -> dict:
    recommendations = [
        {
            "id": r.pk,
            "run": r.run_id,
            "created_at": r.created_at.isoformat(),
            "action": r.get_action_display(),
            "quantity": r.quantity,
            "due": _iso(r.due_date),
            "reason": r.reason,
        }
        for r in rm.Recommendation.objects.filter(item_location=item_location).order_by("-created_at", "-pk")[
            :20
        ]
    ]
    exceptions = PlanningException.objects.filter(item_location=item_location)
    decisions = [
        {
            "exception": d.exception_id,
            "recommendation": d.recommendation_id,
            "at": d.created_at.isoformat(),
            "by": d.actor.username if d.actor_id else "automation policy",  # type: ignore[union-attr]
            "action": d.get_action_display(),
            "reason_code": d.reason_code,
            "comment": d.comment,
        }
        for d in Decision.objects.filter(exception__in=exceptions)
        .select_related("actor")
        .order_by("-created_at")[:30]
    ]
    open_exceptions = [
        {
            "id": e.pk,
            "type": e.get_type_display(),
            "status": e.get_status_display(),
            "value": str(e.value_at_stake),
        }
        for e in exceptions.exclude(status="closed").order_by("-value_at_stake")[:10]
    ]
    return {"recommendations": recommendations, "decisions": decisions, "open_exceptions": open_exceptions}


def sku_location_explain(item_location: rm.ItemLocation) -> dict:
    """The whole explanation of one SKU-location (JSON-ready)."""
    plan = current_plan(item_location)
    as_of = date.fromisoformat(plan.run.filters["as_of"]) if plan else timezone.localdate()
    item, location = item_location.item, item_location.location
    primary = item.supplier_items.filter(is_primary=True).select_related("supplier").first()
    supplier = primary.supplier if primary else None
    supply = supply_section(item_location)
    plan_data = _plan_dict(plan) if plan else None
    return {
        "sku": item.sku,
        "description": item.description,
        "category": item.category,
        "location": {"code": location.code, "name": location.name, "time_zone": location.time_zone},
        "buyer": item_location.buyer.username if item_location.buyer_id else None,  # type: ignore[union-attr]
        "stock": {
            "on_hand": item_location.on_hand,
            "allocated": item_location.allocated,
            "backordered": item_location.backordered,
            "erp_min": item_location.static_min,
            "erp_max": item_location.static_max,
        },
        "unit_cost": str(primary.unit_cost if primary else item.unit_cost),
        "unit_price": str(item.unit_price),
        "as_of": as_of.isoformat(),
        "run": (
            {
                "id": plan.run_id,
                "model_version": plan.run.model_version,
                "finished_at": _iso_dt(plan.run.finished_at),
            }
            if plan
            else None
        ),
        "plan": plan_data,
        "demand": demand_section(item_location, plan, as_of),
        "lead_time": lead_time_section(item_location, plan, supplier),
        "policy": policy_derivation(plan_data, plan.run.options or {}) if plan_data else None,  # type: ignore[union-attr]
        "supply": supply,
        "projection": projection_section(item_location, plan, supply, as_of),
        "history": decisions_section(item_location),
    }


def _iso_dt(value) -> str | None:
    return value.isoformat() if value else None
