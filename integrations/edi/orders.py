"""850 purchase order and 855 purchase order acknowledgement parsers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .common import (
    PartyReader,
    check_line_count,
    header_segment,
    read_count,
    read_dtm,
    read_po4,
    read_ref,
)
from .documents import (
    AcknowledgedLine,
    LineAcknowledgement,
    PackInfo,
    PurchaseOrder,
    PurchaseOrderAcknowledgement,
    PurchaseOrderLine,
)
from .elements import Segment, SetReader, add_keyed
from .errors import AK304_OUT_OF_ORDER, AK403_MANDATORY_MISSING, ErrorCode

# X12 element 587 (BAK02)
ACKNOWLEDGMENT_TYPES = frozenset(
    {"AC", "AD", "AE", "AH", "AK", "AP", "AT", "NA", "RD", "RF", "RJ", "RN", "RO", "RV", "ZZ"}
)
# X12 element 668 (ACK01)
LINE_ITEM_STATUSES = frozenset(
    {
        "AA", "AC", "AR", "BP", "DR", "IA", "IB", "IC", "ID", "IE", "IF", "IH", "IP", "IQ", "IR", "IS", "IW",
        "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "SP",
    }
)  # fmt: skip


@dataclass
class _Line:
    po1: Segment
    line_ref: str | None
    quantity: Decimal | None
    uom: str | None
    unit_price: Decimal | None
    price_basis: str | None
    part_numbers: dict[str, str]
    description: str | None = None
    dates: dict[str, date] = field(default_factory=dict)
    pack: PackInfo | None = None
    acks: list[LineAcknowledgement] = field(default_factory=list)


@dataclass
class _OrderBody:
    dates: dict[str, date] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)
    lines: list[_Line] = field(default_factory=list)
    ctt: Segment | None = None
    declared_line_count: int | None = None


def _read_po1(segment: Segment, r: SetReader) -> _Line:
    quantity = r.decimal(segment, 2, required=True, what="quantity")
    uom = r.text(segment, 3, required=True)
    parts = r.qualified_ids(segment, 6, 24)
    if not parts and not any(segment.get(n) for n in range(6, 26)):
        r.element_error(
            ErrorCode.ELEMENT_MISSING,
            segment,
            6,
            "the line has no product identifier (PO106/PO107)",
            AK403_MANDATORY_MISSING,
        )
    return _Line(
        po1=segment,
        line_ref=r.text(segment, 1),
        quantity=quantity,
        uom=uom,
        unit_price=r.decimal(segment, 4, what="unit price"),
        price_basis=r.text(segment, 5),
        part_numbers=parts,
    )


def _read_ack(segment: Segment, r: SetReader) -> LineAcknowledgement:
    status = r.code(segment, 1, LINE_ITEM_STATUSES, required=True, what="line item status code")
    quantity = r.decimal(segment, 2, what="quantity")
    uom = r.text(segment, 3, required=quantity is not None)
    qualifier = r.text(segment, 4)
    ack_date = r.date(segment, 5, required=qualifier is not None)
    if ack_date is not None and qualifier is None:
        r.text(segment, 4, required=True)  # ACK05 needs its qualifier ACK04
    return LineAcknowledgement(
        status=status or "", quantity=quantity, uom=uom, date_qualifier=qualifier, date=ack_date
    )


def _read_order_body(
    body: list[Segment], r: SetReader, parties: PartyReader, *, with_acks: bool
) -> _OrderBody:
    result = _OrderBody()
    line: _Line | None = None
    summary = False
    for segment in body:
        sid = segment.id
        if sid == "PO1":
            line = _read_po1(segment, r)
            result.lines.append(line)
            continue
        if sid == "CTT":
            result.ctt = segment
            result.declared_line_count = read_count(segment, r)
            line, summary = None, True
            continue
        if sid == "AMT":
            qualifier = r.text(segment, 1, required=True)
            amount = r.decimal(segment, 2, required=True, allow_negative=True, what="amount")
            if qualifier is not None and amount is not None:
                add_keyed(r, result.amounts, qualifier, amount, segment, 2, "AMT")
            continue
        if sid == "ACK":
            if not with_acks:
                continue
            if line is None:
                r.scope.report(
                    ErrorCode.SEGMENT_OUT_OF_ORDER,
                    "ACK must follow the PO1 line it acknowledges",
                    segment=segment,
                    segment_syntax_code=AK304_OUT_OF_ORDER,
                )
                continue
            line.acks.append(_read_ack(segment, r))
            continue
        if line is None and not summary:
            if parties.feed(segment):
                continue
            if sid == "DTM":
                read_dtm(segment, r, result.dates)
            elif sid == "REF":
                read_ref(segment, r, result.references)
        elif line is not None:
            if sid == "DTM":
                read_dtm(segment, r, line.dates)
            elif sid == "PID" and segment.get(1) == "F" and line.description is None:
                line.description = r.text(segment, 5)
            elif sid == "PO4" and line.pack is None:
                line.pack = read_po4(segment, r)
    check_line_count(result.ctt, result.declared_line_count, len(result.lines), "PO1 line items", r)
    return result


def parse_850(body: list[Segment], r: SetReader) -> PurchaseOrder | None:
    beg = header_segment(body, "BEG", r)
    if beg is None:
        return None
    purpose = r.text(beg, 1, required=True)
    order_type = r.text(beg, 2, required=True)
    po_number = r.text(beg, 3, required=True)
    release = r.text(beg, 4)
    po_date = r.date(beg, 5, required=True)
    parties = PartyReader(r)
    order = _read_order_body(body[1:], r, parties, with_acks=False)
    if r.scope.has_errors or purpose is None or order_type is None or po_number is None or po_date is None:
        return None
    return PurchaseOrder(
        purpose=purpose,
        order_type=order_type,
        po_number=po_number,
        release_number=release,
        po_date=po_date,
        dates=order.dates,
        references=order.references,
        parties=parties.build(),
        lines=[
            PurchaseOrderLine(
                line_ref=line.line_ref,
                quantity=line.quantity,  # type: ignore[arg-type]  # checked: no errors
                uom=line.uom or "",
                unit_price=line.unit_price,
                price_basis=line.price_basis,
                part_numbers=line.part_numbers,
                description=line.description,
                dates=line.dates,
                pack=line.pack,
            )
            for line in order.lines
        ],
        amounts=order.amounts,
        declared_line_count=order.declared_line_count,
    )


def parse_855(body: list[Segment], r: SetReader) -> PurchaseOrderAcknowledgement | None:
    bak = header_segment(body, "BAK", r)
    if bak is None:
        return None
    purpose = r.text(bak, 1, required=True)
    ack_type = r.code(bak, 2, ACKNOWLEDGMENT_TYPES, required=True, what="acknowledgment type (BAK02)")
    po_number = r.text(bak, 3, required=True)
    po_date = r.date(bak, 4, required=True)
    release = r.text(bak, 5)
    seller_order = r.text(bak, 8)
    ack_date = r.date(bak, 9)
    parties = PartyReader(r)
    order = _read_order_body(body[1:], r, parties, with_acks=True)
    if r.scope.has_errors or purpose is None or ack_type is None or po_number is None or po_date is None:
        return None
    return PurchaseOrderAcknowledgement(
        purpose=purpose,
        acknowledgment_type=ack_type,
        po_number=po_number,
        po_date=po_date,
        release_number=release,
        seller_order_number=seller_order,
        acknowledgment_date=ack_date,
        dates=order.dates,
        references=order.references,
        parties=parties.build(),
        lines=[
            AcknowledgedLine(
                line_ref=line.line_ref,
                quantity_ordered=line.quantity,  # type: ignore[arg-type]  # checked: no errors
                uom=line.uom or "",
                unit_price=line.unit_price,
                part_numbers=line.part_numbers,
                acknowledgements=line.acks,
                dates=line.dates,
            )
            for line in order.lines
        ],
        declared_line_count=order.declared_line_count,
    )
