"""Outbound X12 on the Django side: control numbers, 997 and TA1 acknowledgements of what we received, 850 purchase
orders.

Control numbers come from `EdiControlCounter` rows incremented under a row lock inside the caller's transaction,
so two workers never write the same ISA13/GS06 and a rolled-back document gives its number back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from replenish.models import Item, Location, Supplier, SupplierItem

from . import conf
from .edi import EdiError, EdiGenerationError, Party
from .edi.interchange_ack import generate_ta1, ta1_envelope, ta1_verdict
from .edi.x12 import (
    Envelope,
    FunctionalGroup,
    Interchange,
    OutboundPurchaseOrder,
    OutboundPurchaseOrderLine,
    generate_850,
    generate_997,
    reply_envelope,
)
from .models import EdiControlCounter, EdiDocument, InboxMessage, OutboxMessage

logger = logging.getLogger(__name__)
MAX_CONTROL = 999_999_999


def next_control_number(name: str) -> int:
    """The next number of counter `name` (1 .. 999,999,999, then 1 again); call inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("control numbers are drawn inside the transaction that stores the document")
    counter = EdiControlCounter.objects.select_for_update().filter(name=name).first()
    if counter is None:
        EdiControlCounter.objects.get_or_create(name=name)
        counter = EdiControlCounter.objects.select_for_update().get(name=name)
    counter.value = counter.value % MAX_CONTROL + 1
    counter.save(update_fields=["value"])
    return counter.value


def acknowledge_group(
    *,
    interchange: Interchange,
    group: FunctionalGroup,
    message: InboxMessage,
    application_errors: Mapping[str, Sequence[EdiError]] | None = None,
) -> EdiDocument | str:
    """Write and store the 997 for one received functional group, once its sets were applied (a set the
    application refused is reported R); returns the document, or why none was written."""
    if group.functional_id_code == "FA":
        return "a 997 is not acknowledged with another 997"
    try:
        envelope = reply_envelope(
            interchange,
            group,
            interchange_control_number=next_control_number("isa"),
            group_control_number=next_control_number("gs"),
            transaction_set_control_number=next_control_number("st"),
            created_at=timezone.localtime(),
        )
        text = generate_997(group, envelope, application_errors=application_errors)
    except EdiGenerationError as exc:
        return f"no 997 could be written for the group at segment {group.position}: {exc}"
    status = text.split("AK9*", 1)[1][:1] if "AK9*" in text else ""
    return EdiDocument.objects.create(
        direction=EdiDocument.Direction.OUTBOUND,
        transaction_set_id="997",
        partner=f"{interchange.sender_qualifier}:{interchange.sender_id}",
        interchange_control_number=str(envelope.interchange_control_number),
        group_control_number=str(envelope.group_control_number),
        reference=group.control_number,
        status=status,
        text=text,
        message=message,
    )


def ta1_wanted(interchange: Interchange, *, duplicate: bool = False) -> bool:
    """Whether the DISTOPS_EDI_TA1 policy answers this interchange with a TA1."""
    policy = conf.edi_ta1()
    if policy == "never":
        return False
    broken = duplicate or any(e.is_error for e in interchange.errors)
    return policy == "always" or interchange.acknowledgment_requested or (policy == "errors" and broken)


def acknowledge_interchange(
    *, interchange: Interchange, message: InboxMessage, duplicate: bool = False
) -> EdiDocument | str | None:
    """Write and store the TA1 for one received interchange when the policy asks for one (None otherwise)."""
    if not ta1_wanted(interchange, duplicate=duplicate):
        return None
    try:
        envelope = ta1_envelope(
            interchange,
            interchange_control_number=next_control_number("isa"),
            created_at=timezone.localtime(),
        )
        text = generate_ta1(interchange, envelope, duplicate=duplicate)
    except EdiGenerationError as exc:
        return f"no TA1 could be written for interchange {interchange.control_number}: {exc}"
    status, _code = ta1_verdict(interchange, duplicate=duplicate)
    return EdiDocument.objects.create(
        direction=EdiDocument.Direction.OUTBOUND,
        transaction_set_id="TA1",
        partner=f"{interchange.sender_qualifier}:{interchange.sender_id}",
        interchange_control_number=str(envelope.interchange_control_number),
        group_control_number="",
        reference=interchange.control_number[:80],
        status=status,
        text=text,
        message=message,
    )


def purchase_order_850(*, message: OutboxMessage, po_number: str) -> EdiDocument | None:
    """The 850 for an approved create_po posting, when the supplier trades by EDI (None otherwise)."""
    payload = message.payload
    supplier = _supplier(payload)
    if supplier is None or not supplier.edi_interchange_id:
        return None
    lines = payload.get("lines") or [payload]
    items = {}
    outbound_lines = []
    for n, line in enumerate(lines, start=1):
        item = _item(line)
        if item is None:
            raise EdiGenerationError(f"create_po {message.idempotency_key} line {n} names no known item")
        items[item.pk] = item
        part = (
            SupplierItem.objects.filter(supplier=supplier, item=item)
            .values_list("supplier_part_number", "purchase_uom", "pack_size", "unit_cost")
            .first()
        )
        quantity = Decimal(str(line.get("quantity", 0)))
        uom = "EA" if part is None else part[1]
        if part is not None and part[1] != item.base_uom and part[2] > 1:
            quantity = quantity / part[2]  # the supplier sells in packs
        due = line.get("due_date") or line.get("date") or payload.get("due_date")
        outbound_lines.append(
            OutboundPurchaseOrderLine(
                line_ref=str(n),
                quantity=quantity,
                uom=uom,
                unit_price=Decimal(str(line["unit_cost"]))
                if line.get("unit_cost") is not None
                else (part[3] if part else None),
                buyer_part=item.sku,
                vendor_part=part[0] if part else None,
                requested_delivery=date.fromisoformat(str(due)[:10]) if due else None,
                price_basis="PE",
            )
        )
    location = _location(payload)
    qualifier, sender = conf.edi_sender()
    envelope = Envelope(
        sender_qualifier=qualifier,
        sender_id=sender,
        receiver_qualifier=supplier.edi_qualifier or "ZZ",
        receiver_id=supplier.edi_interchange_id,
        interchange_control_number=next_control_number("isa"),
        group_control_number=next_control_number("gs"),
        transaction_set_control_number=next_control_number("st"),
        created_at=timezone.localtime(),
        application_receiver_code=supplier.edi_group_id or None,
    )

    order = OutboundPurchaseOrder(
        po_number=po_number[:22],
        po_date=timezone.localdate(),
        lines=outbound_lines,
        currency=supplier.currency,
        parties=[Party("ST", location.name, "92", location.code)] if location else [],
    )
    text = generate_850(order, envelope)
    return EdiDocument.objects.create(
        direction=EdiDocument.Direction.OUTBOUND,
        transaction_set_id="850",
        partner=f"{supplier.edi_qualifier or 'ZZ'}:{supplier.edi_interchange_id}",
        interchange_control_number=str(envelope.interchange_control_number),
        group_control_number=str(envelope.group_control_number),
        reference=po_number,
        status="generated",
        text=text,
        outbox=message,
    )


def _supplier(payload: dict) -> Supplier | None:
    if payload.get("supplier_id"):
        return Supplier.objects.filter(pk=payload["supplier_id"]).first()
    if payload.get("supplier"):
        return Supplier.objects.filter(code=payload["supplier"]).first()
    return None


def _item(line: dict) -> Item | None:
    if line.get("item_id"):
        return Item.objects.filter(pk=line["item_id"]).first()
    if line.get("sku"):
        return Item.objects.filter(sku=line["sku"]).first()
    if line.get("item_location_id"):
        return Item.objects.filter(item_locations__pk=line["item_location_id"]).first()
    return None


def _location(payload: dict) -> Location | None:
    if payload.get("location_id"):
        return Location.objects.filter(pk=payload["location_id"]).first()
    if payload.get("location"):
        return Location.objects.filter(code=payload["location"]).first()
    if payload.get("item_location_id"):
        return Location.objects.filter(item_locations__pk=payload["item_location_id"]).first()
    return None
