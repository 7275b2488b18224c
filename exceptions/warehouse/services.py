"""Writers of warehouse control: every action is a command posted through the outbox (to the WMS, or to the ERP
for a transfer) and an audit event, in the same transaction; the local mirror follows where the WMS is told."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations.models import WmsTask
from integrations.services import outbox_enqueue
from replenish import models as m
from replenish.core.audit import audit_record, audit_refusal
from replenish.core.errors import NotAllowed

from . import control, selectors


def _in_scope(actor, location: m.Location, action: str) -> None:
    if not selectors.location_scope(user=actor).filter(pk=location.pk).exists():
        reason = f"{location.code} is not one of your locations."
        audit_refusal(
            actor=actor, action=action, subject_type="location", subject_id=location.pk, reason=reason
        )
        raise NotAllowed(reason)


def wave_resequence(*, location: m.Location, wave: str, actor, now: datetime | None = None) -> dict:
    """Run one pick wave first: its open pick tasks get priority 1 (others at 1 move to 2), the new sequence is
    posted to the WMS (`wms_resequence`) and audited with the value of the cut-offs it saves."""
    _in_scope(actor, location, "wave_resequence")
    before = control.control_compute(location=location, now=now)
    row = next((w for w in before.waves if w.get("wave") == wave), None)
    if row is None:
        raise NotAllowed(f"wave {wave} has no open pick task at {location.code} today or tomorrow")
    with transaction.atomic():
        tasks = list(
            WmsTask.objects.select_for_update()
            .filter(location=location, kind=WmsTask.Kind.PICK, status__in=control.OPEN_TASK)
            .order_by("pk")
        )
        for task in tasks:
            task.priority = 1 if task.wave == wave else max(task.priority, 2)
        WmsTask.objects.bulk_update(tasks, ["priority"])
        ordered = sorted(tasks, key=lambda t: (t.priority, t.due_at, t.pk))
        sequence = [t.external_id for t in ordered]
        digest = hashlib.sha256("|".join(sequence).encode()).hexdigest()[:16]
        payload = {
            "command": "resequence",
            "location": location.code,
            "wave": wave,
            "sequence": [
                {"task_id": t.external_id, "rank": n, "wave": t.wave} for n, t in enumerate(ordered, 1)
            ],
            "saves_value": str(row["saves"]),
            "saves_lines": row["saved_lines"],
            "decided_by": actor.username,
        }
        message = outbox_enqueue(
            kind="wms_resequence",
            idempotency_key=f"wms-resequence:{location.pk}:{wave}:{digest}",
            payload=payload,
            subject_type="location",
            subject_id=location.pk,
        )
        audit_record(
            kind="decision",
            action="wave_resequenced",
            actor=actor,
            subject_type="location",
            subject_id=location.pk,
            payload={
                "location": location.code,
                "wave": wave,
                "saves_value": str(row["saves"]),
                "saves_lines": row["saved_lines"],
                "outbox": message.pk,
            },
        )
    return {"message": message, "saves": row["saves"], "saved_lines": row["saved_lines"]}


def stock_pull(
    *,
    location: m.Location,
    item_id: int,
    from_location: m.Location,
    quantity: int,
    actor,
    line_id: int | None = None,
) -> dict:
    """Pull stock from another location for lines that will miss their cut-off: a transfer order posted to the ERP
    (`transfer_order`), audited. The quantity must be whole, positive and within the source's spare stock."""
    _in_scope(actor, location, "stock_pull")
    today = timezone.localdate()
    if from_location.pk == location.pk:
        raise NotAllowed("pick another location to pull from")
    if quantity <= 0:
        raise NotAllowed("the quantity to pull must be a positive whole number of units")
    spare = next(
        (
            s["spare"]
            for s in control.spare_stock(item_id=item_id, exclude_location_id=location.pk, today=today)
            if s["location"].pk == from_location.pk
        ),
        0,
    )
    if quantity > spare:
        raise NotAllowed(f"{from_location.code} can spare {spare} units of this item, not {quantity}")
    target = m.ItemLocation.objects.select_related("item").get(item_id=item_id, location=location)
    with transaction.atomic():
        key = f"stock-pull:{target.pk}:{from_location.pk}:{quantity}:{line_id or '-'}:{today}"
        message = outbox_enqueue(
            kind="transfer_order",
            idempotency_key=key,
            payload={
                "action": "transfer",
                "decision": "stock_pull",
                "item_location_id": target.pk,
                "location_id": location.pk,
                "source_location_id": from_location.pk,
                "quantity": quantity,
                "date": (today + timedelta(days=0)).isoformat(),
                "sales_order_line_id": line_id,
                "decided_by": actor.username,
            },
            subject_type="item_location",
            subject_id=target.pk,
        )
        audit_record(
            kind="decision",
            action="stock_pulled",
            actor=actor,
            subject_type="item_location",
            subject_id=target.pk,
            payload={
                "sku": target.item.sku,
                "to": location.code,
                "from": from_location.code,
                "quantity": quantity,
                "sales_order_line_id": line_id,
                "outbox": message.pk,
            },
        )
    return {"message": message}
