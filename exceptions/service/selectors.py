"""Reads of the customer-service workspace.

`at_risk_lines` is the one list of at-risk order lines: the live CustomerServiceTask rows (one per line, written by
the order-line ATP of exceptions.workflows.atp). The exceptions refresh reads the same selector to count and value
each SKU-location's order-at-risk task (exceptions/refresh/load.py), so the customer-service queue and this list
cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from replenish import models as m
from replenish.core import roles
from replenish.engine.value import money, order_line_parts

from ..models import PlanningException
from ..workflows.atp import OPEN_SO, inbound_by_pair, open_lines_by_pair
from ..workflows.engine import DemandLine, atp_promises
from ..workflows.models import CustomerServiceTask
from .models import ServiceAction

LIVE = (CustomerServiceTask.Status.OPEN, CustomerServiceTask.Status.CONTACTED)
ACT_PERMISSION = "service.act_on_order_lines"


def can_view(user) -> bool:
    return roles.can_open(user, "service")  # the same answer as the navigation link


def can_act(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(ACT_PERMISSION))


def at_risk_lines(*, scope: Q | None = None) -> QuerySet[CustomerServiceTask]:
    """The at-risk order lines (live tasks), optionally within a scope of SKU-locations (a Q on `item_location`)."""
    qs = CustomerServiceTask.objects.filter(status__in=LIVE)
    return qs.filter(scope) if scope is not None else qs


def at_risk_list(*, user, status: str = "") -> QuerySet[CustomerServiceTask]:
    """The workspace's list: grouped by tier, customer and order (the template groups consecutive rows)."""
    if not can_view(user):
        return CustomerServiceTask.objects.none()
    qs = at_risk_lines().select_related(
        "sales_order_line__order__customer__service_tier",
        "sales_order_line__item",
        "item_location__location",
        "handled_by",
    )
    if status in LIVE:
        qs = qs.filter(status=status)
    return qs.order_by(
        "tier_rank", "customer__code", "sales_order_line__order__number", "sales_order_line__line_number"
    )


def at_risk_get(*, user, pk: int) -> CustomerServiceTask:
    return at_risk_list(user=user).get(pk=pk)


def at_risk_open_count(user) -> int:
    return at_risk_lines().filter(status=CustomerServiceTask.Status.OPEN).count() if can_view(user) else 0


def actions_by_line(line_ids: list[int]) -> dict[int, list[ServiceAction]]:
    out: dict[int, list[ServiceAction]] = {}
    for action in ServiceAction.objects.filter(sales_order_line_id__in=line_ids).select_related("actor"):
        out.setdefault(action.sales_order_line_id, []).append(action)
    return out


# --- backorder resolution -------------------------------------------------------------------------------------------


@dataclass
class Backorder:
    line: m.SalesOrderLine
    short_units: int
    value: object  # Decimal: the value at stake (engine value.order_line_parts)
    fill_date: date | None  # when the line's own location can fill it (ATP)
    fill_from: str  # where from, in words
    task_id: int | None


def backorder_list(*, user, limit: int = 200) -> list[Backorder]:
    """Every backordered open order line, ranked by the value its late units put at stake (margin + tier penalties,
    the one formula of replenish/engine/value.py), with when its location can fill it (order-line ATP, as the
    at-risk list) and from where: the inbound that fills it, or another location with the stock free to transfer."""
    if not can_view(user):
        return []
    lines = list(
        m.SalesOrderLine.objects.filter(
            status=m.SalesOrderLine.Status.BACKORDERED, order__status__in=OPEN_SO
        ).select_related("order__customer__service_tier", "order__location", "item")
    )
    scored = []
    for ln in lines:
        short = max(ln.quantity_open - ln.quantity_allocated, 0) or ln.quantity_open
        tier = ln.order.customer.service_tier
        parts = order_line_parts(
            units=short,
            unit_price=float(ln.unit_price),
            unit_cost=float(ln.item.unit_cost),
            penalty_per_line=float(tier.penalty_per_late_line),
            penalty_rate=float(tier.penalty_rate),
        )
        scored.append((money(float(parts["order_exposure"]) + float(parts["tier_penalties"])), short, ln))
    scored.sort(key=lambda r: (-r[0], r[2].requested_ship_date, r[2].pk))
    top = scored[:limit]
    fills = _fills([ln for _v, _s, ln in top])
    tasks = dict(
        at_risk_lines()
        .filter(sales_order_line_id__in=[ln.pk for _v, _s, ln in top])
        .values_list("sales_order_line_id", "pk")
    )
    return [
        Backorder(ln, short, value, *fills.get(ln.pk, (None, "no supply in sight")), tasks.get(ln.pk))
        for value, short, ln in top
    ]


def _fills(lines: list[m.SalesOrderLine]) -> dict[int, tuple[date | None, str]]:
    """Per line: the ATP date at its own location and the source, else a location with the units free today."""
    today = timezone.localdate()
    pairs = {(ln.item_id, ln.order.location_id) for ln in lines}
    if not pairs:
        return {}
    ils = {
        (il.item_id, il.location_id): il
        for il in m.ItemLocation.objects.filter(
            item_id__in={i for i, _ in pairs}, location_id__in={loc for _, loc in pairs}
        )
    }
    inbound, _notes, sources = inbound_by_pair(pairs, today)
    open_lines = open_lines_by_pair(pairs)
    free = _free_elsewhere({i for i, _ in pairs})
    out: dict[int, tuple[date | None, str]] = {}
    for key in pairs:
        il = ils.get(key)
        if il is None:
            continue
        promises = atp_promises(
            on_hand=il.on_hand,
            inbound=inbound.get(key, []),
            today=today,
            lines=[
                DemandLine(o.pk, o.requested_ship_date, o.order.customer.service_tier.rank, o.quantity_open)
                for o in open_lines.get(key, [])
            ],
        )
        for p in promises:
            if p.promise_date is not None:
                what = [s[2] for s in sources.get(key, []) if max(s[0], today) == p.promise_date]
                where = what[0] if what else "stock on hand"
                out[p.line_id] = (p.promise_date, where)
    for ln in lines:
        if ln.pk in out and out[ln.pk][0] is not None and out[ln.pk][0] <= today:
            continue
        short = ln.quantity_open
        donors = [
            (units, code)
            for loc, code, units in free.get(ln.item_id, [])
            if loc != ln.order.location_id and units >= short
        ]
        if donors:
            units, code = max(donors)
            own = out.get(ln.pk)
            text = f"transfer from {code} ({units} free)"
            out[ln.pk] = (own[0], f"{own[1]}; sooner by {text}") if own else (None, text)
    return out


def _free_elsewhere(item_ids: set[int]) -> dict[int, list[tuple[int, str, int]]]:
    out: dict[int, list[tuple[int, str, int]]] = {}
    for item_id, loc, code, on_hand, allocated in m.ItemLocation.objects.filter(
        item_id__in=item_ids
    ).values_list("item_id", "location_id", "location__code", "on_hand", "allocated"):
        out.setdefault(item_id, []).append((loc, code, max(on_hand - allocated, 0)))
    return out


def queue_decisions(item_location_ids: list[int]) -> dict[int, object]:
    """SKU-location -> its order-at-risk task in the queue when it is decided (approved, auto-executed, posted):
    a re-promise of all its at-risk lines decided there, by a person or an automation policy."""
    decided = ("approved", "overridden", "auto_executed", "posted")
    return {
        e.item_location_id: e
        for e in PlanningException.objects.filter(
            type="order_at_risk", item_location_id__in=item_location_ids, status__in=decided
        )
    }
