"""Returns triage: the open return lines of the user's locations ranked by the value of their best disposition
(replenish.engine.returns), and the decision: posted to the ERP through the outbox (`return_disposition`) and
audited in the same transaction. A restock puts the units back on hand and fills the location's backordered lines
of the item (highest service tier, then oldest request first)."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from integrations.services import outbox_enqueue
from replenish import models as m
from replenish.core.audit import audit_record, audit_refusal
from replenish.core.errors import NotAllowed, StaleVersion
from replenish.engine import returns as engine
from replenish.returns.models import ReturnLine

from . import selectors

BACKORDERED = m.SalesOrderLine.Status.BACKORDERED


def _backorder_lines(item_ids, location_ids) -> dict[tuple[int, int], list[m.SalesOrderLine]]:
    rows = (
        m.SalesOrderLine.objects.filter(
            status=BACKORDERED, item_id__in=item_ids, order__location_id__in=location_ids
        )
        .select_related("order__customer__service_tier", "item")
        .order_by("order__customer__service_tier__rank", "requested_ship_date", "pk")
    )
    out: dict[tuple[int, int], list[m.SalesOrderLine]] = defaultdict(list)
    for row in rows:
        if row.quantity_ordered - row.quantity_shipped - row.quantity_allocated > 0:
            out[(row.item_id, row.order.location_id)].append(row)
    return out


def _backorders(lines: list[m.SalesOrderLine]) -> list[engine.Backorder]:
    return [
        engine.Backorder(
            units=x.quantity_ordered - x.quantity_shipped - x.quantity_allocated,
            unit_price=float(x.unit_price),
            unit_cost=float(x.item.unit_cost),
            penalty_per_late_line=float(x.order.customer.service_tier.penalty_per_late_line),
            penalty_rate=float(x.order.customer.service_tier.penalty_rate),
        )
        for x in lines
    ]


def _vendor_costs(item_ids) -> dict[int, float]:
    return {
        item_id: float(cost)
        for item_id, cost in m.SupplierItem.objects.filter(item_id__in=item_ids, is_primary=True).values_list(
            "item_id", "unit_cost"
        )
    }


def return_options(
    ret: ReturnLine, backorders: list[m.SalesOrderLine], vendor_cost: float | None
) -> list[dict]:
    options = engine.options(
        engine.ReturnIn(ret.quantity, ret.condition, float(ret.item.unit_cost), vendor_cost),
        _backorders(backorders),
    )
    for option in options:
        option["label"] = ReturnLine.Disposition(option["choice"]).label
    return options


def return_queue(*, user, status: str = "open") -> list[ReturnLine]:
    """The user's return lines (their locations), each with `options` (best first), ranked by the best value."""
    rows = list(
        ReturnLine.objects.filter(location__in=selectors.location_scope(user=user), status=status)
        .select_related("item", "location", "sales_order_line__order__customer")
        .order_by("received_date", "pk")[:500]
    )
    backorders = _backorder_lines({r.item_id for r in rows}, {r.location_id for r in rows})
    vendor = _vendor_costs({r.item_id for r in rows})
    for row in rows:
        row.options = return_options(
            row, backorders.get((row.item_id, row.location_id), []), vendor.get(row.item_id)
        )
        row.best = row.options[0] if row.options else None
    if status == "open":
        rows.sort(key=lambda r: (-(r.best["value"] if r.best else 0), r.pk))
    return rows


def return_decide(*, ret: ReturnLine, choice: str, actor, version: int) -> dict:
    """Decide a return's disposition (one of its allowed options), post it and audit it; a restock fills
    backorders. A stale version or an already decided line is refused."""
    if not selectors.location_scope(user=actor).filter(pk=ret.location_id).exists():
        reason = f"{ret.location.code} is not one of your locations."
        audit_refusal(
            actor=actor, action="return_decide", subject_type="return_line", subject_id=ret.pk, reason=reason
        )
        raise NotAllowed(reason)
    with transaction.atomic():
        locked = ReturnLine.objects.select_for_update().select_related("item", "location").get(pk=ret.pk)
        if locked.status != ReturnLine.Status.OPEN:
            raise NotAllowed(
                f"RMA {locked.rma}/{locked.line_number} is already decided ({locked.disposition})"
            )
        if locked.version != version:
            raise StaleVersion("this return changed since you opened it: reload and decide again")
        lines = _backorder_lines([locked.item_id], [locked.location_id]).get(
            (locked.item_id, locked.location_id), []
        )
        options = {
            o["choice"]: o
            for o in return_options(locked, lines, _vendor_costs([locked.item_id]).get(locked.item_id))
        }
        if choice not in options:
            raise NotAllowed(
                f"a {locked.get_condition_display().lower()} return can be: "
                + ", ".join(c.replace("_", " ") for c in options)
            )
        filled = _restock(locked, lines) if choice == engine.RESTOCK else []
        locked.status, locked.disposition = ReturnLine.Status.DECIDED, choice
        locked.decided_value = options[choice]["value"]
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.version += 1
        locked.save(
            update_fields=[
                "status",
                "disposition",
                "decided_value",
                "decided_by",
                "decided_at",
                "version",
                "updated_at",
            ]
        )
        il = m.ItemLocation.objects.filter(item_id=locked.item_id, location_id=locked.location_id).first()
        message = outbox_enqueue(
            kind="return_disposition",
            idempotency_key=f"return:{locked.pk}:{choice}",
            payload={
                "rma": locked.rma,
                "line": locked.line_number,
                "order_number": locked.sales_order_line.order.number,
                "item_location_id": il.pk if il else None,
                "quantity": locked.quantity,
                "condition": locked.condition,
                "disposition": choice,
                "value": str(locked.decided_value),
                "allocated_to": filled,
                "decided_by": actor.username,
            },
            subject_type="return_line",
            subject_id=locked.pk,
        )
        audit_record(
            kind="decision",
            action="return_decided",
            actor=actor,
            subject_type="return_line",
            subject_id=locked.pk,
            payload={
                "rma": f"{locked.rma}/{locked.line_number}",
                "disposition": choice,
                "value": str(locked.decided_value),
                "options": {c: o["value"] for c, o in options.items()},
                "backorders_filled": filled,
                "outbox": message.pk,
            },
        )
    return {"return": locked, "message": message, "filled": filled}


def _restock(ret: ReturnLine, lines: list[m.SalesOrderLine]) -> list[dict]:
    """The units go back on hand and fill backordered lines in order; a line fully allocated is open again."""
    left, filled = ret.quantity, []
    for line in lines:
        if left <= 0:
            break
        need = line.quantity_ordered - line.quantity_shipped - line.quantity_allocated
        take = min(left, need)
        left -= take
        line.quantity_allocated += take
        if take == need:
            line.status = m.SalesOrderLine.Status.OPEN
        line.save(update_fields=["quantity_allocated", "status", "updated_at"])
        filled.append(
            {
                "order": line.order.number,
                "line": line.line_number,
                "sales_order_line_id": line.pk,
                "units": take,
                "resolved": take == need,
            }
        )
    used = ret.quantity - left
    updated = m.ItemLocation.objects.filter(item_id=ret.item_id, location_id=ret.location_id).update(
        on_hand=F("on_hand") + ret.quantity,
        allocated=F("allocated") + used,
        backordered=Greatest(F("backordered") - used, 0),
    )
    if not updated:
        raise NotAllowed(
            f"{ret.item.sku} is not stocked at {ret.location.code}: it cannot be restocked there"
        )
    return filled
