"""X12 parser tests on mutations of the public samples in tests/fixtures/edi/: each mutation breaks one thing,
and the test checks the error names it (code, segment, position, element) and what stays readable.

Expected values were read off the sample files by eye; they are literals here, never the parser's output pasted back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from integrations.edi.x12 import SetStatus, parse_x12
from tests.integrations.edi_samples import (
    CROSSDOCK_856,
    SAFEWAY_850,
    TEAM_846,
    VONS_855,
    WIDGETS_850,
    error_codes,
    fixture,
    mutate,
    only_set,
)

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
