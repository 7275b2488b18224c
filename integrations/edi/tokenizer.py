"""X12 tokenizer: reads the fixed-length ISA (and with it the interchange's delimiters), then segments.

Every interchange brings its own delimiters in its ISA: element separator = 4th character, repetition
separator = ISA11 (version 00402 and later), component separator = ISA16, segment terminator = the character
right after ISA16. Carriage returns and line feeds after a terminator are skipped, so files with "~\\r\\n",
"~\\n" or newline-only terminators read the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from .elements import Delimiters, Scope, Segment
from .errors import ErrorCode

ISA_LENGTH = 106
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)  # ISA01..ISA16
_LINE_BREAKS = frozenset("\r\n")


@dataclass(slots=True)
class Cursor:
    text: str
    pos: int
    position: int  # number of segments read so far in the file


def preview(text: str, start: int, length: int = 30) -> str:
    return text[start : start + length].replace("\r", "\\r").replace("\n", "\\n")


def read_isa(cursor: Cursor, file_scope: Scope) -> tuple[Segment, Delimiters] | None:
    text, start = cursor.text, cursor.pos
    chunk = text[start : start + ISA_LENGTH]
    where = f"the ISA segment at offset {start} (segment {cursor.position + 1} of the file)"
    if len(chunk) < ISA_LENGTH:
        file_scope.report(
            ErrorCode.ISA_INVALID,
            f"{where} is truncated: an ISA is exactly {ISA_LENGTH} characters long including its terminator, "
            f"but only {len(chunk)} characters remain; the file was not read further",
        )
        return None
    element = chunk[3]
    if element.isalnum() or element in _LINE_BREAKS or element == " ":
        file_scope.report(
            ErrorCode.ISA_INVALID,
            f"{where} has '{preview(element, 0)}' as its 4th character, which cannot be an element separator; "
            f"the file was not read further",
        )
        return None
    parts = ["ISA"]
    pos = start + 3
    for n, width in enumerate(ISA_WIDTHS, start=1):
        if text[pos] != element:
            file_scope.report(
                ErrorCode.ISA_INVALID,
                f"{where} is not a fixed-length ISA: '{preview(text, pos, 1)}' stands where the element "
                f"separator before ISA{n:02d} should be (offset {pos}); the file was not read further",
            )
            return None
        value_start = pos + 1
        if n < len(ISA_WIDTHS):
            pos = text.find(element, value_start, start + ISA_LENGTH)
            if pos == -1:
                file_scope.report(
                    ErrorCode.ISA_INVALID,
                    f"{where} is not a fixed-length ISA: ISA{n:02d} does not end within the "
                    f"{ISA_LENGTH} characters of an ISA; the file was not read further",
                )
                return None
        else:
            pos = value_start + width
        value = text[value_start:pos]
        if len(value) != width:
            file_scope.report(
                ErrorCode.ISA_INVALID,
                f"{where} is not a fixed-length ISA: ISA{n:02d} '{value}' has {len(value)} characters instead "
                f"of {width}; the file was not read further",
            )
            return None
        parts.append(value)
    component, terminator = chunk[104], chunk[105]
    for name, char in (("ISA16 component separator", component), ("segment terminator", terminator)):
        if char.isalnum() or char == " " or char in (element,):
            file_scope.report(
                ErrorCode.ISA_INVALID,
                f"{where} has '{preview(char, 0)}' as its {name}, which is not a usable delimiter (it is "
                f"alphanumeric, a space, or the element separator); the file was not read further",
            )
            return None
    if component == terminator:
        file_scope.report(
            ErrorCode.ISA_INVALID,
            f"{where} uses '{preview(component, 0)}' both as component separator and as segment terminator; "
            f"the file was not read further",
        )
        return None
    repetition = None
    version = parts[12]
    if version.isdigit() and version >= "00402":
        candidate = parts[11]
        if not candidate.isalnum() and candidate not in (element, component, terminator, " "):
            repetition = candidate
    delimiters = Delimiters(element=element, component=component, segment=terminator, repetition=repetition)
    cursor.position += 1
    segment = Segment("ISA", tuple(parts[1:]), cursor.position, start)
    cursor.pos = start + ISA_LENGTH
    return segment, delimiters


def next_segment(cursor: Cursor, delimiters: Delimiters) -> tuple[Segment, bool] | None:
    """Next segment and whether it was terminated; None at the end of the data."""
    text = cursor.text
    skippable = _LINE_BREAKS - {delimiters.element, delimiters.component, delimiters.repetition}
    pos = cursor.pos
    while pos < len(text) and text[pos] in skippable:
        pos += 1
    if pos >= len(text):
        cursor.pos = pos
        return None
    end = text.find(delimiters.segment, pos)
    terminated = end != -1
    if not terminated:
        raw = text[pos:]
        if not raw.strip():
            cursor.pos = len(text)
            return None
        raw = raw.rstrip("\r\n")
        end = len(text)
    else:
        raw = text[pos:end]
    parts = raw.split(delimiters.element)
    cursor.position += 1
    segment = Segment(parts[0], tuple(parts[1:]), cursor.position, pos)
    cursor.pos = end + 1 if terminated else end
    return segment, terminated


def looks_like_isa(segment: Segment, text: str) -> bool:
    start = segment.offset
    return text.startswith("ISA", start) and len(text) > start + 3 and not text[start + 3].isalnum()
