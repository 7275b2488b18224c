"""Exports cannot smuggle formulas into a spreadsheet."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from replenish.core.exports import csv_response, safe_cell, xlsx_bytes

ATTACKS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("text", ATTACKS)
def test_dangerous_text_is_prefixed_with_a_quote(text):
    assert safe_cell(text) == "'" + text


def test_plain_values_and_numbers_are_left_alone():
    assert safe_cell("PO change") == "PO change"
    assert safe_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert safe_cell(-3) == -3
    assert safe_cell(None) == ""


def test_csv_and_xlsx_hold_the_quoted_text_not_formulas():
    rows = [[text, Decimal("-5.25")] for text in ATTACKS]
    body = csv_response(filename="x.csv", header=["comment", "value"], rows=rows).getvalue().decode()
    parsed = list(csv.reader(io.StringIO(body)))
    assert [r[0] for r in parsed[1:]] == ["'" + t for t in ATTACKS]
    assert parsed[1][1] == "-5.25"
    sheet = openpyxl.load_workbook(
        io.BytesIO(xlsx_bytes(title="t", header=["comment", "value"], rows=rows))
    ).active
    cells = [sheet.cell(row=i + 2, column=1) for i in range(len(ATTACKS))]
    # (XML stores a lone CR as LF; what matters is the leading quote)
    assert [c.value for c in cells] == ["'" + t.replace("\r", "\n") for t in ATTACKS]
    assert all(c.data_type == "s" for c in cells)
    assert sheet.cell(row=2, column=2).value == -5.25
