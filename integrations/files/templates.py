"""A blank file per import format, to fill in: the header row of the format (CSV), or the header row and a sheet
describing every column (Excel). The formats themselves are in specs.py (FORMATS.md for people)."""

from __future__ import annotations

import csv
import io

from .specs import SPECS
from .validate import Column, Spec

TYPE_WORDS = {
    "text": "text",
    "int": "whole number",
    "decimal": "number (dot for decimals)",
    "date": "date YYYY-MM-DD",
    "datetime": "date and time YYYY-MM-DDTHH:MM",
    "time": "time HH:MM",
    "bool": "true / false",
    "choice": "one of",
    "timezone": "time zone name",
}


def spec_of(kind: str) -> Spec:
    if kind not in SPECS:
        raise KeyError(f"unknown import format '{kind}': one of {', '.join(SPECS)}")
    return SPECS[kind]


def describe_column(column: Column) -> list[str]:
    kind = TYPE_WORDS.get(column.type, column.type)
    if column.choices:
        kind = f"{kind}: {', '.join(column.choices)}"
    if column.max_length:
        kind = f"{kind}, at most {column.max_length} characters"
    return [
        column.name,
        "required" if column.required else "optional",
        kind,
        column.default or "",
        column.help,
    ]


def template_csv(kind: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([c.name for c in spec_of(kind).columns])
    return buffer.getvalue().encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    spec = spec_of(kind)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec.kind[:31]
    sheet.append([c.name for c in spec.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=spec.column(cell.value).required)  # the required columns in bold
    guide = workbook.create_sheet("Columns")
    guide.append(["column", "required", "type", "default", "meaning"])
    for column in spec.columns:
        guide.append(describe_column(column))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
