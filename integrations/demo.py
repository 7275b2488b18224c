"""The demo's inbound events: ASN changes that arrive through the EDI inbox like a supplier's would."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from replenish import models as m

from . import conf
from .edi.generate import Envelope
from .edi.generate_supplier import OutboundAsnLine, OutboundAsnOrder, OutboundShipNotice, generate_856
from .edi_ingest import edi_ingest
from .edi_outbound import next_control_number
from .models import InboxMessage


def demo_asn_changes(
    *, count: int = 10, slip_days: tuple[int, int] = (3, 12), seed: int = 7
) -> InboxMessage | None:
    """The demo's ASN changes through EDI: an 856 per supplier for some open POs with later arrival dates."""
    import random

    rng = random.Random(seed)
    lines = list(
        m.PurchaseOrderLine.objects.filter(status=m.PurchaseOrderLine.Status.OPEN, order__status="open")
        .exclude(order__supplier__edi_interchange_id="")
        .select_related("order__supplier", "item")
        .order_by("order__supplier__code", "order__number", "line_number")[:2000]
    )
    if not lines:
        _give_demo_suppliers_edi_ids()
        lines = list(
            m.PurchaseOrderLine.objects.filter(status=m.PurchaseOrderLine.Status.OPEN, order__status="open")
            .select_related("order__supplier", "item")
            .order_by("order__supplier__code", "order__number", "line_number")[:2000]
        )
    orders: dict[int, list[m.PurchaseOrderLine]] = {}
    for line in lines:
        orders.setdefault(line.order_id, []).append(line)
    chosen = rng.sample(sorted(orders), min(count, len(orders)))
    if not chosen:
        return None
    first = orders[chosen[0]][0].order
    supplier = first.supplier
    # One ship notice goes to one destination: the same supplier's open POs for the first PO's location.
    same_route = sorted(
        o
        for o in orders
        if orders[o][0].order.supplier_id == supplier.pk
        and orders[o][0].order.location_id == first.location_id
    )
    chosen = rng.sample(same_route, min(count, len(same_route)))
    today = timezone.localdate()
    parts = dict(
        m.SupplierItem.objects.filter(supplier=supplier).values_list("item_id", "supplier_part_number")
    )
    asn_orders = [
        OutboundAsnOrder(
            po_number=orders[o][0].order.number,
            po_date=orders[o][0].order.order_date,
            lines=[
                OutboundAsnLine(
                    line_ref=str(pl.line_number),
                    quantity=Decimal(pl.quantity_open),
                    uom=pl.item.base_uom,
                    vendor_part=parts.get(pl.item_id),
                    buyer_part=pl.item.sku,
                )
                for pl in orders[o]
                if pl.quantity_open > 0
            ],
        )
        for o in chosen
    ]
    latest = max(pl.promised_date for o in chosen for pl in orders[o])
    expected = max(latest, today) + timedelta(days=rng.randint(*slip_days))

    with transaction.atomic():
        number = next_control_number("demo-asn")
    envelope = Envelope(
        sender_qualifier=supplier.edi_qualifier or "ZZ",
        sender_id=supplier.edi_interchange_id,
        receiver_qualifier=conf.edi_sender()[0],
        receiver_id=conf.edi_sender()[1],
        interchange_control_number=number,
        group_control_number=number,
        transaction_set_control_number=number,
        created_at=timezone.localtime(),
    )
    text = generate_856(
        OutboundShipNotice(
            shipment_id=f"DEMO-ASN-{number:06d}",
            document_date=today,
            ship_date=today,
            expected_arrival=expected,
            orders=[o for o in asn_orders if o.lines],
            carrier="DEMO",
        ),
        envelope,
    )
    return edi_ingest(data=text, filename=f"demo-asn-{number}.x12")


def _give_demo_suppliers_edi_ids() -> None:
    """Demo suppliers trade by EDI with their code as interchange id (qualifier ZZ)."""
    for supplier in m.Supplier.objects.filter(edi_interchange_id=""):
        supplier.edi_qualifier, supplier.edi_interchange_id = "ZZ", supplier.code[:15]
        supplier.save(update_fields=["edi_qualifier", "edi_interchange_id", "updated_at"])
