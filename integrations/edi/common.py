"""Segment readers shared by the transaction set parsers (N1 loops, DTM, REF, PO4, CTT, header checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .documents import PackInfo, Party
from .elements import Segment, SetReader, add_keyed
from .errors import AK304_OUT_OF_ORDER, AK403_INVALID_CHARACTER, ErrorCode, Severity


def pseudo_segment(segment_id: str, at: Segment, *, after: bool = False) -> Segment:
    """Stand-in for a missing mandatory segment, placed where it was expected: at `at`, or right after it."""
    return Segment(segment_id, (), at.position + (1 if after else 0), at.offset)


def header_segment(body: list[Segment], segment_id: str, r: SetReader) -> Segment | None:
    """The mandatory segment that must follow ST directly (BEG, BAK, BSN, BIA, AK1)."""
    if body and body[0].id == segment_id:
        return body[0]
    found = next((s for s in body if s.id == segment_id), None)
    if found is not None:
        r.scope.report(
            ErrorCode.SEGMENT_OUT_OF_ORDER,
            f"{segment_id} must be the first segment after ST",
            segment=found,
            segment_syntax_code=AK304_OUT_OF_ORDER,
        )
        return None
    anchor = body[0] if body else Segment("SE", (), (r.scope.set_start_position or 0) + 1, 0)
    r.missing_segment(
        pseudo_segment(segment_id, anchor),
        f"the mandatory {segment_id} segment is missing right after ST (segment {anchor.id} is there)",
    )
    return None


def read_dtm(segment: Segment, r: SetReader, target: dict[str, date]) -> None:
    qualifier = r.text(segment, 1, required=True)
    value = r.date(segment, 2, required=True)
    if qualifier is not None and value is not None:
        add_keyed(r, target, qualifier, value, segment, 2, "DTM date")


def read_ref(segment: Segment, r: SetReader, target: dict[str, str]) -> None:
    qualifier = r.text(segment, 1, required=True)
    value = r.text(segment, 2) or r.text(segment, 3)
    if value is None:
        r.text(segment, 2, required=True)  # reports REF02 missing
        return
    if qualifier is not None:
        add_keyed(r, target, qualifier, value, segment, 2, "REF")


def read_po4(segment: Segment, r: SetReader) -> PackInfo:
    return PackInfo(
        pack=r.decimal(segment, 1, what="pack"),
        size=r.decimal(segment, 2, what="pack size"),
        uom=r.text(segment, 3),
        packaging_code=r.text(segment, 4),
        gross_weight=r.decimal(segment, 6, what="weight"),
        weight_uom=r.text(segment, 7),
    )


def read_count(segment: Segment, r: SetReader, n: int = 1) -> int | None:
    value = r.decimal(segment, n, required=True, what="count")
    if value is None:
        return None
    if value != value.to_integral_value():
        r.element_error(
            ErrorCode.NUMBER_INVALID,
            segment,
            n,
            f"'{segment.get(n)}' is not a whole number",
            AK403_INVALID_CHARACTER,
        )
        return None
    return int(value)


def check_line_count(ctt: Segment | None, declared: int | None, actual: int, what: str, r: SetReader) -> None:
    """CTT01 is a control total: a mismatch is reported as a warning (the set is accepted with errors)."""
    if ctt is None or declared is None or declared == actual:
        return
    r.element_error(
        ErrorCode.COUNT_MISMATCH,
        ctt,
        1,
        f"CTT01 says {declared} but the transaction set has {actual} {what}",
        AK403_INVALID_CHARACTER,
        severity=Severity.WARNING,
    )


@dataclass
class PartyBuilder:
    entity_code: str
    name: str | None
    id_qualifier: str | None
    id: str | None
    extra_names: list[str] = field(default_factory=list)
    address_lines: list[str] = field(default_factory=list)
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    def build(self) -> Party:
        return Party(
            entity_code=self.entity_code,
            name=self.name,
            id_qualifier=self.id_qualifier,
            id=self.id,
            extra_names=list(self.extra_names),
            address_lines=list(self.address_lines),
            city=self.city,
            state=self.state,
            postal_code=self.postal_code,
            country=self.country,
        )


class PartyReader:
    """Collects N1 loops (N1 + N2/N3/N4); `feed` returns True when it consumed the segment."""

    def __init__(self, r: SetReader) -> None:
        self.r = r
        self.parties: list[PartyBuilder] = []
        self.current: PartyBuilder | None = None

    def feed(self, segment: Segment) -> bool:
        r = self.r
        if segment.id == "N1":
            entity = r.text(segment, 1, required=True) or ""
            qualifier, ident = r.text(segment, 3), r.text(segment, 4)
            if (qualifier is None) != (ident is None):
                r.text(segment, 3 if qualifier is None else 4, required=True)
            self.current = PartyBuilder(entity, r.text(segment, 2), qualifier, ident)
            self.parties.append(self.current)
            return True
        if segment.id in ("N2", "N3", "N4"):
            if self.current is None:
                r.scope.report(
                    ErrorCode.SEGMENT_OUT_OF_ORDER,
                    f"{segment.id} must follow an N1 segment",
                    segment=segment,
                    segment_syntax_code=AK304_OUT_OF_ORDER,
                )
                return True
            if segment.id == "N2":
                self.current.extra_names.extend(v for v in segment.elements[:2] if v)
            elif segment.id == "N3":
                self.current.address_lines.extend(v for v in segment.elements[:2] if v)
            else:
                self.current.city = r.text(segment, 1)
                self.current.state = r.text(segment, 2)
                self.current.postal_code = r.text(segment, 3)
                self.current.country = r.text(segment, 4)
            return True
        if segment.id != "PER":  # PER may sit inside an N1 loop
            self.current = None
        return False

    def build(self) -> list[Party]:
        return [p.build() for p in self.parties]
