"""Factories for the workflows tests: a small network with a tiered customer, and X12 documents from a supplier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from integrations.edi.generate import Envelope
from integrations.edi.generate_supplier import (
    OutboundAckLine,
    OutboundAcknowledgement,
    OutboundAsnLine,
    OutboundAsnOrder,
    OutboundShipNotice,
    generate_855,
    generate_856,
)
from replenish import models as m
from tests import factories as f


def today() -> date:
    return timezone.localdate()


@dataclass
class Net:
    supplier: m.Supplier
    item: m.Item
    location: m.Location
    il: m.ItemLocation
    po: m.PurchaseOrder
    po_line: m.PurchaseOrderLine
    gold: m.Customer
    standard: m.Customer


def network(*, on_hand: int = 5, inbound: int = 20, promised_in: int = 3) -> Net:
    supplier = f.supplier(
        code="ACME", edi_qualifier="ZZ", edi_interchange_id="ACME", contracted_lead_time_days=10
    )
    location = f.location(code="DC1")
    item = f.item(sku="WID-1", unit_cost=Decimal("10.00"), unit_price=Decimal("15.00"))
    il = f.item_location(item=item, location=location, on_hand=on_hand, static_min=0, static_max=50)
    po = m.PurchaseOrder.objects.create(
        external_id="PO-100",
        number="PO-100",
        supplier=supplier,
        location=location,
        order_date=today() - timedelta(days=7),
    )
    po_line = m.PurchaseOrderLine.objects.create(
        external_id="PO-100/1",
        order=po,
        line_number=1,
        item=item,
        quantity_ordered=inbound,
        unit_cost=Decimal("10.00"),
        promised_date=today() + timedelta(days=promised_in),
    )
    gold = f.customer(
        code="GOLD1",
        service_tier=f.service_tier(
            code="gold",
            name="Gold",
            rank=1,
            penalty_per_late_line=Decimal("50.00"),
            penalty_rate=Decimal("0.1000"),
        ),
    )
    standard = f.customer(code="STD1", service_tier=f.service_tier(code="std", name="Standard", rank=3))
    return Net(supplier, item, location, il, po, po_line, gold, standard)


def sales_line(
    net: Net,
    *,
    customer: m.Customer,
    quantity: int,
    requested_in: int,
    number: str,
    location: m.Location | None = None,
    item: m.Item | None = None,
    unit_price: Decimal = Decimal("15.00"),
) -> m.SalesOrderLine:
    order = m.SalesOrder.objects.create(
        external_id=number,
        number=number,
        customer=customer,
        location=location or net.location,
        order_date=today(),
    )
    return m.SalesOrderLine.objects.create(
        external_id=f"{number}/1",
        order=order,
        line_number=1,
        item=item or net.item,
        quantity_ordered=quantity,
        unit_price=unit_price,
        requested_ship_date=today() + timedelta(days=requested_in),
    )


_control = iter(range(100, 100_000))


def envelope(sender: str = "ACME") -> Envelope:
    n = next(_control)
    return Envelope(
        sender_qualifier="ZZ",
        sender_id=sender,
        receiver_qualifier="ZZ",
        receiver_id="DISTOPS",
        interchange_control_number=n,
        group_control_number=n,
        transaction_set_control_number=n,
        created_at=datetime(2026, 11, 20, 9, 30) + timedelta(minutes=n),
    )


def asn_856(
    net: Net,
    *,
    arrival_in: int,
    shipment: str = "SHIP-1",
    quantity: int | None = None,
    po_number: str | None = None,
    sku: str | None = None,
) -> str:
    return generate_856(
        OutboundShipNotice(
            shipment_id=shipment,
            document_date=today(),
            ship_date=today(),
            expected_arrival=today() + timedelta(days=arrival_in),
            orders=[
                OutboundAsnOrder(
                    po_number=po_number or net.po.number,
                    po_date=net.po.order_date,
                    lines=[
                        OutboundAsnLine(
                            line_ref="1",
                            quantity=Decimal(quantity or net.po_line.quantity_ordered),
                            uom="EA",
                            buyer_part=sku or net.item.sku,
                        )
                    ],
                )
            ],
            carrier="UPSN",
        ),
        envelope(),
    )


def ack_855(net: Net, *, delivery_in: int, status: str = "DR") -> str:
    return generate_855(
        OutboundAcknowledgement(
            po_number=net.po.number,
            po_date=net.po.order_date,
            acknowledgment_date=today(),
            lines=[
                OutboundAckLine(
                    line_ref="1",
                    quantity_ordered=Decimal(net.po_line.quantity_ordered),
                    uom="EA",
                    status=status,
                    quantity=Decimal(net.po_line.quantity_ordered),
                    delivery_date=today() + timedelta(days=delivery_in),
                    buyer_part=net.item.sku,
                )
            ],
        ),
        envelope(),
    )
