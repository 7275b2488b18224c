"""X12 parser tests on the public samples in tests/fixtures/edi/ and on mutations of them.

Expected values (counts, PO numbers, quantities, control numbers, positions) were read off the sample files by
eye and, for the long 856, re-counted with grep/awk; they are literals here, never the parser's output pasted back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.edi.x12 import SetStatus, parse_x12

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "edi"


SAFEWAY_850 = "bots-plugins__850_004010VICS_safeway-canada.x12"
GROCERY_850 = "bots-plugins__850_004010_grocery-msg-segments.x12"
VONS_855 = "bots-plugins__855_004010UCS_safeway-vons_6tx.x12"
SOPI_856 = "bots-plugins__856_004010_SOPI-sscc.x12"
TEAM_846 = "dlhinkley-duanesrepo__846_004010_team-international-supplier.edi"
CORRUPT_ISA = "edifabric-X12.NET__850_CorruptIsa_BAD.txt"
WIDGETS_850 = "olmelabs-EdiEngine__850_004010_widgets.edi"
CROSSDOCK_856 = "olmelabs-EdiEngine__856_004010_crossdock_SOPI.edi"
MISMATCH_940 = "olmelabs-EdiEngine__940_ControlNumbersMismatch_BAD.edi"

CLEAN = [SAFEWAY_850, GROCERY_850, VONS_855, SOPI_856, TEAM_846, WIDGETS_850, CROSSDOCK_856]


def fixture(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")  # keeps CR LF as they are in the file


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def only_set(text: str):
    result = parse_x12(text)
    assert len(result.transaction_sets) == 1
    return result, result.transaction_sets[0]


def error_codes(errors) -> list[str]:
    return [str(e.code) for e in errors]


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


# -- mutations of clean samples ------------------------------------------------------------------------------------


def test_wrong_se01_count_rejects_the_set():
    text = mutate(fixture(TEAM_846), "SE*21*0234", "SE*20*0234")

    _, ts = only_set(text)

    assert error_codes(ts.errors) == ["SE01_MISMATCH"]
    error = ts.errors[0]
    assert (error.segment_position, error.segment_position_in_set, error.element_position) == (23, 21, 1)
    assert "SE01 says '20' segments but the transaction set has 21 segments" in error.message
    assert error.set_syntax_code == "4"
    assert not ts.is_accepted and ts.document is None


def test_truncated_file_without_trailers():
    text = fixture(TEAM_846)
    text = text[: text.index("SE*21*0234")]

    result, ts = only_set(text)

    assert error_codes(ts.errors) == ["SE_MISSING"]
    assert error_codes(result.groups[0].errors) == ["GE_MISSING"]
    assert error_codes(result.interchanges[0].errors) == ["IEA_MISSING"]
    assert "the file ends after segment CTT at position 22" in result.interchanges[0].errors[0].message
    assert not ts.is_accepted


def test_file_cut_in_the_middle_of_a_segment():
    text = fixture(TEAM_846)
    text = text[: text.index("QTY*33*353") + 6]  # ends with "QTY*33"

    result, ts = only_set(text)

    assert "SE_MISSING" in error_codes(ts.errors)
    assert "IEA_MISSING" in error_codes(result.interchanges[0].errors)
    assert "SEGMENT_UNTERMINATED" in error_codes(result.interchanges[0].errors)
    assert not ts.is_accepted


def test_missing_se_is_detected_at_the_ge():
    text = mutate(fixture(TEAM_846), "SE*21*0234~\n", "")

    result, ts = only_set(text)

    (error,) = ts.errors
    assert str(error.code) == "SE_MISSING"
    assert "segment GE at position 23 comes first" in error.message
    assert error.set_syntax_code == "2"
    assert result.groups[0].errors == ()  # GE01 = 1 still matches the one (broken) set


@pytest.mark.parametrize(
    ("old", "new", "code", "segment", "position_in_set", "element"),
    [
        (
            "BIA*00*DD*20120911164614*20120911",
            "BIA*00*DD*20120911164614*20241345",
            "DATE_INVALID",
            "BIA",
            2,
            4,
        ),
        ("QTY*33*353*EA", "QTY*33*-5*EA", "NUMBER_NEGATIVE", "QTY", 11, 2),
        ("QTY*33*353*EA", "QTY*33*3S3*EA", "NUMBER_INVALID", "QTY", 11, 2),
        ("QTY*33*353*EA", "QTY**353*EA", "ELEMENT_MISSING", "QTY", 11, 1),
        ("LIN*4*VP*BL 16909", "LIN*4*VP", "ELEMENT_MISSING", "LIN", 10, 3),
    ],
)
def test_bad_element_values_name_segment_and_element(old, new, code, segment, position_in_set, element):
    _, ts = only_set(mutate(fixture(TEAM_846), old, new))

    (error,) = ts.errors
    assert str(error.code) == code
    assert (error.segment_id, error.segment_position_in_set, error.element_position) == (
        segment,
        position_in_set,
        element,
    )
    assert f"element {segment}{element:02d}" in error.message
    assert ts.status is SetStatus.REJECTED and ts.document is None


def test_bad_shipment_date_in_856():
    _, ts = only_set(mutate(fixture(CROSSDOCK_856), "DTM*011*20090921", "DTM*011*20241345"))

    (error,) = ts.errors
    assert str(error.code) == "DATE_INVALID"
    assert (error.segment_position, error.segment_position_in_set, error.element_position) == (12, 10, 2)
    assert "'20241345' is not a valid date" in error.message


def test_six_digit_dates_are_accepted():
    _, ts = only_set(mutate(fixture(CROSSDOCK_856), "DTM*011*20090921", "DTM*011*090921"))

    assert ts.document.ship_date == date(2009, 9, 21)


def test_negative_quantity_shipped_in_856():
    _, ts = only_set(
        mutate(
            fixture(CROSSDOCK_856),
            "HL*6*5*I\nLIN**EN*0000000000831\nSN1**12*EA",
            "HL*6*5*I\nLIN**EN*0000000000831\nSN1**-12*EA",
        )
    )

    (error,) = ts.errors
    assert (str(error.code), error.segment_id, error.element_position) == ("NUMBER_NEGATIVE", "SN1", 2)


@pytest.mark.parametrize(
    ("old", "new", "code", "fragment"),
    [
        (
            "HL*4*3*I",
            "HL*4*9*I",
            "HL_PARENT_UNKNOWN",
            "HL02 parent '9' is not the id of an HL that appears before",
        ),
        ("HL*4*3*I", "HL*4*99*I", "HL_PARENT_UNKNOWN", "'99'"),
        ("HL*4*3*I", "HL*5*3*I", "HL_SEQUENCE", "expected '4'"),
        ("HL*4*3*I", "HL*4*1*I", "HL_LEVEL_ORDER", "item level (I) HL cannot be under HL 1"),
        ("HL*4*3*I", "HL*4*3*X", "HL_LEVEL_INVALID", "'X' is not a supported hierarchical level"),
        ("HL*2*1*O", "HL*2**O", "HL_LEVEL_ORDER", "only the first HL"),
        ("HL*1**S", "HL*1**O", "HL_LEVEL_ORDER", "the first HL must be at shipment level S"),
        ("HL*11*1*O\nPRF*POREF01", "HL*11*1*O\nREF*ZZ*POREF01", "SEGMENT_MISSING", "has no PRF segment"),
        (
            "HL*4*3*I\nLIN**UP*0000000000642\nSN1**12*EA",
            "HL*4*3*I\nLIN**UP*0000000000642",
            "SEGMENT_MISSING",
            "no SN1",
        ),
    ],
)
def test_hl_hierarchy_errors(old, new, code, fragment):
    text = mutate(fixture(CROSSDOCK_856), old, new)
    if "SN1" in old and "SN1" not in new:  # keep SE01 right: one segment fewer
        text = mutate(text, "SE*57*0001", "SE*56*0001")

    _, ts = only_set(text)

    assert code in error_codes(ts.errors), [e.message for e in ts.errors]
    error = next(e for e in ts.errors if str(e.code) == code)
    assert fragment in error.message
    assert ts.status is SetStatus.REJECTED and ts.document is None


def test_item_without_order_level_is_rejected():
    text = mutate(fixture(CROSSDOCK_856), "HL*3*2*P", "HL*3*1*P")

    _, ts = only_set(text)

    assert "ASN_ITEM_WITHOUT_ORDER" in error_codes(ts.errors)
    assert any("item level HL 4 is not under any order level (O) HL" in e.message for e in ts.errors)


def test_two_interchanges_with_different_delimiters():
    team = fixture(TEAM_846)
    assert not any(c in team for c in "|:!")
    redelimited = team.translate(str.maketrans({"*": "|", ">": ":", "~": "!"}))
    text = redelimited + fixture(WIDGETS_850)

    result = parse_x12(text)

    assert result.ok
    first, second = result.interchanges
    assert (first.delimiters.element, first.delimiters.component, first.delimiters.segment) == ("|", ":", "!")
    assert (second.delimiters.element, second.delimiters.component, second.delimiters.segment) == (
        "*",
        ">",
        "\n",
    )
    assert [ts.transaction_set_id for ts in result.transaction_sets] == ["846", "850"]
    assert result.transaction_sets[0].document.records[0].part_numbers == {"VP": "AS 27222"}
    assert result.transaction_sets[1].document.po_number == "08292233294"
    # positions count through the whole file: the 846 interchange has 25 segments
    assert result.interchanges[1].position == 26


def test_interchange_without_iea_followed_by_another():
    team = fixture(TEAM_846)
    text = team[: team.index("IEA*")] + fixture(CROSSDOCK_856)

    result = parse_x12(text)

    first, second = result.interchanges
    assert error_codes(first.errors) == ["IEA_MISSING"]
    assert "another ISA starts before it" in first.errors[0].message
    assert second.errors == ()
    assert second.groups[0].transaction_sets[0].is_accepted
    # the 846 itself is fine, but its interchange is broken: not safe to apply
    team_set = first.groups[0].transaction_sets[0]
    assert team_set.status is SetStatus.ACCEPTED
    assert not team_set.is_accepted
    assert error_codes(team_set.envelope_errors) == ["IEA_MISSING"]


def test_garbage_after_the_last_iea():
    result = parse_x12(fixture(TEAM_846) + "\nGARBAGE*1~")

    assert result.transaction_sets[0].is_accepted
    assert error_codes(result.errors) == ["DATA_AFTER_IEA"]
    assert "'GARBAGE*1~'" in result.errors[0].message


@pytest.mark.parametrize("name", [TEAM_846, CROSSDOCK_856, SAFEWAY_850])
def test_crlf_line_endings_read_the_same(name):
    original = fixture(name)
    assert "\r" not in original
    crlf = original.replace("\n", "\r\n")

    before, after = parse_x12(original), parse_x12(crlf)

    assert after.ok
    assert [ts.document for ts in after.transaction_sets] == [ts.document for ts in before.transaction_sets]


def test_one_corrupt_transaction_set_does_not_stop_the_others():
    text = mutate(fixture(VONS_855), "BAK*00*AP*194721*20030507", "BAK*00*AP*194721*20031307")

    result = parse_x12(text)

    statuses = [ts.status for ts in result.transaction_sets]
    assert statuses == [SetStatus.ACCEPTED] * 2 + [SetStatus.REJECTED] + [SetStatus.ACCEPTED] * 3
    bad = result.transaction_sets[2]
    (error,) = bad.errors
    assert (str(error.code), error.segment_id, error.segment_position_in_set, error.element_position) == (
        "DATE_INVALID",
        "BAK",
        2,
        4,
    )
    assert error.transaction_set_control_number == "0003"
    assert [d.po_number for d in result.accepted_documents()] == [
        "194207",
        "194208",
        "194722",
        "194723",
        "194724",
    ]


def test_855_line_acknowledgements():
    text = mutate(
        fixture(VONS_855),
        "PO1**22*CA***UA*003331113474~\r\nCTT*1**0*LB~\r\nSE*11*0002~",
        "PO1**22*CA***UA*003331113474~\r\nACK*IB*10*CA*068*20030601~\r\nACK*IA*12*CA~\r\nCTT*1**0*LB~\r\nSE*13*0002~",
    )

    result = parse_x12(text)

    ack = result.transaction_sets[1].document
    line = ack.lines[0]
    assert line.status == "IB"
    assert [(a.status, a.quantity, a.uom) for a in line.acknowledgements] == [
        ("IB", Decimal("10"), "CA"),
        ("IA", Decimal("12"), "CA"),
    ]
    assert (line.acknowledgements[0].date_qualifier, line.new_date) == ("068", date(2003, 6, 1))


@pytest.mark.parametrize(
    ("ack", "code", "element"),
    [
        ("ACK*XX*10*CA", "CODE_INVALID", 1),
        ("ACK*IR*-1*CA", "NUMBER_NEGATIVE", 2),
        ("ACK*DR*22*CA*068*20031301", "DATE_INVALID", 5),
        ("ACK*DR*22*CA**20030601", "ELEMENT_MISSING", 4),
    ],
)
def test_855_bad_ack_segments(ack, code, element):
    text = mutate(
        fixture(VONS_855),
        "PO1**22*CA***UA*003331113474~\r\nCTT*1**0*LB~\r\nSE*11*0002~",
        f"PO1**22*CA***UA*003331113474~\r\n{ack}~\r\nCTT*1**0*LB~\r\nSE*12*0002~",
    )

    ts = parse_x12(text).transaction_sets[1]

    assert [(str(e.code), e.segment_id, e.element_position) for e in ts.errors] == [(code, "ACK", element)]


def test_se02_mismatch_in_one_of_six_sets():
    text = mutate(fixture(VONS_855), "SE*11*0003", "SE*11*0033")

    result = parse_x12(text)

    assert [ts.is_accepted for ts in result.transaction_sets] == [True, True, False, True, True, True]
    assert error_codes(result.transaction_sets[2].errors) == ["SE02_MISMATCH"]


def test_ge01_and_iea01_counts():
    text = mutate(fixture(VONS_855), "GE*6*811", "GE*5*811")
    text = mutate(text, "IEA*1*000002953", "IEA*2*000002953")

    result = parse_x12(text)

    (ge_error,) = result.groups[0].errors
    assert "GE01 says '5' transaction sets but the functional group contains 6" in ge_error.message
    (iea_error,) = result.interchanges[0].errors
    assert "IEA01 says '2' functional groups but the interchange contains 1" in iea_error.message
    assert not any(ts.is_accepted for ts in result.transaction_sets)


def test_transaction_set_in_the_wrong_group_type():
    _, ts = only_set(mutate(fixture(TEAM_846), "GS*IB*", "GS*PO*"))

    assert error_codes(ts.errors) == ["SET_NOT_IN_GROUP_TYPE"]


def test_missing_header_segment():
    _, ts = only_set(mutate(fixture(TEAM_846), "BIA*00*DD*20120911164614*20120911~\n", "NTE*X~\n"))

    (error,) = ts.errors
    assert (str(error.code), error.segment_id, error.segment_position_in_set) == ("SEGMENT_MISSING", "BIA", 2)


def test_invalid_isa_date_rejects_the_interchange_contents():
    text = mutate(fixture(TEAM_846), "*120911*1718*U*", "*121345*1718*U*")

    result, ts = only_set(text)

    (error,) = result.interchanges[0].errors
    assert (str(error.code), error.segment_id, error.element_position) == ("ISA_ELEMENT_INVALID", "ISA", 9)
    assert "'121345' is not a valid YYMMDD date" in error.message
    assert ts.status is SetStatus.ACCEPTED and not ts.is_accepted
