"""File imports: CSV quirks, XLSX, every kind's format, all-or-nothing, the validation report, replays."""

from __future__ import annotations

import io
from datetime import date, time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from integrations.files.importers import file_import
from integrations.models import DataQualityIssue, InboxMessage
from replenish import models as m
from replenish.core.models import AuditEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def csv_bytes(text: str, *, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + text.encode()


@pytest.fixture
def network():
    dc = f.location(code="DC1", name="Central")
    br = f.location(code="BR2", name="Branch")
    a = f.item(sku="SKU-A", unit_cost=Decimal("4.00"))
    b = f.item(sku="SKU-B", unit_cost=Decimal("7.50"))
    return {"dc": dc, "br": br, "a": a, "b": b}


# -- CSV quirks ------------------------------------------------------------------------------------------------


def test_bom_and_semicolons_are_read_like_plain_csv(network):
    data = csv_bytes("sku;location;on_hand;allocated\nSKU-A;DC1;12;3\nSKU-B;BR2;40;0\n", bom=True)

    message = file_import(kind="balances", data=data, filename="balances.csv")

    assert message.status == InboxMessage.Status.APPLIED, message.reason
    rows = dict(
        ((il.item.sku, il.location.code), (il.on_hand, il.allocated))
        for il in m.ItemLocation.objects.select_related("item", "location")
    )
    assert rows == {("SKU-A", "DC1"): (12, 3), ("SKU-B", "BR2"): (40, 0)}
    assert "delimiter ';' detected" in message.summary["notes"]


def test_windows_1252_file_is_read_and_noted(network):
    data = "sku,description,unit_cost,unit_price\nSKU-A,Café crème,4.00,6.00\n".encode("cp1252")

    message = file_import(kind="items", data=data, filename="items.csv")

    assert message.status == InboxMessage.Status.APPLIED
    assert m.Item.objects.get(sku="SKU-A").description == "Café crème"


def test_formula_in_a_text_cell_is_kept_as_text_never_evaluated(network):
    data = csv_bytes(
        'sku,description,unit_cost,unit_price\nSKU-A,"=HYPERLINK(""http://x"")",4,6\n'
        "SKU-B,@SUM(A1:A2),7.5,9\nSKU-C,+cmd,1,2\nSKU-D,-minus,1,2\n"
    )

    message = file_import(kind="items", data=data, filename="items.csv")

    assert message.status == InboxMessage.Status.APPLIED, message.reason
    descriptions = dict(m.Item.objects.values_list("sku", "description"))
    assert descriptions["SKU-A"] == '=HYPERLINK("http://x")'
    assert descriptions["SKU-B"] == "@SUM(A1:A2)"
    assert descriptions["SKU-C"] == "+cmd"
    assert descriptions["SKU-D"] == "-minus"


def test_formula_in_a_numeric_cell_is_an_error_naming_the_cell_and_nothing_is_applied(network):
    m.ItemLocation.objects.create(item=network["a"], location=network["dc"], on_hand=5, external_id="x")
    data = csv_bytes("sku,location,on_hand\nSKU-A,DC1,99\nSKU-B,DC1,=2*21\nSKU-B,BR2,@A1\n")

    message = file_import(kind="balances", data=data, filename="balances.csv")

    assert message.status == InboxMessage.Status.REJECTED
    cells = [(e.get("cell"), e["message"][:40]) for e in message.errors]
    assert cells == [
        ("C3", "holds a formula or formula-like text ('="),
        ("C4", "holds a formula or formula-like text ('@"),
    ]
    assert "cell C3" in message.reason
    assert (
        m.ItemLocation.objects.get(item=network["a"]).on_hand == 5
    )  # the valid row 2 was not applied either
    assert m.ItemLocation.objects.count() == 1


def test_duplicate_keys_name_both_rows(network):
    data = csv_bytes("sku,location,on_hand\nSKU-A,DC1,1\nSKU-B,DC1,2\nSKU-A,BR2,3\nSKU-A,DC1,4\n")

    message = file_import(kind="balances", data=data)

    assert message.status == InboxMessage.Status.REJECTED
    (problem,) = message.errors
    assert problem["row"] == 5
    assert "rows 2 and 5 have the same key" in problem["message"]
    assert "sku=SKU-A, location=DC1" in problem["message"]
    assert not m.ItemLocation.objects.exists()


def test_every_bad_value_is_reported_with_row_column_and_cell(network):
    data = csv_bytes(
        "po_number,line,supplier,location,sku,quantity,order_date,promised_date\n"
        "PO-1,1,S1,DC1,SKU-A,10,2024-02-30,2024-03-10\n"  # bad date
        "PO-1,2,S1,DC1,SKU-A,2.5,2024-03-01,2024-03-10\n"  # not a whole number
        "PO-1,3,S1,DC1,SKU-A,-4,2024-03-01,2024-03-10\n"  # negative
        "PO-1,4,S1,DC1,SKU-A,99999999999,2024-03-01,2024-03-10\n"  # absurd
        "PO-1,5,S1,DC1,SKU-A,5,2024-03-01,1899-01-01\n"  # implausible date
        "PO-1,6,S1,DC1,,5,2024-03-01,2024-03-10\n"  # missing sku
    )

    message = file_import(kind="open_purchase_orders", data=data)

    assert message.status == InboxMessage.Status.REJECTED
    found = {(e["row"], e["column"], e["cell"]): e["message"] for e in message.errors}
    assert found[(2, "order_date", "G2")] == "is not a valid date (YYYY-MM-DD)"
    assert found[(3, "quantity", "F3")] == "is not a whole number"
    assert found[(4, "quantity", "F4")] == "cannot be negative"
    assert "absurd quantity" in found[(5, "quantity", "F5")]
    assert "not a plausible date" in found[(6, "promised_date", "H6")]
    assert found[(7, "sku", "E7")] == "sku is required"
    assert not m.PurchaseOrder.objects.exists()


def test_missing_required_column_and_unknown_references(network):
    missing = file_import(kind="balances", data=csv_bytes("sku,on_hand\nSKU-A,1\n"))
    unknown = file_import(kind="balances", data=csv_bytes("sku,location,on_hand\nSKU-Z,DC1,1\nSKU-A,XX9,2\n"))

    assert missing.status == InboxMessage.Status.REJECTED
    assert "the required column 'location' is missing" in missing.errors[0]["message"]
    assert [(e["cell"], e["message"]) for e in unknown.errors] == [
        ("A2", "unknown SKU 'SKU-Z'"),
        ("B3", "unknown location 'XX9'"),
    ]


def test_a_file_with_nine_problems_of_three_kinds_is_reported_in_one_upload_sorted_by_row(network):
    # given a balance file missing a required column (structure), with four bad cells and four unknown codes
    data = csv_bytes(
        "sku,location,allocated,backordered\n"  # on_hand is required: 1 structure problem
        "SKU-Z,DC1,1,0\n"  # unknown SKU
        "SKU-A,DC1,x,0\n"  # allocated is not a number
        "SKU-A,XX9,2,-1\n"  # unknown location, backordered negative
        "SKU-Q,BR2,=1+1,0\n"  # unknown SKU, a formula
        "SKU-B,YY8,3,2.5\n"  # unknown location, not a whole number
    )
    # when it is uploaded once
    message = file_import(kind="balances", data=data)
    # then all nine problems are in the report, the header first, then row by row and column by column
    assert message.status == InboxMessage.Status.REJECTED
    found = [
        (e.get("row"), e.get("column"), e["message"].split(" (")[0].split(";")[0]) for e in message.errors
    ]
    assert found == [
        (1, "on_hand", "the required column 'on_hand' is missing"),
        (2, "sku", "unknown SKU 'SKU-Z'"),
        (3, "allocated", "is not a number"),
        (4, "location", "unknown location 'XX9'"),
        (4, "backordered", "cannot be negative"),
        (5, "sku", "unknown SKU 'SKU-Q'"),
        (5, "allocated", "holds a formula or formula-like text"),
        (6, "location", "unknown location 'YY8'"),
        (6, "backordered", "is not a whole number"),
    ]
    assert message.summary.get("problems", len(message.errors)) == 9 or len(message.errors) == 9
    assert not m.ItemLocation.objects.exists()


def test_rows_longer_than_the_header_are_refused():
    message = file_import(kind="locations", data=csv_bytes("code,name\nDC9,Nine,extra\n"))

    assert message.status == InboxMessage.Status.REJECTED
    assert "row 2 has more fields than the header's 2 columns" in message.reason


# -- XLSX ------------------------------------------------------------------------------------------------------


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_import_with_numbers_and_dates(network):
    m.Supplier.objects.create(code="ACME", name="Acme", external_id="ACME")
    data = xlsx(
        [
            ["po_number", "line", "supplier", "location", "sku", "quantity", "order_date", "promised_date"],
            ["PO-7", 1, "ACME", "DC1", "SKU-A", 24, date(2024, 3, 1), date(2024, 3, 15)],
            ["PO-7", 2, "ACME", "DC1", "SKU-B", 6.0, date(2024, 3, 1), date(2024, 3, 18)],
        ]
    )

    message = file_import(kind="open_purchase_orders", data=data, filename="pos.xlsx")

    assert message.status == InboxMessage.Status.APPLIED, message.reason
    lines = list(
        m.PurchaseOrderLine.objects.order_by("line_number").values_list(
            "line_number", "item__sku", "quantity_ordered", "promised_date", "unit_cost"
        )
    )
    assert lines == [
        (1, "SKU-A", 24, date(2024, 3, 15), Decimal("4.0000")),
        (2, "SKU-B", 6, date(2024, 3, 18), Decimal("7.5000")),
    ]  # cost defaults to the item's


def test_xlsx_formula_cell_in_a_numeric_column_names_the_cell(network):
    data = xlsx([["sku", "location", "on_hand"], ["SKU-A", "DC1", 3], ["SKU-B", "DC1", "=C2*2"]])

    message = file_import(kind="balances", data=data, filename="b.xlsx")

    assert message.status == InboxMessage.Status.REJECTED
    assert [(e["cell"], e["value"]) for e in message.errors] == [("C3", "=C2*2")]
    assert not m.ItemLocation.objects.exists()


# -- kinds ------------------------------------------------------------------------------------------------------


def test_master_data_files_in_order_build_a_network():
    files = {
        "locations": "code,name,kind,region,time_zone,shipping_cutoff\nDC1,Central,warehouse,North,America/Chicago,16:30\n",
        "suppliers": "code,name,contracted_lead_time_days,edi_qualifier,edi_interchange_id\nACME,Acme,12,ZZ,ACMEEDI\n",
        "service_tiers": "code,name,rank,fill_promise\ngold,Gold,2,0.95\n",
        "customers": "code,name,service_tier\nC1,Customer one,gold\n",
        "items": "sku,description,base_uom,unit_cost,unit_price\nSKU-1,Bolt,EA,0.25,0.40\nSKU-2,Nut,EA,0.10,0.20\n",
        "uom_conversions": "sku,uom,factor\nSKU-1,CA,12\n",
        "supplier_items": "supplier,sku,supplier_part_number,purchase_uom,pack_size,unit_cost,primary\n"
        "ACME,SKU-1,AC-1,CA,12,0.24,true\nACME,SKU-2,AC-2,EA,1,0.09,true\n",
        "balances": "sku,location,on_hand,uom\nSKU-1,DC1,2,CA\nSKU-2,DC1,7,\n",
        "open_purchase_orders": "po_number,line,supplier,location,sku,quantity,uom,order_date,promised_date\n"
        "P1,1,ACME,DC1,SKU-1,3,CA,2024-01-02,2024-01-20\n",
        "open_sales_orders": "order_number,line,customer,location,sku,quantity,order_date,requested_date\n"
        "O1,1,C1,DC1,SKU-2,5,2024-01-03,2024-01-10\n",
        "demand": "sku,location,period,quantity\nSKU-1,DC1,2024-01-03,5\nSKU-1,DC1,2024-01-10,0\n",
    }
    for kind, text in files.items():
        message = file_import(kind=kind, data=csv_bytes(text), filename=f"{kind}.csv")
        assert message.status == InboxMessage.Status.APPLIED, (kind, message.reason, message.errors)

    dc = m.Location.objects.get(code="DC1")
    assert dc.shipping_cutoff == time(16, 30) and dc.region == "North"
    bolts = m.ItemLocation.objects.get(item__sku="SKU-1", location=dc)
    assert bolts.on_hand == 24  # 2 cases of 12
    assert m.PurchaseOrderLine.objects.get().quantity_ordered == 36  # 3 cases of 12
    assert m.SupplierItem.objects.get(item__sku="SKU-1").unit_cost == Decimal("0.2400")
    assert m.SalesOrderLine.objects.get().unit_price == Decimal("0.2000")  # the item's price
    assert list(m.DemandHistory.objects.values_list("period_start", "quantity")) == [(date(2024, 1, 1), 5)]
    assert m.Customer.objects.get().service_tier.code == "gold"


def test_reimport_updates_only_the_given_columns():
    file_import(kind="locations", data=csv_bytes("code,name,region\nDC1,Central,North\n"))
    file_import(kind="locations", data=csv_bytes("code,name\nDC1,Central DC\n"))

    location = m.Location.objects.get(code="DC1")
    assert (location.name, location.region) == ("Central DC", "North")


def test_erp_external_id_renames_the_key():
    file_import(
        kind="items", data=csv_bytes("sku,description,unit_cost,unit_price,external_id\nOLD-1,X,1,2,E1\n")
    )
    file_import(
        kind="items", data=csv_bytes("sku,description,unit_cost,unit_price,external_id\nNEW-1,X,1,2,E1\n")
    )

    assert list(m.Item.objects.values_list("sku", "external_id")) == [("NEW-1", "E1")]


def test_unknown_unit_of_measure_and_fractional_conversion(network):
    m.UomConversion.objects.create(item=network["a"], uom="CA", factor=Decimal("2.5"))
    data = csv_bytes("sku,location,on_hand,uom\nSKU-A,DC1,3,CA\nSKU-B,DC1,4,PAL\n")

    message = file_import(kind="balances", data=data)

    assert message.status == InboxMessage.Status.REJECTED
    assert [(e["cell"], e["message"]) for e in message.errors] == [  # sorted by row
        ("C2", "3 CA is not a whole number of base units"),
        ("D3", "unknown unit of measure 'PAL' for SKU 'SKU-B' (no conversion to its base unit)"),
    ]


def test_two_primary_suppliers_for_one_item_name_both_rows(network):
    f.supplier(code="S1")
    f.supplier(code="S2")
    data = csv_bytes(
        "supplier,sku,supplier_part_number,unit_cost,primary\nS1,SKU-A,P1,1,true\nS2,SKU-A,P2,1,yes\n"
    )

    message = file_import(kind="supplier_items", data=data)

    assert message.status == InboxMessage.Status.REJECTED
    assert message.errors[0]["message"] == "SKU 'SKU-A' has two primary suppliers: rows 2 and 3"


def test_order_header_fields_must_agree_across_lines(network):
    f.supplier(code="S1")
    f.supplier(code="S2")
    data = csv_bytes(
        "po_number,line,supplier,location,sku,quantity,order_date,promised_date\n"
        "P1,1,S1,DC1,SKU-A,1,2024-01-01,2024-01-05\nP1,2,S2,DC1,SKU-B,1,2024-01-01,2024-01-05\n"
    )

    message = file_import(kind="open_purchase_orders", data=data)

    assert message.errors[0]["message"] == "order P1 has supplier 'S2' here but 'S1' in row 2"


# -- replays, audit, the command --------------------------------------------------------------------------------


def test_same_file_twice_is_a_replay_that_changes_nothing(network):
    data = csv_bytes("sku,location,on_hand\nSKU-A,DC1,12\n")
    first = file_import(kind="balances", data=data)
    m.ItemLocation.objects.update(on_hand=3)  # someone else changed it since

    second = file_import(kind="balances", data=data)

    assert second.pk == first.pk and second.replays == 1
    assert m.ItemLocation.objects.get().on_hand == 3
    assert InboxMessage.objects.count() == 1


def test_applied_and_rejected_imports_are_audited(network):
    ok = file_import(kind="balances", data=csv_bytes("sku,location,on_hand\nSKU-A,DC1,12\n"))
    bad = file_import(kind="balances", data=csv_bytes("sku,location,on_hand\nSKU-A,DC1,x\n"))

    events = list(AuditEvent.objects.filter(kind="ingestion").values_list("action", "subject_id"))
    assert events == [("applied", str(ok.pk)), ("rejected", str(bad.pk))]


def test_zero_cost_items_open_a_quality_issue_that_a_later_file_resolves():
    file_import(kind="items", data=csv_bytes("sku,description,unit_cost,unit_price\nSKU-Z,Free?,0,1\n"))
    issue = DataQualityIssue.objects.get()
    assert (issue.code, issue.item.sku, issue.status) == ("zero_cost", "SKU-Z", "open")

    file_import(kind="items", data=csv_bytes("sku,description,unit_cost,unit_price\nSKU-Z,Fixed,0.5,1\n"))

    issue.refresh_from_db()
    assert issue.status == "resolved"


def test_import_file_command_reports_rows_and_cells(tmp_path, network, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("sku,location,on_hand\nSKU-A,DC1,1\nSKU-A,DC1,2\n")

    with pytest.raises(CommandError):
        call_command("import_file", "balances", str(path))

    err = capsys.readouterr().err
    assert "REJECTED" in err
    assert "row 3, column sku, cell A3: duplicate key (sku=SKU-A, location=DC1): rows 2 and 3" in err


def test_formats_md_documents_every_column_of_every_kind():
    from pathlib import Path

    from integrations.files.specs import SPECS

    text = (Path(__file__).resolve().parents[2] / "integrations" / "files" / "FORMATS.md").read_text()
    missing = [
        f"{kind}.{column.name}"
        for kind, spec in SPECS.items()
        for column in spec.columns
        if f"`{column.name}`" not in text
    ]
    assert missing == []
    assert all(f"### {kind}" in text for kind in SPECS)


def test_every_format_has_a_template_to_download_that_the_importer_reads(client):
    from openpyxl import load_workbook

    from integrations.files.specs import SPECS
    from tests.integrations import factories as ff

    client.force_login(ff.user("administrator"))
    for kind, spec in SPECS.items():
        csv_file = client.get(f"/integrations/files/template/{kind}.csv")
        assert csv_file.status_code == 200 and csv_file["Content-Type"].startswith("text/csv")
        assert csv_file.content.decode().strip().split(",") == [c.name for c in spec.columns]
        book = load_workbook(io.BytesIO(client.get(f"/integrations/files/template/{kind}.xlsx").content))
        header = [cell.value for cell in book.worksheets[0][1]]
        assert header == [c.name for c in spec.columns]
        required = {cell.value for cell in book.worksheets[0][1] if cell.font.bold}
        assert required == {c.name for c in spec.columns if c.required}
        assert [row[0] for row in book["Columns"].iter_rows(min_row=2, values_only=True)] == header
        # an empty template is a valid (empty) file of its format
        assert file_import(kind=kind, data=csv_file.content).status == InboxMessage.Status.APPLIED
    assert client.get("/integrations/files/template/nope.csv").status_code == 404
    assert "file-templates" in client.get("/integrations/files/").content.decode()
