"""997 functional acknowledgement parser (for 997s our partners send back, and to check our own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .common import header_segment, pseudo_segment, read_count
from .documents import ElementNote, FunctionalAcknowledgement, SegmentNote, SetAcknowledgement
from .elements import Segment, SetReader
from .errors import AK304_OUT_OF_ORDER, AK403_INVALID_CHARACTER, ErrorCode

SET_STATUSES = frozenset({"A", "E", "M", "R", "W", "X"})  # AK501
GROUP_STATUSES = frozenset({"A", "E", "M", "P", "R", "W", "X"})  # AK901


@dataclass
class _SetNote:
    ak2: Segment
    segment_notes: list[SegmentNote] = field(default_factory=list)
    ak5: Segment | None = None
    status: str | None = None
    codes: list[str] = field(default_factory=list)


def _out_of_order(r: SetReader, segment: Segment, detail: str) -> None:
    r.scope.report(
        ErrorCode.SEGMENT_OUT_OF_ORDER, detail, segment=segment, segment_syntax_code=AK304_OUT_OF_ORDER
    )


def _read_ak4(segment: Segment, r: SetReader) -> ElementNote | None:
    position_text = r.text(segment, 1, required=True)
    code = r.text(segment, 3, required=True)
    if position_text is None or code is None:
        return None
    pieces = position_text.split(r.delimiters.component)
    if not all(p.isdigit() for p in pieces) or len(pieces) > 2:
        r.element_error(
            ErrorCode.NUMBER_INVALID,
            segment,
            1,
            f"'{position_text}' is not an element position (n or n{r.delimiters.component}m)",
            AK403_INVALID_CHARACTER,
        )
        return None
    return ElementNote(
        position=int(pieces[0]),
        component_position=int(pieces[1]) if len(pieces) == 2 else None,
        reference_number=r.text(segment, 2),
        error_code=code,
        bad_value=r.text(segment, 4),
    )


def _open_loop(segment: Segment, r: SetReader, notes: list[_SetNote], current: _SetNote | None) -> None:
    if current is not None:
        r.missing_segment(pseudo_segment("AK5", segment), "the previous AK2 loop has no AK5")
    r.text(segment, 1, required=True)
    r.text(segment, 2, required=True)
    notes.append(_SetNote(segment))


def _read_ak3(segment: Segment, r: SetReader, current: _SetNote | None) -> None:
    if current is None:
        _out_of_order(r, segment, "AK3 must be inside an AK2 loop, before its AK5")
        return
    segment_id = r.text(segment, 1, required=True)
    position = read_count(segment, r, 2)
    if segment_id is not None and position is not None:
        current.segment_notes.append(
            SegmentNote(segment_id, position, r.text(segment, 3), r.text(segment, 4), [])
        )


def _read_ak4_in_loop(segment: Segment, r: SetReader, current: _SetNote | None) -> None:
    if current is None or not current.segment_notes:
        _out_of_order(r, segment, "AK4 must follow an AK3")
        return
    note = _read_ak4(segment, r)
    if note is not None:
        current.segment_notes[-1].elements.append(note)


def _close_loop(segment: Segment, r: SetReader, current: _SetNote | None) -> None:
    if current is None:
        _out_of_order(r, segment, "AK5 must close an AK2 loop")
        return
    current.ak5 = segment
    current.status = r.code(segment, 1, SET_STATUSES, required=True, what="AK501 status")
    current.codes = [v for v in segment.elements[1:6] if v]


def _read_loops(body: list[Segment], r: SetReader) -> tuple[list[_SetNote], Segment | None]:
    """The AK2 loops (AK2, AK3, AK4, AK5) and the AK9."""
    notes: list[_SetNote] = []
    ak9: Segment | None = None
    for segment in body[1:]:
        sid = segment.id
        current = notes[-1] if notes and notes[-1].ak5 is None else None
        if sid == "AK2":
            _open_loop(segment, r, notes, current)
        elif sid == "AK3":
            _read_ak3(segment, r, current)
        elif sid == "AK4":
            _read_ak4_in_loop(segment, r, current)
        elif sid == "AK5":
            _close_loop(segment, r, current)
        elif sid == "AK9":
            if current is not None:
                r.missing_segment(pseudo_segment("AK5", segment), "the last AK2 loop has no AK5")
            ak9 = segment
    return notes, ak9


def parse_997(body: list[Segment], r: SetReader) -> FunctionalAcknowledgement | None:
    ak1 = header_segment(body, "AK1", r)
    if ak1 is None:
        return None
    functional_id = r.text(ak1, 1, required=True)
    group_control = r.text(ak1, 2, required=True)
    notes, ak9 = _read_loops(body, r)
    if ak9 is None:
        r.missing_segment(pseudo_segment("AK9", body[-1], after=True), "the mandatory AK9 segment is missing")
        return None
    group_status = r.code(ak9, 1, GROUP_STATUSES, required=True, what="AK901 status")
    included = read_count(ak9, r, 2)
    received = read_count(ak9, r, 3)
    accepted = read_count(ak9, r, 4)
    if r.scope.has_errors:
        return None
    return FunctionalAcknowledgement(
        functional_id_code=functional_id or "",
        group_control_number=group_control or "",
        sets=[
            SetAcknowledgement(
                transaction_set_id=note.ak2.get(1),
                control_number=note.ak2.get(2),
                status=note.status or "",
                error_codes=note.codes,
                segment_notes=note.segment_notes,
            )
            for note in notes
        ],
        group_status=group_status or "",
        sets_included=included or 0,
        sets_received=received or 0,
        sets_accepted=accepted or 0,
        group_error_codes=[v for v in ak9.elements[4:9] if v],
    )
