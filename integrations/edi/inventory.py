"""846 inventory inquiry/advice parser."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .common import (
    PartyReader,
    check_line_count,
    header_segment,
    pseudo_segment,
    read_count,
    read_dtm,
)
from .documents import InventoryAdvice, InventoryRecord
from .elements import Segment, SetReader
from .errors import AK304_OUT_OF_ORDER, ErrorCode


@dataclass
class _Item:
    lin: Segment
    line_ref: str | None
    part_numbers: dict[str, str]
    quantities: list[tuple[str, Decimal, str | None]] = field(default_factory=list)
    date_qualifier: str | None = None
    date: date | None = None
    qty_seen: int = 0


def _read_lin(segment: Segment, r: SetReader) -> _Item:
    parts = r.qualified_ids(segment, 2, 30)
    if not parts and not segment.get(2) and not segment.get(3):
        r.text(segment, 2, required=True)
    return _Item(segment, r.text(segment, 1), parts)


def _read_header_segment(
    segment: Segment, r: SetReader, parties: PartyReader, dates: dict[str, date]
) -> None:
    """A segment before the first LIN: a party, a date, or a QTY out of place."""
    if parties.feed(segment):
        return
    if segment.id == "DTM":
        read_dtm(segment, r, dates)
    elif segment.id == "QTY":
        r.scope.report(
            ErrorCode.SEGMENT_OUT_OF_ORDER,
            "QTY must follow the LIN segment of the item it counts",
            segment=segment,
            segment_syntax_code=AK304_OUT_OF_ORDER,
        )


def _read_item_segment(segment: Segment, r: SetReader, item: _Item) -> None:
    """A QTY or the first DTM of the current LIN item."""
    if segment.id == "QTY":
        item.qty_seen += 1
        qualifier = r.text(segment, 1, required=True)
        quantity = r.decimal(segment, 2, required=True, what="quantity")
        uom = r.first_component(segment, 3)
        if qualifier is not None and quantity is not None:
            item.quantities.append((qualifier, quantity, uom))
    elif segment.id == "DTM" and item.date is None:
        item_dates: dict[str, date] = {}
        read_dtm(segment, r, item_dates)
        for qualifier, value in item_dates.items():
            item.date_qualifier, item.date = qualifier, value


def _records(items: list[_Item]) -> list[InventoryRecord]:
    return [
        InventoryRecord(
            line_ref=item.line_ref,
            part_numbers=item.part_numbers,
            quantity_qualifier=qualifier,
            quantity=quantity,
            uom=uom,
            date_qualifier=item.date_qualifier,
            date=item.date,
        )
        for item in items
        for qualifier, quantity, uom in item.quantities
    ]


def parse_846(body: list[Segment], r: SetReader) -> InventoryAdvice | None:
    bia = header_segment(body, "BIA", r)
    if bia is None:
        return None
    purpose = r.text(bia, 1, required=True)
    report_type = r.text(bia, 2, required=True)
    reference = r.text(bia, 3, required=True)
    report_date = r.date(bia, 4, required=True)
    report_time = r.time(bia, 5)

    dates: dict[str, date] = {}
    parties = PartyReader(r)
    items: list[_Item] = []
    ctt: Segment | None = None
    declared: int | None = None
    for segment in body[1:]:
        if segment.id == "LIN":
            items.append(_read_lin(segment, r))
        elif segment.id == "CTT":
            ctt = segment
            declared = read_count(segment, r)
        elif ctt is not None:
            continue
        elif not items:
            _read_header_segment(segment, r, parties, dates)
        else:
            _read_item_segment(segment, r, items[-1])
    for item in items:
        if item.qty_seen == 0:
            r.missing_segment(
                pseudo_segment("QTY", item.lin, after=True),
                f"the LIN at position {item.lin.position} of the file has no QTY segment",
            )
    check_line_count(ctt, declared, len(items), "LIN items", r)
    if r.scope.has_errors:
        return None
    return InventoryAdvice(
        purpose=purpose or "",
        report_type=report_type or "",
        reference=reference or "",
        report_date=report_date,  # type: ignore[arg-type]  # checked: no errors
        report_time=report_time,
        dates=dates,
        parties=parties.build(),
        records=_records(items),
        declared_line_count=declared,
    )
