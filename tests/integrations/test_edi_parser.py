"""X12 parser tests on the public samples in tests/fixtures/edi/ (the clean ones and the deliberately broken ones).

Expected values (counts, PO numbers, quantities, control numbers, positions) were read off the sample files by
eye and, for the long 856, re-counted with grep/awk; they are literals here, never the parser's output pasted back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from integrations.edi.x12 import SetStatus, parse_x12
from tests.integrations.edi_samples import (
    CLEAN,
    CORRUPT_ISA,
    CROSSDOCK_856,
    FIXTURES,
    GROCERY_850,
    MISMATCH_940,
    SAFEWAY_850,
    SOPI_856,
    TEAM_846,
    VONS_855,
    WIDGETS_850,
    error_codes,
    fixture,
    only_set,
)

# -- the fixtures themselves ---------------------------------------------------------------------------------------


def test_every_sample_listed_in_the_readme_is_copied():
    names = {p.name for p in FIXTURES.iterdir()} - {"README.md"}
    assert names == set(CLEAN) | {CORRUPT_ISA, MISMATCH_940}


@pytest.mark.parametrize("name", CLEAN)
def test_clean_samples_parse_without_errors(name):
    result = parse_x12((FIXTURES / name).read_bytes())

    assert result.ok
    assert [e for e in result.all_errors if e.is_error] == []
    assert result.transaction_sets
    assert all(ts.is_accepted for ts in result.transaction_sets)


@pytest.mark.parametrize(
    ("name", "element", "component", "segment", "repetition", "version"),
    [
        (SAFEWAY_850, "*", ">", "~", None, "00401"),
        (GROCERY_850, "*", "^", "~", None, "00401"),
        (VONS_855, "*", ">", "~", None, "00401"),
        (SOPI_856, "*", ">", "~", "^", "00403"),
        (TEAM_846, "*", ">", "~", None, "00401"),
        (WIDGETS_850, "*", ">", "\n", None, "00400"),
        (CROSSDOCK_856, "*", ">", "\n", None, "00401"),
    ],
)
def test_delimiters_come_from_each_isa(name, element, component, segment, repetition, version):
    interchange = parse_x12(fixture(name)).interchanges[0]

    assert interchange.delimiters.element == element
    assert interchange.delimiters.component == component
    assert interchange.delimiters.segment == segment
    assert interchange.delimiters.repetition == repetition
    assert interchange.version == version


def test_safeway_850():
    result, ts = only_set(fixture(SAFEWAY_850))
    po = ts.document

    assert result.interchanges[0].control_number == "000000164"
    assert result.groups[0].control_number == "121"
    assert (ts.transaction_set_id, ts.control_number) == ("850", "00121001")
    assert po.po_number == "520981"
    assert po.po_date == date(2001, 10, 1)
    assert po.requested_delivery == date(2001, 10, 11)
    assert [p.entity_code for p in po.parties] == ["ST", "BT", "VN"]
    assert po.parties[0].city == "Calgary"
    assert po.parties[0].extra_names == ["CENTRAL GM/HBC CALGARY"]
    assert [(line.quantity, line.uom, line.unit_price) for line in po.lines] == [
        (Decimal("20"), "CA", Decimal("226.56")),
        (Decimal("100"), "CA", Decimal("2.82")),
    ]
    assert po.lines[0].part_numbers == {"UA": "006299966412", "VN": "4531", "IN": "71039103"}
    assert po.lines[1].price_basis == "PP"
    assert po.declared_line_count == 2


def test_grocery_850_with_caret_component_separator_and_wrong_ctt_count():
    _, ts = only_set(fixture(GROCERY_850))
    po = ts.document

    assert po.po_number == "2619003"
    assert [line.quantity for line in po.lines] == [Decimal(q) for q in ("26", "27", "28", "29", "30", "30")]
    assert {line.unit_price for line in po.lines} == {Decimal("21.1")}
    assert po.lines[0].part_numbers == {"UA": "004184080648", "IN": "0314281"}
    # the sample says CTT*1 for six PO1 lines: reported as a warning, the order is still accepted
    assert ts.status is SetStatus.ACCEPTED_WITH_ERRORS
    assert ts.is_accepted
    (warning,) = ts.errors
    assert str(warning.code) == "COUNT_MISMATCH"
    assert (warning.segment_id, warning.segment_position_in_set, warning.element_position) == ("CTT", 24, 1)
    assert "CTT01 says 1" in warning.message and "6 PO1" in warning.message


def test_widgets_850_with_newline_terminator_amount_matches_lines():
    _, ts = only_set(fixture(WIDGETS_850))
    po = ts.document

    assert po.po_number == "08292233294"
    assert po.po_date == date(2010, 11, 27)
    assert [line.line_ref for line in po.lines] == ["1", "2", "3", "4", "5", "6"]
    assert [line.quantity for line in po.lines] == [
        Decimal(q) for q in ("120", "220", "126", "76", "72", "696")
    ]
    assert po.lines[0].part_numbers == {"CB": "065322-117", "PR": "RO", "VN": "AB3542"}
    assert po.lines[0].description == "SMALL WIDGET"
    assert (po.lines[0].pack.pack, po.lines[0].pack.size, po.lines[0].pack.uom) == (4, 4, "EA")
    # AMT*1 in the file equals the sum of quantity x price computed by hand: 13045.94
    assert po.amounts == {"1": Decimal("13045.94")}
    assert sum(line.quantity * line.unit_price for line in po.lines) == Decimal("13045.94")


def test_vons_855_six_transaction_sets_with_crlf():
    result = parse_x12(fixture(VONS_855))
    sets = result.transaction_sets

    assert [ts.control_number for ts in sets] == ["0001", "0002", "0003", "0004", "0005", "0006"]
    assert result.groups[0].declared_set_count == 6
    acks = [ts.document for ts in sets]
    assert [a.po_number for a in acks] == ["194207", "194208", "194721", "194722", "194723", "194724"]
    assert [len(a.lines) for a in acks] == [26, 1, 1, 17, 22, 1]
    assert {a.acknowledgment_type for a in acks} == {"AP"}
    assert acks[0].po_date == date(2003, 5, 7)
    assert acks[0].dates == {"009": date(2003, 5, 7), "067": date(2003, 5, 12), "068": date(2003, 5, 9)}
    first = acks[0].lines[0]
    assert (first.quantity_ordered, first.uom, first.part_numbers) == (
        Decimal("102"),
        "CA",
        {"UA": "001119432383"},
    )
    assert first.status is None  # the sample has no ACK segments
    assert acks[1].lines[0].quantity_ordered == Decimal("22")


def test_sopi_856_with_repetition_separator():
    _, ts = only_set(fixture(SOPI_856))
    asn = ts.document

    assert asn.shipment_id == "15918861602"
    assert asn.document_date == date(2004, 8, 5)
    assert asn.hierarchical_structure == "0001"
    assert asn.ship_date is None  # no DTM*011 in this sample
    assert asn.expected_arrival == date(2004, 8, 5)  # DTM*017
    assert [o.po_number for o in asn.orders] == ["ordernumber"]
    assert asn.orders[0].po_date == date(2004, 8, 8)
    lines = asn.lines
    assert len(lines) == 58
    assert sum(line.quantity for line in lines) == Decimal("427")
    assert {line.uom for line in lines} == {"EA"}
    assert (lines[0].line_ref, lines[0].part_numbers, lines[0].quantity) == (
        "4",
        {"UP": "058824077500", "BP": "01113481"},
        Decimal("11"),
    )
    assert lines[0].sscc == "0000123456781234567892"
    assert (lines[-1].line_ref, lines[-1].part_numbers["BP"], lines[-1].quantity) == (
        "58",
        "01333109",
        Decimal("8"),
    )
    assert lines[-1].sscc == "0000123456781234567890"
    assert [p.hl_id for p in asn.packages] == ["3", "8", "11"]
    assert asn.declared_count == 58


def test_crossdock_856_two_orders():
    _, ts = only_set(fixture(CROSSDOCK_856))
    asn = ts.document

    assert asn.shipment_id == "000009"
    assert asn.ship_date == date(2009, 9, 21)
    assert asn.expected_arrival == date(2009, 9, 25)
    assert (asn.carrier, asn.carrier_qualifier, asn.routing) == ("OVNT", "2", "OVERNITE")
    assert asn.bill_of_lading == "000001"
    assert (asn.lading_quantity, asn.gross_weight, asn.weight_uom) == (Decimal("5"), Decimal("24"), "LB")
    assert [(o.po_number, len(o.lines)) for o in asn.orders] == [("POREF00", 4), ("POREF01", 1)]
    assert asn.orders[0].references == {"IV": "0000021"}
    assert [line.part_numbers for line in asn.orders[0].lines] == [
        {"UP": "0000000000642"},
        {"EN": "0000000000831"},
        {"UP": "0000000000283"},
        {"UP": "0000000000203"},
    ]
    assert {(line.quantity, line.uom) for line in asn.lines} == {(Decimal("12"), "EA")}
    assert asn.orders[1].lines[0].sscc == "00000715670002152111"
    assert [p.sscc for p in asn.packages] == [
        "00000715670002152360",
        "00000715670002152377",
        "00000715670002152384",
        "00000715670002152391",
        "00000715670002152111",
    ]
    assert asn.declared_count == 13


def test_team_846_availability_records():
    result, ts = only_set(fixture(TEAM_846))
    advice = ts.document

    assert result.interchanges[0].control_number == "846000233"
    assert (result.interchanges[0].sender_qualifier, result.interchanges[0].sender_id) == ("12", "3058843131")
    assert (advice.purpose, advice.report_type, advice.report_date) == ("00", "DD", date(2012, 9, 11))
    assert [(p.entity_code, p.name) for p in advice.parties] == [("SU", "TEAM INTERNATIONAL GROUP")]
    records = advice.records
    assert [r.part_numbers["VP"] for r in records] == [
        "AS 27222",
        "AS 29091 AZ",
        "AS 29091 R",
        "BL 16909",
        "BL 16911 AZ",
        "BL 16911 MY",
        "BL 16911 R",
        "BL 24088 L",
    ]
    assert [r.quantity for r in records] == [
        Decimal(q) for q in ("386", "0", "10", "353", "216", "184", "274", "0")
    ]
    assert {(r.quantity_qualifier, r.uom) for r in records} == {("33", "EA")}


# -- the deliberately broken samples -------------------------------------------------------------------------------


def test_control_number_mismatch_sample_names_all_three_mismatches():
    result = parse_x12(fixture(MISMATCH_940))
    interchange = result.interchanges[0]
    group = interchange.groups[0]
    ts = group.transaction_sets[0]

    (iea_error,) = interchange.errors
    assert str(iea_error.code) == "IEA02_MISMATCH"
    assert (iea_error.segment_id, iea_error.segment_position, iea_error.element_position) == ("IEA", 9, 2)
    assert iea_error.interchange_control_number == "000003438"
    assert "'000003439'" in iea_error.message and "'000003438'" in iea_error.message

    (ge_error,) = group.errors
    assert str(ge_error.code) == "GE02_MISMATCH"
    assert (ge_error.segment_id, ge_error.segment_position) == ("GE", 8)
    assert (ge_error.interchange_control_number, ge_error.group_control_number) == ("000003438", "3314")
    assert "'3315'" in ge_error.message and "'3314'" in ge_error.message

    se_error = ts.errors[0]
    assert str(se_error.code) == "SE02_MISMATCH"
    assert (se_error.segment_id, se_error.segment_position, se_error.segment_position_in_set) == ("SE", 7, 5)
    assert se_error.transaction_set_control_number == "0001"
    assert se_error.message == (
        "Interchange 000003438, functional group 3314, transaction set 0001 (940): segment SE at position 7 "
        "in the file (5 in the transaction set), element SE02: SE02 '0002' does not match the transaction set "
        "control number ST02 '0001'."
    )
    assert error_codes(ts.errors) == ["SE02_MISMATCH", "SET_NOT_SUPPORTED"]
    assert ts.status is SetStatus.REJECTED
    assert not ts.is_accepted
    assert ts.document is None
    assert not result.ok


def test_corrupt_isa_is_a_clear_error_not_a_crash():
    result = parse_x12((FIXTURES / CORRUPT_ISA).read_bytes())

    assert result.interchanges == ()
    assert result.transaction_sets == []
    (error,) = result.errors
    assert str(error.code) == "ISA_MISSING"
    assert "offset 0" in error.message and "'SA*00*" in error.message
    assert not result.ok


@pytest.mark.parametrize(
    ("text", "code", "fragment"),
    [
        ("", "EMPTY_FILE", "empty"),
        ("ISA*00*          *00*", "ISA_INVALID", "truncated"),
        (fixture(TEAM_846).replace("*ZZ*TEAMWEB        *", "*ZZ*TEAMWEB *", 1), "ISA_INVALID", "ISA08"),
        (fixture(TEAM_846).replace("*P*>~", "*P*>A", 1), "ISA_INVALID", "segment terminator"),
        (b"ISA*\xff", "UNDECODABLE", "utf-8"),
    ],
)
def test_unreadable_input_is_reported_at_file_level(text, code, fragment):
    result = parse_x12(text)

    assert result.interchanges == ()
    assert code in error_codes(result.errors)
    assert fragment in result.errors[0].message
