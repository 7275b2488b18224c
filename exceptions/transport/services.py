"""Transportation planning's actions, posted through the outbox and audited in the same transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from integrations.services import outbox_enqueue
from replenish import models as m
from replenish.core.audit import audit_record
from replenish.core.errors import NotAllowed
from replenish.engine.value import EXPEDITE, freight_one, money

from ..scoring import value_settings
from .models import FreightDecision
from .selectors import ACT_PERMISSION


@transaction.atomic
def shipment_expedite(
    *, shipment: m.Shipment, actor, requested_eta: date, reason: str = ""
) -> FreightDecision:
    """Book expedite freight for an inbound shipment to land by `requested_eta`; its cost is the expedite freight
    of the value module (flat + share of the goods), the figure the emergency-freight KPI adds up."""
    if not actor.has_perm(ACT_PERMISSION):
        raise NotAllowed("only transportation planners and managers book expedite freight")
    locked = m.Shipment.objects.select_for_update().select_related("supplier", "location").get(pk=shipment.pk)
    if locked.status != m.Shipment.Status.IN_TRANSIT:
        raise NotAllowed(
            f"shipment {locked.number} is {locked.get_status_display().lower()}: nothing to expedite"
        )
    today = timezone.localdate()
    if requested_eta < today:
        raise NotAllowed(f"the requested arrival {requested_eta} is in the past")
    if requested_eta >= locked.expected_arrival:
        raise NotAllowed(
            f"the requested arrival {requested_eta} is not earlier than the current ETA {locked.expected_arrival}"
        )
    lines = list(
        m.ShipmentLine.objects.filter(shipment=locked).select_related("po_line__order", "po_line__item")
    )
    goods = sum((Decimal(x.quantity_shipped) * x.po_line.unit_cost for x in lines), Decimal("0"))
    freight = money(freight_one(EXPEDITE, float(goods), value_settings()))
    key = f"shipment-{locked.pk}-expedite-{requested_eta}"
    payload = {
        "shipment": locked.number,
        "supplier": locked.supplier.code,
        "carrier": locked.carrier,
        "location": locked.location.code,
        "current_eta": str(locked.expected_arrival),
        "new_date": str(requested_eta),
        "freight": str(freight),
        "po_lines": [
            {
                "po_number": x.po_line.order.number,
                "line": x.po_line.line_number,
                "sku": x.po_line.item.sku,
                "quantity": x.quantity_shipped,
            }
            for x in lines
        ],
        "reason": reason[:500],
        "decided_by": actor.username,
    }
    if FreightDecision.objects.filter(outbox_key=key).exists():
        raise NotAllowed(f"expedite freight to {requested_eta} is already booked for {locked.number}")
    outbox_enqueue(
        kind="expedite_freight",
        idempotency_key=key,
        payload=payload,
        subject_type="shipment",
        subject_id=locked.pk,
    )
    decision = FreightDecision.objects.create(
        shipment=locked,
        decided_by=actor,
        freight=freight,
        goods_value=goods,
        previous_eta=locked.expected_arrival,
        requested_eta=requested_eta,
        reason=reason[:500],
        outbox_key=key,
    )
    audit_record(
        kind="decision",
        action="shipment_expedite_freight",
        actor=actor,
        subject_type="shipment",
        subject_id=locked.pk,
        payload={**payload, "freight_decision": decision.pk, "outbox": key},
    )
    return decision
