"""CSV and Excel exports that a spreadsheet cannot turn into formulas (CWE-1236, OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text starting with = + - @ tab or CR gets a leading single quote, so it is shown, never evaluated.
    Numbers stay numbers (a negative Decimal is a value, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    text = str(value)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


# Excel's last row is 1,048,576: a sheet holds the header and this many rows at most.
XLSX_MAX_ROWS = 1_048_575
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Line:
    """A file-like csv.writer target that hands back each line written (for a streamed response)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


def csv_response(*, filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> StreamingHttpResponse:
    """Streamed line by line: a large export holds one row in memory at a time, and the download starts at once."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_write(target, *, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write a one-sheet workbook to a path or binary file; returns the rows written. openpyxl's write-only mode
    keeps one row in memory; rows past Excel's limit raise ValueError (the caller narrows the export first)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([safe_cell(h) for h in header])
    written = 0
    for row in rows:
        written += 1
        if written > XLSX_MAX_ROWS:
            raise ValueError(f"An Excel sheet holds at most {XLSX_MAX_ROWS:,} rows: narrow the filter.")
        cells = []
        for value in row:
            value = safe_cell(value)
            if isinstance(value, Decimal):
                value = float(value)
            cells.append(value)
        sheet.append(cells)
    workbook.save(target)
    return written


def xlsx_bytes(*, title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.BytesIO()
    xlsx_write(buffer, title=title, header=header, rows=rows)
    return buffer.getvalue()


def xlsx_response(
    *, filename: str, title: str, header: Sequence[str], rows: Iterable[Sequence]
) -> FileResponse:
    """The workbook is written to a temporary file (in memory up to 8 MB, on disk past it), then streamed from it:
    memory stays bounded however many rows the export has."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    xlsx_write(spool, title=title, header=header, rows=rows)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
