"""Hostile input, refused before it costs anything (issue 13 item 7).

- An XLSX is a zip of XML parts. Before openpyxl touches it, `xlsx_check` reads the zip's directory and refuses a
  workbook whose parts declare more than DISTOPS_XLSX_MAX_UNCOMPRESSED_MB in all, a part that inflates more than
  DISTOPS_XLSX_MAX_RATIO times (a zip bomb: 1.5 MB that inflates to gigabytes), too many parts, or an XML part with
  a DOCTYPE (entity expansion); then it streams the XML parts in 1 MB chunks (bounded memory; zipfile never yields
  more than a part's declared size, and checks its CRC) counting the shared strings, refused past
  DISTOPS_XLSX_MAX_SHARED_STRINGS. Nothing is inflated whole.
- A NUL byte has no place in a CSV, an EDI file or a JSON field (PostgreSQL text cannot even store one): it is
  refused with the row and column, the segment and element, or the field that holds it.
- JSON nested deeper than Python's parser can follow is refused as such (no RecursionError).
"""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from openpyxl.utils import get_column_letter


class HostileInput(ValueError):
    """A file refused before it is read (the reader reports it as a FileFormatError of the whole file)."""


CHUNK = 1 << 20
MB = 1024 * 1024
MAX_PARTS = 10_000
RATIO_FLOOR_BYTES = MB  # parts smaller than this may compress at any ratio (tiny XML parts often do)


def _limits() -> tuple[int, float, int]:
    return (
        int(settings.DISTOPS_XLSX_MAX_UNCOMPRESSED_MB) * MB,
        float(settings.DISTOPS_XLSX_MAX_RATIO),
        int(settings.DISTOPS_XLSX_MAX_SHARED_STRINGS),
    )


def xlsx_check(data: bytes) -> None:
    """Refuse a workbook that would cost more to open than any real one does (see module docstring)."""
    max_total, max_ratio, max_strings = _limits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise HostileInput(f"the file is not a readable XLSX workbook (not a zip archive: {exc})") from exc
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise HostileInput(f"the workbook has {len(parts):,} parts; a real one has a few dozen")
        total = sum(p.file_size for p in parts)
        if total > max_total:
            raise HostileInput(
                f"the workbook inflates to {total / MB:,.0f} MB ({len(data) / MB:,.1f} MB compressed), over the "
                f"{max_total // MB:,} MB limit (DISTOPS_XLSX_MAX_UNCOMPRESSED_MB): a zip bomb, or split the file"
            )
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > RATIO_FLOOR_BYTES and ratio > max_ratio:
                raise HostileInput(
                    f"part {part.filename} of the workbook inflates {ratio:,.0f} times ({part.compress_size:,} "
                    f"bytes to {part.file_size:,}), over the {max_ratio:,.0f}x limit: refused as a zip bomb"
                )
        for part in parts:
            if part.filename.endswith((".xml", ".rels")):
                _scan_xml(archive, part, max_strings)


def _scan_xml(archive: zipfile.ZipFile, part: zipfile.ZipInfo, max_strings: int) -> None:
    shared = part.filename.endswith("sharedStrings.xml")
    strings, tail = 0, b""
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(CHUNK):
                window = tail + chunk
                if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                    raise HostileInput(
                        f"part {part.filename} of the workbook declares a DOCTYPE or entities, which a "
                        "spreadsheet never does: refused (entity expansion)"
                    )
                if shared:
                    strings += (
                        window.count(b"<si>")
                        + window.count(b"<si ")
                        - tail.count(b"<si>")
                        - tail.count(b"<si ")
                    )
                    if strings > max_strings:
                        raise HostileInput(
                            f"the workbook holds over {max_strings:,} distinct text cells (shared strings), "
                            "over the limit (DISTOPS_XLSX_MAX_SHARED_STRINGS): save it as CSV, or split it"
                        )
                tail = window[-16:]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a CRC error, a truncated part
        raise HostileInput(f"part {part.filename} of the workbook is damaged ({exc})") from exc


def nul_in_text(text: str, *, delimiter: str = ",") -> str | None:
    """Where the first NUL of a delimited text is, as a person reads it (None: there is none)."""
    at = text.find("\x00")
    if at < 0:
        return None
    row = text.count("\n", 0, at) + 1
    line_start = text.rfind("\n", 0, at) + 1
    column = text.count(delimiter, line_start, at) + 1
    header = text.split("\n", 1)[0].split(delimiter)
    name = f" ({header[column - 1].strip()!r})" if 0 < column <= len(header) and row > 1 else ""
    hint = " Is it UTF-16? Save it as CSV UTF-8." if text.count("\x00") > len(text) // 4 else ""
    return (
        f"row {row}, column {get_column_letter(column)}{name} holds a NUL byte (\\x00), which a text file "
        f"cannot carry: the file is refused.{hint}"
    )


def nul_in_edi(raw: bytes) -> str | None:
    """The segment and element holding the first NUL of an X12 file (None: there is none)."""
    at = raw.find(b"\x00")
    if at < 0:
        return None
    separator = raw[3:4] if raw[:3] == b"ISA" and len(raw) > 3 else b"*"
    terminator = raw[105:106] if raw[:3] == b"ISA" and len(raw) > 105 else b"~"
    start = raw.rfind(terminator, 0, at) + 1
    segment = raw.count(terminator, 0, at) + 1
    element = raw.count(separator, start, at)
    tag = raw[start:at].lstrip(b"\r\n").split(separator, 1)[0].decode("latin-1")[:3] or "?"
    return (
        f"segment {segment} ({tag}), element {tag}{element:02d} holds a NUL byte (\\x00), which EDI text cannot "
        "carry: the file is refused"
    )


def nul_in_json(value, path: str = "") -> str | None:
    """The path of the first JSON field (or key) holding a NUL character, e.g. data.description (None: none)."""
    if isinstance(value, str):
        return path or "(the value)" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return here
            found = nul_in_json(item, here)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_in_json(item, f"{path}[{index}]")
            if found:
                return found
    return None
