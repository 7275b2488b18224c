"""Documents a supplier sends us: 856 ship notices, 855 PO acknowledgements, 846 inventory advice.

We never send these in production; they exist for the demo (ASN changes loaded through EDI), for tests that need
X12 whose PO and part numbers match a scenario, and for the ingest benchmark. Same rules as `generate.py`: the
caller passes control numbers and times, the output is deterministic, bad input raises EdiGenerationError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from .errors import EdiGenerationError
from .generate import Envelope, _date, _interchange, _number


@dataclass(frozen=True)
class OutboundAsnLine:
    line_ref: str  # LIN01
    quantity: Decimal  # SN102
    uom: str  # SN103
    vendor_part: str | None = None  # LIN VP
    buyer_part: str | None = None  # LIN BP


@dataclass(frozen=True)
class OutboundAsnOrder:
    po_number: str  # PRF01
    lines: Sequence[OutboundAsnLine]
    po_date: date | None = None  # PRF04


@dataclass(frozen=True)
class OutboundShipNotice:
    shipment_id: str  # BSN02
    document_date: date  # BSN03
    ship_date: date  # DTM*011
    expected_arrival: date  # DTM*017
    orders: Sequence[OutboundAsnOrder]
    carrier: str | None = None  # TD503 (SCAC)
    purpose: str = "00"  # BSN01: 00 original, 05 replace, 01 cancellation
    document_time: time = time(0, 0)


def _part_ids(vendor_part: str | None, buyer_part: str | None, where: str) -> list[str]:
    ids: list[str] = []
    if vendor_part:
        ids += ["VP", vendor_part]
    if buyer_part:
        ids += ["BP", buyer_part]
    if not ids:
        raise EdiGenerationError(f"{where}: a line needs a vendor part or a buyer part number")
    return ids


def generate_856(asn: OutboundShipNotice, envelope: Envelope) -> str:
    """One 856 with the Shipment / Order / Item hierarchy (BSN05 0004)."""
    if not asn.shipment_id:
        raise EdiGenerationError("the ship notice needs a shipment id (BSN02)")
    if not asn.orders or not all(o.lines for o in asn.orders):
        raise EdiGenerationError(f"ship notice {asn.shipment_id} needs at least one order with lines")
    body: list[tuple[str, tuple[str | None, ...]]] = [("856", ())]
    body.append(
        (
            "BSN",
            (
                asn.purpose,
                asn.shipment_id,
                _date(asn.document_date),
                asn.document_time.strftime("%H%M"),
                "0004",
            ),
        )
    )
    body.append(("HL", ("1", None, "S")))
    if asn.carrier:
        body.append(("TD5", (None, "2", asn.carrier)))
    body.append(("DTM", ("011", _date(asn.ship_date))))
    body.append(("DTM", ("017", _date(asn.expected_arrival))))
    hl = 1
    for order in asn.orders:
        hl += 1
        order_hl = hl
        body.append(("HL", (str(order_hl), "1", "O")))
        body.append(("PRF", (order.po_number, None, None, _date(order.po_date) if order.po_date else None)))
        for line in order.lines:
            where = f"ship notice {asn.shipment_id} PO {order.po_number} line {line.line_ref}"
            if Decimal(line.quantity) <= 0:
                raise EdiGenerationError(f"{where}: quantity must be positive, not {line.quantity}")
            hl += 1
            body.append(("HL", (str(hl), str(order_hl), "I")))
            body.append(("LIN", (line.line_ref, *_part_ids(line.vendor_part, line.buyer_part, where))))
            body.append(("SN1", (None, _number(line.quantity, f"{where} quantity"), line.uom)))
    body.append(("CTT", (str(hl),)))
    return _interchange(envelope, "SH", body)


@dataclass(frozen=True)
class OutboundAckLine:
    line_ref: str  # PO101 (our PO line number)
    quantity_ordered: Decimal  # PO102
    uom: str  # PO103
    status: str  # ACK01: IA accepted, IC changed, IR rejected, DR date rescheduled, IQ quantity changed ...
    quantity: Decimal | None = None  # ACK02: the quantity the supplier will ship
    delivery_date: date | None = None  # ACK05 with ACK04 067 (current schedule delivery)
    unit_price: Decimal | None = None
    vendor_part: str | None = None
    buyer_part: str | None = None


@dataclass(frozen=True)
class OutboundAcknowledgement:
    po_number: str  # BAK03
    po_date: date  # BAK04
    lines: Sequence[OutboundAckLine]
    acknowledgment_type: str = "AC"  # BAK02: AC with detail and change, AD with detail, RJ rejected ...
    acknowledgment_date: date | None = None  # BAK09
    delivery_date: date | None = None  # header DTM*067
    purpose: str = "00"


def generate_855(ack: OutboundAcknowledgement, envelope: Envelope) -> str:
    body: list[tuple[str, tuple[str | None, ...]]] = [("855", ())]
    body.append(
        (
            "BAK",
            (
                ack.purpose,
                ack.acknowledgment_type,
                ack.po_number,
                _date(ack.po_date),
                None,
                None,
                None,
                None,
                _date(ack.acknowledgment_date) if ack.acknowledgment_date else None,
            ),
        )
    )
    if ack.delivery_date:
        body.append(("DTM", ("067", _date(ack.delivery_date))))
    for line in ack.lines:
        where = f"acknowledgement of PO {ack.po_number} line {line.line_ref}"
        price = _number(line.unit_price, f"{where} price") if line.unit_price is not None else None
        body.append(
            (
                "PO1",
                (
                    line.line_ref,
                    _number(line.quantity_ordered, f"{where} quantity"),
                    line.uom,
                    price,
                    None,
                    *_part_ids(line.vendor_part, line.buyer_part, where),
                ),
            )
        )
        quantity = _number(line.quantity, f"{where} quantity") if line.quantity is not None else None
        body.append(
            (
                "ACK",
                (
                    line.status,
                    quantity,
                    line.uom if quantity is not None else None,
                    "067" if line.delivery_date else None,
                    _date(line.delivery_date) if line.delivery_date else None,
                ),
            )
        )
    body.append(("CTT", (str(len(ack.lines)),)))
    return _interchange(envelope, "PR", body)


@dataclass(frozen=True)
class OutboundInventoryRecord:
    vendor_part: str
    quantity: Decimal
    uom: str = "EA"
    available_date: date | None = None  # DTM*018 in the LIN loop
    qualifier: str = "33"  # QTY01 33 = quantity available for sale


@dataclass(frozen=True)
class OutboundInventoryAdvice:
    reference: str  # BIA03
    report_date: date  # BIA04
    records: Sequence[OutboundInventoryRecord]
    supplier_name: str | None = None


def generate_846(advice: OutboundInventoryAdvice, envelope: Envelope) -> str:
    body: list[tuple[str, tuple[str | None, ...]]] = [("846", ())]
    body.append(("BIA", ("00", "DD", advice.reference, _date(advice.report_date))))
    if advice.supplier_name:
        body.append(("N1", ("SU", advice.supplier_name)))
    for n, record in enumerate(advice.records, start=1):
        body.append(("LIN", (str(n), "VP", record.vendor_part)))
        body.append(
            ("QTY", (record.qualifier, _number(record.quantity, f"846 line {n} quantity"), record.uom))
        )
        if record.available_date:
            body.append(("DTM", ("018", _date(record.available_date))))
    body.append(("CTT", (str(len(advice.records)),)))
    return _interchange(envelope, "IB", body)
