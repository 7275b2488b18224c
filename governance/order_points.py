"""The ERP's order point (its static min/max) set to DistOps' policy: an approved reorder-point change.

ERPs replenish with order points: when the stock of an item at a warehouse falls to the minimum, order up to the
target. DistOps computes a dynamic reorder point s and order-up-to level S per SKU-location; a buyer (or manager)
who wants the ERP to follow them sends them from the SKU-location page. The change is a decision like any other:
permission by job (procurement roles, the SKU-location in the user's scope), a stale page refused, audited, and
posted through the outbox as `set_order_point` with one idempotency key per SKU-location, plan run and level, so
a double click or a retried posting changes the ERP once. When the ERP confirms, the ERP mirror (`static_min`,
`static_max`) takes the posted values; the next pull confirms them.

Rounding: the ERP holds whole units. The minimum is s rounded up (DistOps orders when the position is at or
below s, as it reads an ERP minimum), and the target is S rounded up, never below the minimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from integrations.models import OutboxMessage
from integrations.services import outbox_enqueue
from replenish import models as rm
from replenish.core.audit import audit_record, audit_refusal
from replenish.core.errors import InvalidInput, NotAllowed, StaleVersion
from replenish.core.roles import ACTION_ROLES, has_role

KIND = "set_order_point"
SUBJECT = "item_location"


@dataclass(frozen=True)
class OrderPointChange:
    """The ERP's order point now and the one the current plan asks for."""

    item_location_id: int
    plan_run_id: int
    reorder_point: float
    order_up_to: float
    erp_min: int | None
    erp_max: int | None
    new_min: int
    new_max: int

    @property
    def changes(self) -> bool:
        return (self.erp_min, self.erp_max) != (self.new_min, self.new_max)

    @property
    def idempotency_key(self) -> str:
        return f"order-point:{self.item_location_id}:run{self.plan_run_id}:{self.new_min}-{self.new_max}"


def order_point_levels(reorder_point: float, order_up_to: float) -> tuple[int, int]:
    """Whole-unit ERP minimum and target for a policy's s and S (see the module's rounding note)."""
    if not (math.isfinite(reorder_point) and math.isfinite(order_up_to)) or reorder_point < 0:
        raise InvalidInput(
            {
                "reorder_point": f"the plan has no usable reorder point (s = {reorder_point}, S = {order_up_to})"
            }
        )
    low = math.ceil(reorder_point - 1e-9)
    return low, max(low, math.ceil(order_up_to - 1e-9))


def order_point_change(item_location: rm.ItemLocation) -> OrderPointChange | None:
    """The change the current plan proposes for this SKU-location, or None without a current plan."""
    plan = (
        rm.SkuPlan.objects.filter(item_location=item_location, run__is_current=True)
        .only("run_id", "reorder_point", "order_up_to")
        .first()
    )
    if plan is None or plan.reorder_point is None or plan.order_up_to is None:
        return None
    s, big_s = float(plan.reorder_point), float(plan.order_up_to)
    if not (math.isfinite(s) and math.isfinite(big_s)) or s < 0:
        return None
    new_min, new_max = order_point_levels(s, big_s)
    return OrderPointChange(
        item_location_id=item_location.pk,
        plan_run_id=plan.run_id,
        reorder_point=s,
        order_up_to=big_s,
        erp_min=item_location.static_min,
        erp_max=item_location.static_max,
        new_min=new_min,
        new_max=new_max,
    )


def can_set_order_point(user) -> bool:
    return has_role(user, *ACTION_ROLES["order_point"])


def latest_order_point_posting(item_location: rm.ItemLocation):
    """The last order-point posting of this SKU-location (pending, posted or dead), for the page's status line."""
    return (
        OutboxMessage.objects.filter(kind=KIND, subject_type=SUBJECT, subject_id=str(item_location.pk))
        .order_by("-pk")
        .first()
    )


def order_point_send(*, actor, item_location: rm.ItemLocation, plan_run_id: int, new_min: int, new_max: int):
    """Post the current plan's s and S to the ERP as its order point; returns the outbox message.

    `plan_run_id`, `new_min` and `new_max` are what the user saw: if the plan moved since, the page was stale and
    nothing is sent (StaleVersion). The same change twice is one posting.
    """
    subject_id = item_location.pk
    if not can_set_order_point(actor):
        reason = "Setting the ERP's order point is a procurement decision: buyers and managers only."
        audit_refusal(
            actor=actor, action="order_point_send", subject_type=SUBJECT, subject_id=subject_id, reason=reason
        )
        raise NotAllowed(reason)
    change = order_point_change(item_location)
    if change is None:
        raise InvalidInput(
            {"plan": "This SKU-location has no current plan with a reorder point: run a plan refresh first."}
        )
    if (change.plan_run_id, change.new_min, change.new_max) != (plan_run_id, new_min, new_max):
        raise StaleVersion(
            f"The plan changed since the page was loaded (now run {change.plan_run_id}: min {change.new_min}, "
            f"max {change.new_max}). Reload the page and check the new levels."
        )
    if not change.changes:
        raise InvalidInput(
            {"order_point": f"The ERP's order point is already min {change.new_min}, max {change.new_max}."}
        )
    with transaction.atomic():
        message = outbox_enqueue(
            kind=KIND,
            idempotency_key=change.idempotency_key,
            payload={
                "item_location_id": subject_id,
                "min": change.new_min,
                "max": change.new_max,
                "plan_run_id": change.plan_run_id,
                "decided_by": actor.get_username(),
            },
            subject_type=SUBJECT,
            subject_id=subject_id,
        )
        audit_record(
            kind="decision",
            action="order_point_send",
            actor=actor,
            subject_type=SUBJECT,
            subject_id=subject_id,
            payload={
                "before": {"erp_min": change.erp_min, "erp_max": change.erp_max},
                "after": {"erp_min": change.new_min, "erp_max": change.new_max},
                "reorder_point": round(change.reorder_point, 3),
                "order_up_to": round(change.order_up_to, 3),
                "plan_run_id": change.plan_run_id,
                "outbox_id": message.pk,
            },
        )
    return message


def on_posting_completed(sender, message, ok: bool, outcome: dict, **kwargs) -> None:
    order_point_posted(message=message, ok=ok)


def order_point_posted(*, message, ok: bool) -> None:
    """After the ERP confirmed an order point: the ERP mirror takes the posted values (in the outcome's transaction)."""
    if not ok or message.kind != KIND or message.subject_type != SUBJECT:
        return
    payload = message.payload or {}
    updated = rm.ItemLocation.objects.filter(pk=int(message.subject_id)).update(
        static_min=int(payload["min"]), static_max=int(payload["max"]), updated_at=timezone.now()
    )
    if updated:
        audit_record(
            kind="posting",
            action="order_point_mirrored",
            actor=None,
            subject_type=SUBJECT,
            subject_id=message.subject_id,
            payload={"erp_min": int(payload["min"]), "erp_max": int(payload["max"]), "outbox_id": message.pk},
        )
