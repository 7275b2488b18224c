"""X12 envelope validation: ISA/IEA, GS/GE, ST/SE, then each transaction set handed to its content parser.

Nothing here raises on bad input: problems become `EdiError`s on the file, interchange, group or set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, time

from .elements import SEGMENT_ID_RE, Scope, Segment, SetReader, parse_date_text, parse_time_text
from .errors import (
    AK304_UNRECOGNIZED_SEGMENT,
    AK502_CONTROL_NUMBER_MISMATCH,
    AK502_INVALID_CONTROL_NUMBER,
    AK502_INVALID_SET_ID,
    AK502_NOT_SUPPORTED,
    AK502_SEGMENT_COUNT_MISMATCH,
    AK502_TRAILER_MISSING,
    AK905_CONTROL_NUMBER_MISMATCH,
    AK905_INVALID_CONTROL_NUMBER,
    AK905_SET_COUNT_MISMATCH,
    AK905_TRAILER_MISSING,
    ErrorCode,
    Severity,
)
from .results import FunctionalGroup, Interchange, ParseResult, TransactionSet
from .tokenizer import Cursor, looks_like_isa, next_segment, preview, read_isa

# ST01 -> GS01 functional identifier code
FUNCTIONAL_ID_BY_SET = {
    "810": "IN",
    "846": "IB",
    "850": "PO",
    "855": "PR",
    "856": "SH",
    "860": "PC",
    "865": "CA",
    "940": "OW",
    "945": "SW",
    "997": "FA",
}

# (body segments between ST and SE, reader) -> document, or None; problems are reported through reader.scope
ContentParser = Callable[[list[Segment], SetReader], object | None]


class _SetBuilder:
    def __init__(self, st: Segment, scope: Scope) -> None:
        self.st = st
        self.segments: list[Segment] = [st]
        self.scope = scope
        self.se: Segment | None = None


class _GroupBuilder:
    def __init__(self, gs: Segment, scope: Scope) -> None:
        self.gs = gs
        self.scope = scope
        self.sets: list[tuple[_SetBuilder, object | None]] = []
        self.ge: Segment | None = None


def _control_numbers_equal(a: str, b: str) -> bool:
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


class _InterchangeParser:
    def __init__(self, cursor: Cursor, parsers: Mapping[str, ContentParser], file_scope: Scope) -> None:
        self.cursor = cursor
        self.parsers = parsers
        self.file_scope = file_scope

    def parse(self) -> Interchange | None:
        read = read_isa(self.cursor, self.file_scope)
        if read is None:
            return None
        isa, delimiters = read
        self.delimiters = delimiters
        icn = isa.get(13)
        scope = Scope(interchange_control_number=icn)
        self.scope = scope
        isa_date, isa_time = self._check_isa(isa)
        groups: list[_GroupBuilder] = []
        group: _GroupBuilder | None = None
        current: _SetBuilder | None = None
        iea: Segment | None = None
        last: Segment = isa

        while True:
            nxt = next_segment(self.cursor, delimiters)
            if nxt is None:
                break
            seg, terminated = nxt
            if seg.id.startswith("ISA") and looks_like_isa(seg, self.cursor.text):
                # a new interchange starts before this one was closed: hand it back to the file loop
                self.cursor.pos = seg.offset
                self.cursor.position -= 1
                break
            if not terminated:
                scope.report(
                    ErrorCode.SEGMENT_UNTERMINATED,
                    f"the last segment is not followed by the segment terminator "
                    f"'{preview(delimiters.segment, 0)}'",
                    segment=seg,
                    severity=Severity.WARNING,
                )
            last = seg
            if current is not None:
                if seg.id == "SE":
                    current.segments.append(seg)
                    current.se = seg
                    assert group is not None
                    group.sets.append((current, self._close_set(current, group)))
                    current = None
                    continue
                if seg.id in ("ST", "GE", "GS", "IEA"):
                    current.scope.report(
                        ErrorCode.SE_MISSING,
                        f"the transaction set that started with ST at position {current.st.position} has no SE "
                        f"trailer: segment {seg.id} at position {seg.position} comes first",
                        segment=current.segments[-1],
                        set_syntax_code=AK502_TRAILER_MISSING,
                    )
                    assert group is not None
                    group.sets.append((current, self._close_set(current, group)))
                    current = None
                else:
                    current.segments.append(seg)
                    continue
            if group is not None:
                if seg.id == "ST":
                    current = self._open_set(seg, group)
                    continue
                if seg.id == "GE":
                    group.ge = seg
                    self._close_group(group)
                    groups.append(group)
                    group = None
                    continue
                if seg.id in ("GS", "IEA"):
                    group.scope.report(
                        ErrorCode.GE_MISSING,
                        f"the functional group has no GE trailer: segment {seg.id} at position {seg.position} "
                        f"comes first",
                        segment=seg,
                        group_syntax_code=AK905_TRAILER_MISSING,
                    )
                    self._close_group(group)
                    groups.append(group)
                    group = None
                else:
                    group.scope.report(
                        ErrorCode.SEGMENT_OUTSIDE_SET,
                        "this segment is outside any transaction set (expected ST or GE)",
                        segment=seg,
                    )
                    continue
            if seg.id == "GS":
                group = self._open_group(seg)
            elif seg.id == "IEA":
                iea = seg
                break
            elif seg.id == "TA1":
                continue  # an interchange acknowledgement travels outside any functional group
            else:
                scope.report(
                    ErrorCode.SEGMENT_OUTSIDE_GROUP,
                    "this segment is outside any functional group (expected GS or IEA)",
                    segment=seg,
                )

        if iea is None:
            reason = (
                "another ISA starts before it"
                if self.cursor.pos < len(self.cursor.text)
                else f"the file ends after segment {last.id} at position {last.position}"
            )
            if current is not None:
                current.scope.report(
                    ErrorCode.SE_MISSING,
                    f"the transaction set that started with ST at position {current.st.position} has no SE "
                    f"trailer: {reason}",
                    segment=current.segments[-1],
                    set_syntax_code=AK502_TRAILER_MISSING,
                )
                assert group is not None
                group.sets.append((current, self._close_set(current, group)))
            if group is not None:
                group.scope.report(
                    ErrorCode.GE_MISSING,
                    f"the functional group that started with GS at position {group.gs.position} has no GE "
                    f"trailer: {reason}",
                    segment=last,
                    group_syntax_code=AK905_TRAILER_MISSING,
                )
                self._close_group(group)
                groups.append(group)
            scope.report(
                ErrorCode.IEA_MISSING,
                f"the interchange has no IEA trailer (truncated file?): {reason}",
                segment=last,
            )
        declared_groups = self._check_iea(iea, isa, len(groups)) if iea is not None else None
        return self._build(isa, isa_date, isa_time, groups, declared_groups)

    # -- ISA / IEA ---------------------------------------------------------------------------------------------
    def _check_isa(self, isa: Segment) -> tuple[date | None, time | None]:
        def bad(n: int, detail: str) -> None:
            self.scope.report(ErrorCode.ISA_ELEMENT_INVALID, detail, segment=isa, element=n, value=isa.get(n))

        isa_date = parse_date_text(isa.get(9)) if len(isa.get(9)) == 6 else None
        if isa_date is None:
            bad(9, f"'{isa.get(9)}' is not a valid YYMMDD date")
        isa_time = parse_time_text(isa.get(10)) if len(isa.get(10)) == 4 else None
        if isa_time is None:
            bad(10, f"'{isa.get(10)}' is not a valid HHMM time")
        if not isa.get(12).isdigit():
            bad(12, f"'{isa.get(12)}' is not a 5-digit interchange control version number")
        if not isa.get(13).isdigit():
            bad(13, f"'{isa.get(13)}' is not a 9-digit interchange control number")
        if isa.get(14) not in ("0", "1"):
            bad(14, f"'{isa.get(14)}' is not a valid acknowledgment-requested flag (0 or 1)")
        if isa.get(15) not in ("P", "T", "I"):
            bad(15, f"'{isa.get(15)}' is not a valid usage indicator (P, T or I)")
        return isa_date, isa_time

    def _check_iea(self, iea: Segment, isa: Segment, group_count: int) -> int | None:
        declared = iea.get(1)
        declared_count = int(declared) if declared.isdigit() else None
        if declared_count != group_count:
            self.scope.report(
                ErrorCode.IEA01_MISMATCH,
                f"IEA01 says '{declared}' functional groups but the interchange contains {group_count}",
                segment=iea,
                element=1,
                value=declared,
            )
        if iea.get(2) != isa.get(13):
            self.scope.report(
                ErrorCode.IEA02_MISMATCH,
                f"IEA02 '{iea.get(2)}' does not match the interchange control number ISA13 '{isa.get(13)}'",
                segment=iea,
                element=2,
                value=iea.get(2),
            )
        return declared_count

    # -- GS / GE -----------------------------------------------------------------------------------------------
    def _open_group(self, gs: Segment) -> _GroupBuilder:
        scope = self.scope.child(group_control_number=gs.get(6))
        if not gs.get(1):
            scope.report(
                ErrorCode.GS_ELEMENT_INVALID,
                "GS01 functional identifier code is empty",
                segment=gs,
                element=1,
            )
        if parse_date_text(gs.get(4)) is None:
            scope.report(
                ErrorCode.GS_ELEMENT_INVALID,
                f"'{gs.get(4)}' is not a valid CCYYMMDD date",
                segment=gs,
                element=4,
                value=gs.get(4),
            )
        if parse_time_text(gs.get(5)) is None:
            scope.report(
                ErrorCode.GS_ELEMENT_INVALID,
                f"'{gs.get(5)}' is not a valid time",
                segment=gs,
                element=5,
                value=gs.get(5),
            )
        gcn = gs.get(6)
        if not (gcn.isdigit() and 1 <= len(gcn) <= 9):
            scope.report(
                ErrorCode.GS_ELEMENT_INVALID,
                f"'{gcn}' is not a valid group control number (1 to 9 digits)",
                segment=gs,
                element=6,
                value=gcn,
                group_syntax_code=AK905_INVALID_CONTROL_NUMBER,
            )
        return _GroupBuilder(gs, scope)

    def _close_group(self, group: _GroupBuilder) -> None:
        ge = group.ge
        if ge is None:
            return
        declared = ge.get(1)
        if not declared.isdigit() or int(declared) != len(group.sets):
            group.scope.report(
                ErrorCode.GE01_MISMATCH,
                f"GE01 says '{declared}' transaction sets but the functional group contains {len(group.sets)}",
                segment=ge,
                element=1,
                value=declared,
                group_syntax_code=AK905_SET_COUNT_MISMATCH,
            )
        if not _control_numbers_equal(ge.get(2), group.gs.get(6)):
            group.scope.report(
                ErrorCode.GE02_MISMATCH,
                f"GE02 '{ge.get(2)}' does not match the group control number GS06 '{group.gs.get(6)}'",
                segment=ge,
                element=2,
                value=ge.get(2),
                group_syntax_code=AK905_CONTROL_NUMBER_MISMATCH,
            )

    # -- ST / SE -----------------------------------------------------------------------------------------------
    def _open_set(self, st: Segment, group: _GroupBuilder) -> _SetBuilder:
        scope = group.scope.child(
            transaction_set_control_number=st.get(2),
            transaction_set_id=st.get(1),
            set_start_position=st.position,
        )
        return _SetBuilder(st, scope)

    def _close_set(self, builder: _SetBuilder, group: _GroupBuilder) -> object | None:
        scope, st, se = builder.scope, builder.st, builder.se
        set_id, control = st.get(1), st.get(2)
        if not (len(set_id) == 3 and set_id.isdigit()):
            scope.report(
                ErrorCode.ST_ELEMENT_INVALID,
                f"ST01 '{set_id}' is not a 3-digit transaction set identifier",
                segment=st,
                element=1,
                value=set_id,
                set_syntax_code=AK502_INVALID_SET_ID,
            )
        if not 4 <= len(control) <= 9:
            scope.report(
                ErrorCode.ST_ELEMENT_INVALID,
                f"ST02 '{control}' is not a valid transaction set control number (4 to 9 characters)",
                segment=st,
                element=2,
                value=control,
                set_syntax_code=AK502_INVALID_CONTROL_NUMBER,
            )
        if se is not None:
            count = se.get(1)
            if not count.isdigit() or int(count) != len(builder.segments):
                scope.report(
                    ErrorCode.SE01_MISMATCH,
                    f"SE01 says '{count}' segments but the transaction set has {len(builder.segments)} segments "
                    f"from ST to SE inclusive",
                    segment=se,
                    element=1,
                    value=count,
                    set_syntax_code=AK502_SEGMENT_COUNT_MISMATCH,
                )
            if se.get(2) != control:
                scope.report(
                    ErrorCode.SE02_MISMATCH,
                    f"SE02 '{se.get(2)}' does not match the transaction set control number ST02 '{control}'",
                    segment=se,
                    element=2,
                    value=se.get(2),
                    set_syntax_code=AK502_CONTROL_NUMBER_MISMATCH,
                )
        expected_group = FUNCTIONAL_ID_BY_SET.get(set_id)
        if expected_group is not None and group.gs.get(1) != expected_group:
            scope.report(
                ErrorCode.SET_NOT_IN_GROUP_TYPE,
                f"a {set_id} transaction set belongs in a functional group of type {expected_group}, "
                f"but GS01 is '{group.gs.get(1)}'",
                segment=st,
                element=1,
                value=set_id,
                set_syntax_code=AK502_INVALID_SET_ID,
            )
        body = builder.segments[1:-1] if se is not None else builder.segments[1:]
        for seg in body:
            if not SEGMENT_ID_RE.match(seg.id):
                scope.report(
                    ErrorCode.SEGMENT_ID_INVALID,
                    f"'{preview(seg.id, 0)}' is not a valid segment identifier",
                    segment=seg,
                    segment_syntax_code=AK304_UNRECOGNIZED_SEGMENT,
                )
        parser = self.parsers.get(set_id)
        if parser is None:
            scope.report(
                ErrorCode.SET_NOT_SUPPORTED,
                f"transaction set type {set_id} is not supported by this system",
                segment=st,
                element=1,
                value=set_id,
                set_syntax_code=AK502_NOT_SUPPORTED,
            )
            return None
        if scope.has_errors:
            return None  # envelope is broken: do not interpret the content
        document = parser(body, SetReader(scope, self.delimiters))
        return None if scope.has_errors else document

    # -- result ------------------------------------------------------------------------------------------------
    def _build(
        self,
        isa: Segment,
        isa_date: date | None,
        isa_time: time | None,
        groups: list[_GroupBuilder],
        declared_groups: int | None,
    ) -> Interchange:
        icn = isa.get(13)
        interchange_errors = tuple(self.scope.errors)
        built_groups = []
        for gb in groups:
            gs = gb.gs
            group_errors = tuple(gb.scope.errors)
            enclosing = tuple(e for e in group_errors + interchange_errors if e.is_error)
            sets = tuple(
                TransactionSet(
                    transaction_set_id=sb.st.get(1),
                    control_number=sb.st.get(2),
                    functional_id_code=gs.get(1),
                    group_control_number=gs.get(6),
                    interchange_control_number=icn,
                    segments=tuple(sb.segments),
                    delimiters=self.delimiters,
                    document=document,
                    errors=tuple(sb.scope.errors),
                    envelope_errors=enclosing,
                )
                for sb, document in gb.sets
            )
            declared = gb.ge.get(1) if gb.ge is not None else ""
            built_groups.append(
                FunctionalGroup(
                    functional_id_code=gs.get(1),
                    application_sender_code=gs.get(2),
                    application_receiver_code=gs.get(3),
                    date=parse_date_text(gs.get(4)),
                    time=parse_time_text(gs.get(5)),
                    control_number=gs.get(6),
                    responsible_agency=gs.get(7),
                    version=gs.get(8),
                    declared_set_count=int(declared) if declared.isdigit() else None,
                    transaction_sets=sets,
                    errors=group_errors,
                    interchange_control_number=icn,
                    position=gs.position,
                    interchange_errors=interchange_errors,
                )
            )
        return Interchange(
            control_number=icn,
            sender_qualifier=isa.get(5),
            sender_id=isa.get(6).rstrip(),
            receiver_qualifier=isa.get(7),
            receiver_id=isa.get(8).rstrip(),
            date=isa_date,
            time=isa_time,
            version=isa.get(12),
            acknowledgment_requested=isa.get(14) == "1",
            usage_indicator=isa.get(15),
            delimiters=self.delimiters,
            groups=tuple(built_groups),
            errors=interchange_errors,
            declared_group_count=declared_groups,
            position=isa.position,
            date_text=isa.get(9),
            time_text=isa.get(10),
        )


def parse_envelopes(
    data: str | bytes, parsers: Mapping[str, ContentParser], *, encoding: str = "utf-8"
) -> ParseResult:
    file_scope = Scope()
    if isinstance(data, bytes):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            file_scope.report(
                ErrorCode.UNDECODABLE,
                f"the file is not valid {encoding} (byte {exc.start} cannot be decoded); nothing was read",
            )
            return ParseResult((), tuple(file_scope.errors))
    else:
        text = data
    text = text.removeprefix("\ufeff")
    cursor = Cursor(text, 0, 0)
    interchanges: list[Interchange] = []
    while True:
        while cursor.pos < len(text) and text[cursor.pos].isspace():
            cursor.pos += 1
        if cursor.pos >= len(text):
            break
        if not text.startswith("ISA", cursor.pos):
            if interchanges:
                file_scope.report(
                    ErrorCode.DATA_AFTER_IEA,
                    f"after the interchange {interchanges[-1].control_number} the file continues at offset "
                    f"{cursor.pos} with '{preview(text, cursor.pos)}' where an ISA or the end of the file was "
                    f"expected; the rest of the file was not read",
                )
            elif text.startswith(("UNA", "UNB"), cursor.pos):
                file_scope.report(
                    ErrorCode.EDIFACT_NOT_SUPPORTED,
                    f"the file is UN/EDIFACT (it starts with {text[cursor.pos : cursor.pos + 3]}), not X12: "
                    f"EDIFACT interchanges are not supported, only X12 (ISA ... IEA); ask the partner for X12 "
                    f"or convert the file; nothing was read",
                )
            else:
                file_scope.report(
                    ErrorCode.ISA_MISSING,
                    f"the data at offset {cursor.pos} does not start with an ISA segment (it starts with "
                    f"'{preview(text, cursor.pos)}'); without a valid ISA the delimiters are unknown, so the "
                    f"file was not read",
                )
            break
        interchange = _InterchangeParser(cursor, parsers, file_scope).parse()
        if interchange is None:
            break
        interchanges.append(interchange)
    if not text.strip():
        file_scope.report(ErrorCode.EMPTY_FILE, "the file is empty: there is no ISA segment")
    return ParseResult(tuple(interchanges), tuple(file_scope.errors))
