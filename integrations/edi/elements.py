"""Segments, delimiters, error locations and strict element value parsing (dates, times, numbers, codes)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation

from .errors import (
    AK304_DATA_ELEMENT_ERRORS,
    AK304_MANDATORY_SEGMENT_MISSING,
    AK403_INVALID_CHARACTER,
    AK403_INVALID_CODE,
    AK403_INVALID_DATE,
    AK403_INVALID_TIME,
    AK403_MANDATORY_MISSING,
    EdiError,
    ErrorCode,
    Severity,
)


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None  # ISA11 from version 00402 on; None before

    def all(self) -> tuple[str, ...]:
        return tuple(d for d in (self.element, self.component, self.segment, self.repetition) if d)


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    elements: tuple[str, ...]  # elements[0] is XX01
    position: int  # 1-based index in the file, ISA = 1
    offset: int  # character offset of the segment in the decoded file

    def get(self, n: int) -> str:
        """Element XXnn (1-based) as written, '' when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def ref(self, n: int) -> str:
        return f"{self.id}{n:02d}"


SEGMENT_ID_RE = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_DECIMAL_RE = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)\Z")
_DIGITS_RE = re.compile(r"\d+\Z")


@dataclass(slots=True)
class Scope:
    """Where we are (control numbers, start of the transaction set) and the errors found there."""

    interchange_control_number: str | None = None
    group_control_number: str | None = None
    transaction_set_control_number: str | None = None
    transaction_set_id: str | None = None
    set_start_position: int | None = None  # file position of the ST segment
    errors: list[EdiError] = field(default_factory=list)

    def child(self, **kwargs: str | int | None) -> Scope:
        """A nested scope (group inside interchange, set inside group) with its own error list."""
        return dataclasses.replace(self, errors=[], **kwargs)  # type: ignore[arg-type]

    def position_in_set(self, segment: Segment | None) -> int | None:
        if segment is None or self.set_start_position is None:
            return None
        return segment.position - self.set_start_position + 1

    def where(
        self,
        segment: Segment | None = None,
        element: int | None = None,
        component: int | None = None,
        *,
        missing: bool = False,
    ) -> str:
        parts = []
        if self.interchange_control_number is not None:
            parts.append(f"Interchange {self.interchange_control_number}")
        if self.group_control_number is not None:
            parts.append(f"functional group {self.group_control_number}")
        if self.transaction_set_control_number is not None:
            kind = f" ({self.transaction_set_id})" if self.transaction_set_id else ""
            parts.append(f"transaction set {self.transaction_set_control_number}{kind}")
        text = ", ".join(parts) if parts else "File"
        if segment is not None:
            placed = "expected at" if missing else "at"
            text += f": segment {segment.id or '(empty)'} {placed} position {segment.position} in the file"
            in_set = self.position_in_set(segment)
            if in_set is not None:
                text += f" ({in_set} in the transaction set)"
            if element is not None:
                text += f", element {segment.id}{element:02d}"
                if component is not None:
                    text += f" component {component}"
        return text

    def report(
        self,
        code: ErrorCode,
        detail: str,
        *,
        segment: Segment | None = None,
        element: int | None = None,
        component: int | None = None,
        value: str | None = None,
        severity: Severity = Severity.ERROR,
        segment_syntax_code: str | None = None,
        element_syntax_code: str | None = None,
        set_syntax_code: str | None = None,
        group_syntax_code: str | None = None,
        missing: bool = False,
    ) -> EdiError:
        error = EdiError(
            code=code,
            message=f"{self.where(segment, element, component, missing=missing)}: {detail}.",
            severity=severity,
            interchange_control_number=self.interchange_control_number,
            group_control_number=self.group_control_number,
            transaction_set_control_number=self.transaction_set_control_number,
            transaction_set_id=self.transaction_set_id,
            segment_id=segment.id if segment is not None else None,
            segment_position=segment.position if segment is not None else None,
            segment_position_in_set=self.position_in_set(segment),
            element_position=element,
            component_position=component,
            element_value=value,
            segment_syntax_code=segment_syntax_code,
            element_syntax_code=element_syntax_code,
            set_syntax_code=set_syntax_code,
            group_syntax_code=group_syntax_code,
        )
        self.errors.append(error)
        return error

    @property
    def has_errors(self) -> bool:
        return any(e.is_error for e in self.errors)


def parse_date_text(text: str) -> date | None:
    """CCYYMMDD, or YYMMDD with the POSIX century window (69-99 -> 19xx, 00-68 -> 20xx); None if invalid."""
    if not _DIGITS_RE.match(text) or len(text) not in (6, 8):
        return None
    if len(text) == 8:
        year = int(text[:4])
        rest = text[4:]
    else:
        yy = int(text[:2])
        year = 1900 + yy if yy >= 69 else 2000 + yy
        rest = text[2:]
    try:
        return date(year, int(rest[:2]), int(rest[2:]))
    except ValueError:
        return None


def parse_time_text(text: str) -> time | None:
    """HHMM, HHMMSS, HHMMSSD or HHMMSSDD (decimal seconds); None if invalid."""
    if not _DIGITS_RE.match(text) or not 4 <= len(text) <= 8 or len(text) == 5:
        return None
    hour, minute = int(text[:2]), int(text[2:4])
    second = int(text[4:6]) if len(text) >= 6 else 0
    fraction = text[6:]
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    try:
        return time(hour, minute, second, micro)
    except ValueError:
        return None


class SetReader:
    """Strict element readers for one transaction set; every problem is reported to the scope."""

    def __init__(self, scope: Scope, delimiters: Delimiters) -> None:
        self.scope = scope
        self.delimiters = delimiters

    # -- reporting helpers -------------------------------------------------------------------------------------
    def element_error(
        self,
        code: ErrorCode,
        segment: Segment,
        n: int,
        detail: str,
        ak403: str,
        *,
        severity: Severity = Severity.ERROR,
    ) -> None:
        value = segment.get(n)
        # a warning is no syntax error: the 997 notes the segment (AK3 without code) but gives no AK304/AK403
        is_error = severity is Severity.ERROR
        self.scope.report(
            code,
            detail,
            segment=segment,
            element=n,
            value=value or None,
            severity=severity,
            segment_syntax_code=AK304_DATA_ELEMENT_ERRORS if is_error else None,
            element_syntax_code=ak403 if is_error else None,
        )

    def missing_segment(self, anchor: Segment, detail: str) -> None:
        """`anchor` is a stand-in carrying the missing segment's id and the position where it was expected."""
        self.scope.report(
            ErrorCode.SEGMENT_MISSING,
            detail,
            segment=anchor,
            segment_syntax_code=AK304_MANDATORY_SEGMENT_MISSING,
            missing=True,
        )

    # -- readers -----------------------------------------------------------------------------------------------
    def text(self, segment: Segment, n: int, *, required: bool = False) -> str | None:
        value = segment.get(n)
        if value == "":
            if required:
                self.element_error(
                    ErrorCode.ELEMENT_MISSING,
                    segment,
                    n,
                    f"the mandatory element {segment.ref(n)} is empty or missing",
                    AK403_MANDATORY_MISSING,
                )
            return None
        return value

    def first_component(self, segment: Segment, n: int, *, required: bool = False) -> str | None:
        value = self.text(segment, n, required=required)
        if value is None:
            return None
        return value.split(self.delimiters.component)[0] or None

    def date(self, segment: Segment, n: int, *, required: bool = False) -> date | None:
        raw = self.text(segment, n, required=required)
        if raw is None:
            return None
        parsed = parse_date_text(raw)
        if parsed is None:
            self.element_error(
                ErrorCode.DATE_INVALID,
                segment,
                n,
                f"'{raw}' is not a valid date (expected CCYYMMDD or YYMMDD)",
                AK403_INVALID_DATE,
            )
        return parsed

    def time(self, segment: Segment, n: int, *, required: bool = False) -> time | None:
        raw = self.text(segment, n, required=required)
        if raw is None:
            return None
        parsed = parse_time_text(raw)
        if parsed is None:
            self.element_error(
                ErrorCode.TIME_INVALID,
                segment,
                n,
                f"'{raw}' is not a valid time (expected HHMM, HHMMSS or HHMMSSD..)",
                AK403_INVALID_TIME,
            )
        return parsed

    def decimal(
        self,
        segment: Segment,
        n: int,
        *,
        required: bool = False,
        allow_negative: bool = False,
        what: str = "number",
    ) -> Decimal | None:
        raw = self.text(segment, n, required=required)
        if raw is None:
            return None
        if not _DECIMAL_RE.match(raw):
            self.element_error(
                ErrorCode.NUMBER_INVALID,
                segment,
                n,
                f"'{raw}' is not a valid {what} (digits with an optional sign and decimal point)",
                AK403_INVALID_CHARACTER,
            )
            return None
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the regex already guarantees a valid literal
            return None
        if value < 0 and not allow_negative:
            self.element_error(
                ErrorCode.NUMBER_NEGATIVE,
                segment,
                n,
                f"the {what} {raw} is negative, which is not allowed here",
                AK403_INVALID_CHARACTER,
            )
            return None
        return value

    def code(
        self,
        segment: Segment,
        n: int,
        allowed: Collection[str],
        *,
        required: bool = False,
        what: str = "code",
    ) -> str | None:
        raw = self.text(segment, n, required=required)
        if raw is None:
            return None
        if raw not in allowed:
            self.element_error(
                ErrorCode.CODE_INVALID,
                segment,
                n,
                f"'{raw}' is not a known {what} (expected one of {', '.join(sorted(allowed))})",
                AK403_INVALID_CODE,
            )
            return None
        return raw

    def qualified_ids(self, segment: Segment, first: int, last: int) -> dict[str, str]:
        """Pairs qualifier/identifier from element `first` to `last` (PO106/PO107 .. LIN30/LIN31)."""
        result: dict[str, str] = {}
        for n in range(first, last + 1, 2):
            qualifier, value = segment.get(n), segment.get(n + 1)
            if not qualifier and not value:
                continue
            if not qualifier or not value:
                missing = n if not qualifier else n + 1
                self.element_error(
                    ErrorCode.ELEMENT_MISSING,
                    segment,
                    missing,
                    f"{segment.ref(n)}/{segment.ref(n + 1)} must be given together "
                    f"(qualifier '{qualifier}', identifier '{value}')",
                    AK403_MANDATORY_MISSING,
                )
                continue
            if qualifier in result and result[qualifier] != value:
                self.element_error(
                    ErrorCode.CONFLICTING_VALUES,
                    segment,
                    n + 1,
                    f"product qualifier {qualifier} appears twice with different identifiers "
                    f"('{result[qualifier]}' and '{value}')",
                    AK403_INVALID_CODE,
                )
                continue
            result[qualifier] = value
        return result


def add_keyed(
    reader: SetReader,
    target: dict,
    key: str,
    value: object,
    segment: Segment,
    element: int,
    what: str,
) -> None:
    """Store a qualifier-keyed value (DTM, REF); a second, different value for the same qualifier is a warning."""
    if key in target and target[key] != value:
        reader.element_error(
            ErrorCode.CONFLICTING_VALUES,
            segment,
            element,
            f"{what} qualifier {key} appears again with a different value ('{target[key]}' then '{value}'); "
            f"the first one is kept",
            AK403_INVALID_CODE,
            severity=Severity.WARNING,
        )
        return
    target[key] = value
