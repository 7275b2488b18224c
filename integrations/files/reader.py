"""Read CSV and XLSX files (or JSON records) into a table of strings: nothing is converted or evaluated here.

CSV quirks handled: a UTF-8 byte-order mark, Windows-1252 text (Excel's "CSV" on Windows), the delimiter sniffed
from `, ; TAB |`, quoted fields. Cells starting with `= + - @` stay text: a formula is never evaluated (the
validator refuses one in a numeric column and names the cell). XLSX is read with openpyxl without computing
formulas (a formula cell reads as its text, "=A1*2").

Row numbers are what a spreadsheet shows: the header is row 1, the first data row is row 2 (blank lines skipped).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pandas as pd
from openpyxl.utils import get_column_letter

from .guard import HostileInput, nul_in_text, xlsx_check

SNIFF_CHARS = 64_000
DELIMITERS = ",;\t|"
EXTRA_COLUMNS = 8  # sentinel columns that catch rows longer than the header


class FileFormatError(ValueError):
    """The file as a whole cannot be read (encoding, no header, ragged rows)."""


def normalize_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


@dataclass
class RawTable:
    frame: pd.DataFrame  # every cell a str; index = the row number shown to people
    original_columns: list[str]
    origin: str = "file"  # "file" (row/cell) or "records" (record/field)
    notes: list[str] = field(default_factory=list)

    def letter(self, column: str) -> str:
        try:
            return get_column_letter(list(self.frame.columns).index(column) + 1)
        except ValueError:
            return ""

    def where(self, row: int | None, column: str | None) -> dict:
        """Where a problem is, for the validation report: row, column and spreadsheet cell."""
        place: dict = {} if self.origin == "file" else {"in": "record"}
        if row is not None:
            place["row"] = int(row)
        if column is not None:
            place["column"] = column
            if self.origin == "file" and row is not None and self.letter(column):
                place["cell"] = f"{self.letter(column)}{int(row)}"
        return place


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM removed), else Windows-1252."""
    try:
        text = data.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        encoding = "cp1252"
    return text.removeprefix("\ufeff"), encoding


def sniff_delimiter(text: str) -> str:
    sample = text[:SNIFF_CHARS]
    header = sample.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        if dialect.delimiter in header or not any(d in header for d in DELIMITERS):
            return dialect.delimiter
    except csv.Error:
        pass
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def text_check(text: str) -> None:
    """Refuse a text holding a NUL byte, naming its row and column (integrations/files/guard.py)."""
    if "\x00" in text:
        raise FileFormatError(nul_in_text(text, delimiter=sniff_delimiter(text.replace("\x00", ""))))


def read_csv_text(text: str, *, normalize: bool = True) -> RawTable:
    text = text.removeprefix("\ufeff")
    text_check(text)
    if not text.strip():
        raise FileFormatError("the file is empty: a header row naming the columns is expected on line 1")
    delimiter = sniff_delimiter(text)
    header_row = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter))
    columns = _check_header(header_row, normalize=normalize)
    names = columns + [f"__extra_{i}" for i in range(EXTRA_COLUMNS)]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            skiprows=1,
            names=names,
            index_col=False,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+), saw (\d+)", str(exc))
        detail = (
            f"line {match.group(1)} has {match.group(2)} fields but the header has {len(columns)}"
            if match
            else str(exc)
        )
        raise FileFormatError(f"the file cannot be read as CSV: {detail}") from exc
    extra = frame[names[len(columns) :]]
    long_rows = extra.ne("").any(axis=1).to_numpy()
    frame = frame[columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    if long_rows.any():
        first = int(frame.index[long_rows.argmax()])
        raise FileFormatError(
            f"row {first} has more fields than the header's {len(columns)} columns "
            f"({int(long_rows.sum())} such rows); is a delimiter '{delimiter}' inside an unquoted value?"
        )
    frame = frame.astype(object)
    notes = [] if delimiter == "," else [f"delimiter '{delimiter}' detected"]
    return RawTable(frame=frame, original_columns=header_row, notes=notes)


def read_csv_bytes(data: bytes, *, normalize: bool = True) -> RawTable:
    text, encoding = decode_text(data)
    text_check(text)
    table = read_csv_text(text, normalize=normalize)
    if encoding != "utf-8":
        table.notes.append("the file is not UTF-8: read as Windows-1252")
    return table


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    text = getattr(value, "text", None)  # openpyxl ArrayFormula / DataTableFormula
    if isinstance(text, str):
        return text if text.startswith("=") else f"={text}"
    return str(value)


def read_xlsx_bytes(data: bytes, *, sheet: str | None = None, normalize: bool = True) -> RawTable:
    from openpyxl import load_workbook

    try:
        xlsx_check(data)  # sizes, ratios, shared strings, DOCTYPEs: before openpyxl inflates anything
    except HostileInput as refused:
        raise FileFormatError(str(refused)) from refused
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise FileFormatError(
            f"the file is not a readable XLSX workbook ({type(exc).__name__}: {exc})"
        ) from exc
    try:
        worksheet = workbook[sheet] if sheet and sheet in workbook.sheetnames else workbook.worksheets[0]
        rows_iter = worksheet.iter_rows(values_only=True)
        header = None
        header_row_number = 0
        for number, row in enumerate(rows_iter, start=1):
            if any(v not in (None, "") for v in row):
                header, header_row_number = [_cell_text(v) for v in row], number
                break
        if header is None:
            raise FileFormatError("the first sheet is empty: a header row naming the columns is expected")
        while header and header[-1] == "":
            header.pop()
        columns = _check_header(header, normalize=normalize)
        width = len(columns)
        rows, numbers = [], []
        for number, row in enumerate(rows_iter, start=header_row_number + 1):
            cells = [_cell_text(v) for v in row]
            if not any(cells):
                continue
            if any(cells[width:]):
                raise FileFormatError(
                    f"row {number} has values right of the last named column {header[-1]!r}"
                )
            cells = (cells + [""] * width)[:width]
            rows.append(cells)
            numbers.append(number)
    finally:
        workbook.close()
    frame = pd.DataFrame(rows, columns=columns, index=numbers, dtype=object)
    if not rows:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return RawTable(frame=frame, original_columns=header, notes=[f"sheet '{worksheet.title}'"])


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))


def read_file_bytes(data: bytes, filename: str = "", *, normalize: bool = True) -> RawTable:
    if is_xlsx(data, filename):
        return read_xlsx_bytes(data, normalize=normalize)
    return read_csv_bytes(data, normalize=normalize)


def records_table(records: list[dict]) -> RawTable:
    """JSON records (ERP pages, webhook events) as a table: record n is 'row' n (1-based)."""
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileFormatError("'data' must be a list of JSON objects")
    columns: list[str] = []
    for record in records:
        for key in record:
            name = "external_id" if key == "id" else normalize_header(str(key))
            if name not in columns:
                columns.append(name)
    rows = []
    for record in records:
        normalized = {
            ("external_id" if k == "id" else normalize_header(str(k))): v for k, v in record.items()
        }
        rows.append([_json_text(normalized.get(c)) for c in columns])
    frame = pd.DataFrame(rows, columns=columns, index=range(1, len(rows) + 1), dtype=object)
    return RawTable(frame=frame, original_columns=columns, origin="records")


def _json_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_header(header: list[str], *, normalize: bool) -> list[str]:
    columns = [normalize_header(h) if normalize else h.strip() for h in header]
    for index, (raw, name) in enumerate(zip(header, columns), start=1):
        if not name:
            raise FileFormatError(
                f"column {get_column_letter(index)} of the header row has no name ({raw!r}); every column needs one"
            )
    seen: dict[str, int] = {}
    for index, name in enumerate(columns, start=1):
        if name in seen:
            raise FileFormatError(
                f"the header names column '{name}' twice (columns {get_column_letter(seen[name])} and "
                f"{get_column_letter(index)})"
            )
        seen[name] = index
    return columns
