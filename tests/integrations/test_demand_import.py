"""Demand history: the long format and the real carparts data set in the wide monthly format."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command

from integrations.files.importers import file_import, first_monday
from integrations.models import DataQualityIssue, InboxMessage
from integrations.selectors import quality_flags_for
from replenish import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
CARPARTS = Path(__file__).resolve().parent.parent / "fixtures" / "carparts-half.csv"


def test_first_monday_of_a_month():
    assert first_monday(1998, 1) == date(1998, 1, 5)  # 1 Jan 1998 was a Thursday
    assert first_monday(2001, 10) == date(2001, 10, 1)  # 1 Oct 2001 was a Monday
    assert first_monday(2002, 3) == date(2002, 3, 4)


@pytest.mark.slow  # measured over 5 s
def test_carparts_wide_monthly_import_creates_flagged_items_and_stores_months_at_first_mondays():
    # independent expectations, read with the csv module
    with CARPARTS.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    parts = header[1:]
    nonzero = sum(1 for row in body for cell in row[1:] if cell.strip() and float(cell) != 0)
    column = parts.index("21029664") + 1
    part_total = sum(int(float(row[column])) for row in body if row[column].strip())
    first_seen = next(row[0] for row in body if row[column].strip())

    message = file_import(
        kind="demand",
        data=CARPARTS.read_bytes(),
        filename="carparts-half.csv",
        options={"format": "wide-monthly", "location": "CARPARTS", "create_missing": True},
    )

    assert message.status == InboxMessage.Status.APPLIED, (message.reason, message.errors[:3])
    assert len(parts) == 1337 and len(body) == 51
    assert m.Item.objects.count() == 1337
    assert m.ItemLocation.objects.filter(location__code="CARPARTS").count() == 1337
    assert m.DemandHistory.objects.count() == nonzero
    item = m.Item.objects.get(sku="21029664")
    assert item.attributes["created_by_import"] == "carparts-half.csv"
    assert item.attributes["demand_period"] == "month"
    il = m.ItemLocation.objects.get(item=item)
    assert sum(il.demand_history.values_list("quantity", flat=True)) == part_total
    assert il.history_start == first_monday(int(first_seen[:4]), int(first_seen[5:7]))
    periods = set(m.DemandHistory.objects.values_list("period_start", flat=True))
    assert periods <= {first_monday(int(r[0][:4]), int(r[0][5:7])) for r in body}
    assert all(p.weekday() == 0 and p.day <= 7 for p in periods)
    # created items have no cost yet: each is a zero-cost issue, which keeps it out of auto-execution
    assert DataQualityIssue.objects.filter(code="zero_cost", status="open").count() == 1337
    assert quality_flags_for([il.pk]) == {il.pk: ["zero_cost"]}
    assert message.summary["items_created"] == 1337 and message.summary["sku_locations_created"] == 1337

    again = file_import(
        kind="demand",
        data=CARPARTS.read_bytes(),
        filename="carparts-half.csv",
        options={"format": "wide-monthly", "location": "CARPARTS", "create_missing": True},
    )
    assert again.pk == message.pk and again.replays == 1


def test_wide_monthly_without_create_missing_names_the_unknown_part_columns():
    f.location(code="CP")
    f.item(sku="P-1")
    data = b"month,P-1,P-2\n2020-01,1,2\n2020-13,0,1\n2020-03,1.5,=A1\n"

    message = file_import(kind="demand", data=data, options={"format": "wide-monthly", "location": "CP"})

    assert message.status == InboxMessage.Status.REJECTED
    found = {(e.get("cell"), e["message"]) for e in message.errors}
    assert ("C1", "unknown SKU 'P-2' (use --create-missing to create it)") in found
    assert ("A3", "is not a month (YYYY-MM)") in found
    assert ("B4", "is not a whole number of units") in found
    assert ("C4", "holds a formula or formula-like text; formulas are never evaluated") in found
    assert not m.DemandHistory.objects.exists()


def test_long_demand_rows_of_one_week_are_duplicates_and_zeros_remove_rows():
    il = f.item_location(
        location=f.location(code="L1"), item=f.item(sku="S1"), history_start=date(2024, 1, 8)
    )
    m.DemandHistory.objects.create(item_location=il, period_start=date(2024, 1, 8), quantity=9)

    clash = file_import(
        kind="demand", data=b"sku,location,period,quantity\nS1,L1,2024-01-02,4\nS1,L1,2024-01-04,1\n"
    )
    assert clash.status == InboxMessage.Status.REJECTED
    assert "falls in the week of 2024-01-01, like 2024-01-02 in row 2" in clash.errors[0]["message"]

    ok = file_import(
        kind="demand", data=b"sku,location,period,quantity\nS1,L1,2024-01-02,4\nS1,L1,2024-01-09,0\n"
    )

    assert ok.status == InboxMessage.Status.APPLIED
    assert list(il.demand_history.values_list("period_start", "quantity")) == [(date(2024, 1, 1), 4)]
    il.refresh_from_db()
    assert il.history_start == date(2024, 1, 1)  # older history arrived: the start moves earlier


def test_import_file_command_with_the_wide_monthly_option(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    path.write_text("month,X1,X2\n2021-01,3,\n2021-02,0,2\n")

    call_command(
        "import_file", "demand", str(path), "--format", "wide-monthly", "--location", "W1", "--create-missing"
    )

    out = capsys.readouterr().out
    assert "applied" in out and "items_created: 2" in out
    assert sorted(
        m.DemandHistory.objects.values_list("item_location__item__sku", "period_start", "quantity")
    ) == [("X1", date(2021, 1, 4), 3), ("X2", date(2021, 2, 1), 2)]
    assert m.ItemLocation.objects.get(item__sku="X2").history_start == date(2021, 2, 1)
