"""850 and 997 generation: exact text checked by hand against the X12 rules, and round trips through the parser."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.edi import Delimiters, EdiGenerationError, Party
from integrations.edi.x12 import (
    Envelope,
    OutboundPurchaseOrder,
    OutboundPurchaseOrderLine,
    generate_850,
    generate_997,
    parse_x12,
    reply_envelope,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "edi"


CREATED = datetime(2024, 3, 5, 14, 7)


def fixture(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")


def envelope(**overrides) -> Envelope:
    values = {
        "sender_qualifier": "ZZ",
        "sender_id": "DISTOPS",
        "receiver_qualifier": "12",
        "receiver_id": "3058843131",
        "interchange_control_number": 17,
        "group_control_number": 42,
        "transaction_set_control_number": 1,
        "created_at": CREATED,
    }
    values.update(overrides)
    return Envelope(**values)


def sample_order(**overrides) -> OutboundPurchaseOrder:
    values = {
        "po_number": "PO-1001",
        "po_date": date(2024, 3, 5),
        "requested_delivery": date(2024, 3, 20),
        "lines": [
            OutboundPurchaseOrderLine(
                line_ref="1",
                quantity=Decimal("24"),
                uom="EA",
                unit_price=Decimal("3.50"),
                buyer_part="BP-100",
                vendor_part="AS 27222",
                requested_delivery=date(2024, 3, 19),
                price_basis="PE",
            ),
            OutboundPurchaseOrderLine(
                line_ref="2",
                quantity=Decimal("6"),
                uom="CA",
                unit_price=None,
                buyer_part=None,
                vendor_part="BL 16909",
            ),
        ],
    }
    values.update(overrides)
    return OutboundPurchaseOrder(**values)


def reply_for(result, **overrides):
    interchange = result.interchanges[0]
    group = interchange.groups[0]
    values = {
        "interchange_control_number": 5,
        "group_control_number": 5,
        "transaction_set_control_number": 1,
        "created_at": CREATED,
    }
    values.update(overrides)
    return group, reply_envelope(interchange, group, **values)


def segments_of(text: str) -> list[str]:
    return [s.strip("\n") for s in text.split("~") if s.strip("\n")]


# -- 850 -----------------------------------------------------------------------------------------------------------


def test_generate_850_exact_text():
    text = generate_850(sample_order(), envelope())

    # written by hand: ISA06/ISA08 padded to 15, ISA13 9 digits, SE01 = 8 (ST BEG DTM PO1 DTM PO1 CTT SE)
    assert text == (
        "ISA*00*          *00*          *ZZ*DISTOPS        *12*3058843131     *240305*1407*U*00401*000000017*0*P*>~\n"
        "GS*PO*DISTOPS*3058843131*20240305*1407*42*X*004010~\n"
        "ST*850*0001~\n"
        "BEG*00*SA*PO-1001**20240305~\n"
        "DTM*002*20240320~\n"
        "PO1*1*24*EA*3.5*PE*BP*BP-100*VP*AS 27222~\n"
        "DTM*002*20240319~\n"
        "PO1*2*6*CA***VP*BL 16909~\n"
        "CTT*2~\n"
        "SE*8*0001~\n"
        "GE*1*42~\n"
        "IEA*1*000000017~\n"
    )


def test_generated_850_envelope_counts_checked_independently():
    text = generate_850(
        sample_order(), envelope(interchange_control_number=123456789, group_control_number=7)
    )
    segments = segments_of(text)

    assert len(text.split("\n")[0]) == 106  # ISA including its terminator
    st, se = segments.index("ST*850*0001"), next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    assert segments[se] == f"SE*{se - st + 1}*0001"
    assert segments[-2:] == ["GE*1*7", "IEA*1*123456789"]
    assert text.split("\n")[0][90:99] == "123456789"  # ISA13


def test_generated_850_round_trips_through_the_parser():
    order = sample_order(
        parties=[
            Party(
                "ST",
                "DC EAST",
                "92",
                "0042",
                address_lines=["1 DOCK RD"],
                city="Reno",
                state="NV",
                postal_code="89501",
            ),
            Party("VN", "TEAM INTERNATIONAL GROUP", "92", "3058843131"),
        ],
        currency="USD",
    )

    result = parse_x12(generate_850(order, envelope()))

    assert result.ok, [e.message for e in result.all_errors]
    (ts,) = result.transaction_sets
    assert (result.interchanges[0].sender_id, result.interchanges[0].receiver_id) == ("DISTOPS", "3058843131")
    assert (result.interchanges[0].control_number, result.groups[0].control_number) == ("000000017", "42")
    po = ts.document
    assert (po.po_number, po.po_date, po.requested_delivery) == (
        "PO-1001",
        date(2024, 3, 5),
        date(2024, 3, 20),
    )
    assert [(p.entity_code, p.name, p.id) for p in po.parties] == [
        ("ST", "DC EAST", "0042"),
        ("VN", "TEAM INTERNATIONAL GROUP", "3058843131"),
    ]
    assert (po.parties[0].address_lines, po.parties[0].city, po.parties[0].postal_code) == (
        ["1 DOCK RD"],
        "Reno",
        "89501",
    )
    first, second = po.lines
    assert (first.line_ref, first.quantity, first.uom, first.unit_price) == (
        "1",
        Decimal("24"),
        "EA",
        Decimal("3.5"),
    )
    assert first.part_numbers == {"BP": "BP-100", "VP": "AS 27222"}
    assert first.requested_delivery == date(2024, 3, 19)
    assert (second.quantity, second.uom, second.unit_price, second.part_numbers) == (
        Decimal("6"),
        "CA",
        None,
        {"VP": "BL 16909"},
    )
    assert po.declared_line_count == 2


def test_850_with_other_delimiters_and_version_00501():
    env = envelope(
        interchange_version="00501",
        group_version="005010",
        delimiters=Delimiters(element="|", component=":", segment="'", repetition="^"),
        line_break="",
    )

    text = generate_850(sample_order(), env)
    result = parse_x12(text)

    assert "\n" not in text
    assert text.startswith(
        "ISA|00|          |00|          |ZZ|DISTOPS        |12|3058843131     |240305|1407|^|00501|"
    )
    assert result.ok
    assert result.interchanges[0].delimiters == Delimiters("|", ":", "'", "^")
    assert result.transaction_sets[0].document.lines[0].part_numbers == {"BP": "BP-100", "VP": "AS 27222"}


def _line(**overrides) -> OutboundPurchaseOrderLine:
    values = {
        "line_ref": "1",
        "quantity": Decimal("1"),
        "uom": "EA",
        "unit_price": Decimal("1"),
        "buyer_part": "A",
        "vendor_part": "B",
    }
    values.update(overrides)
    return OutboundPurchaseOrderLine(**values)


@pytest.mark.parametrize(
    ("order", "env", "fragment"),
    [
        (sample_order(lines=[_line(quantity=Decimal("0"))]), envelope(), "quantity must be positive"),
        (sample_order(lines=[_line(quantity=Decimal("-2"))]), envelope(), "quantity must be positive"),
        (sample_order(lines=[_line(quantity=2.5)]), envelope(), "must be a Decimal or an int"),
        (sample_order(lines=[_line(unit_price=Decimal("-1"))]), envelope(), "must not be negative"),
        (
            sample_order(lines=[_line(vendor_part="AB*12")]),
            envelope(),
            "PO109 'AB*12' contains the character '*'",
        ),
        (sample_order(lines=[_line(buyer_part=None, vendor_part=None)]), envelope(), "needs a buyer part"),
        (sample_order(lines=[]), envelope(), "has no lines"),
        (sample_order(po_number=""), envelope(), "PO number"),
        (sample_order(), envelope(interchange_control_number=0), "interchange control number"),
        (sample_order(), envelope(group_control_number=1_000_000_000), "group control number"),
        (sample_order(), envelope(sender_id="X" * 16), "sender id"),
        (sample_order(), envelope(interchange_version="00403"), "needs a repetition separator"),
        (sample_order(), envelope(delimiters=Delimiters("*", "*", "~")), "distinct"),
    ],
)
def test_generate_850_rejects_what_cannot_be_valid_x12(order, env, fragment):
    with pytest.raises(EdiGenerationError) as raised:
        generate_850(order, env)

    assert fragment in str(raised.value)


# -- 997 -----------------------------------------------------------------------------------------------------------


def test_997_for_the_control_number_mismatch_sample():
    result = parse_x12(fixture("olmelabs-EdiEngine__940_ControlNumbersMismatch_BAD.edi"))
    group, env = reply_for(result)

    text = generate_997(group, env)

    # AK5*R*3*1: control numbers differ (3), 940 not supported (1); AK9*R*1*1*0*4: GE02 differs from GS06 (4)
    assert text == (
        "ISA*00*          *00*          *ZZ*123456789012345*ZZ*ABCDEFGHIJKLMNO*240305*1407*U*00401*000000005*0*P*>~\n"
        "GS*FA*3111350000*7705551212*20240305*1407*5*X*004010~\n"
        "ST*997*0001~\n"
        "AK1*OW*3314~\n"
        "AK2*940*0001~\n"
        "AK5*R*3*1~\n"
        "AK9*R*1*1*0*4~\n"
        "SE*6*0001~\n"
        "GE*1*5~\n"
        "IEA*1*000000005~\n"
    )


def test_997_accepts_all_six_clean_855s_and_parses_back():
    result = parse_x12(fixture("bots-plugins__855_004010UCS_safeway-vons_6tx.x12"))
    group, env = reply_for(result)

    text = generate_997(group, env)
    parsed = parse_x12(text)

    assert parsed.ok
    assert segments_of(text)[3:5] == ["AK1*PR*811", "AK2*855*0001"]
    assert "AK9*A*6*6*6" in segments_of(text)
    ack = parsed.transaction_sets[0].document
    assert (ack.functional_id_code, ack.group_control_number) == ("PR", "811")
    assert [(s.transaction_set_id, s.control_number, s.status) for s in ack.sets] == [
        ("855", f"000{n}", "A") for n in range(1, 7)
    ]
    # sender and receiver are swapped for the reply
    assert (parsed.interchanges[0].sender_id, parsed.interchanges[0].receiver_id) == (
        "9251750000",
        "9255550000",
    )


def test_997_rejects_only_the_corrupt_set():
    text = fixture("bots-plugins__855_004010UCS_safeway-vons_6tx.x12")
    text = text.replace("BAK*00*AP*194721*20030507", "BAK*00*AP*194721*20031307")
    result = parse_x12(text)
    group, env = reply_for(result)

    ack_text = generate_997(group, env)
    segments = segments_of(ack_text)

    start = segments.index("AK2*855*0003")
    assert segments[start : start + 4] == ["AK2*855*0003", "AK3*BAK*2**8", "AK4*4**8*20031307", "AK5*R*5"]
    assert "AK9*P*6*6*5" in segments
    ack = parse_x12(ack_text).transaction_sets[0].document
    assert [s.status for s in ack.sets] == ["A", "A", "R", "A", "A", "A"]
    note = ack.sets[2].segment_notes[0]
    assert (note.segment_id, note.position, note.error_code) == ("BAK", 2, "8")
    assert (note.elements[0].position, note.elements[0].error_code, note.elements[0].bad_value) == (
        4,
        "8",
        "20031307",
    )
    assert (ack.group_status, ack.sets_included, ack.sets_received, ack.sets_accepted) == ("P", 6, 6, 5)


def test_997_for_an_hl_error_names_the_hl_segment():
    text = fixture("olmelabs-EdiEngine__856_004010_crossdock_SOPI.edi").replace("HL*4*3*I", "HL*4*9*I")
    result = parse_x12(text)
    group, env = reply_for(result)

    segments = segments_of(generate_997(group, env))

    # HL*4 is the 25th segment of the set (counted by hand from ST = 1)
    assert segments[4:8] == ["AK2*856*0001", "AK3*HL*25**8", "AK4*2**7*9", "AK5*R*5"]
    assert "AK9*R*1*1*0" in segments


def test_997_accepted_with_errors_for_a_warning():
    result = parse_x12(fixture("bots-plugins__850_004010_grocery-msg-segments.x12"))
    group, env = reply_for(result)

    segments = segments_of(generate_997(group, env))

    assert segments[4:7] == ["AK2*850*000000390", "AK3*CTT*24", "AK5*E"]
    assert "AK9*E*1*1*1" in segments


def test_997_for_missing_trailers():
    text = fixture("dlhinkley-duanesrepo__846_004010_team-international-supplier.edi")
    text = text[: text.index("SE*21*0234")]
    result = parse_x12(text)
    group, env = reply_for(result)

    segments = segments_of(generate_997(group, env))

    assert segments[3:7] == ["AK1*IB*233", "AK2*846*0234", "AK5*R*2", "AK9*R*1*1*0*3"]


def test_997_in_test_usage_with_other_delimiters_parses_back():
    result = parse_x12(fixture("olmelabs-EdiEngine__856_004010_crossdock_SOPI.edi"))
    interchange = result.interchanges[0]
    group = interchange.groups[0]
    env = Envelope(
        sender_qualifier="ZZ",
        sender_id="RECEIVER",
        receiver_qualifier="ZZ",
        receiver_id="SENDER",
        interchange_control_number=999_999_999,
        group_control_number=1,
        transaction_set_control_number=12345,
        created_at=CREATED,
        usage_indicator="T",
        delimiters=Delimiters(element="^", component="\\", segment="\n"),
        line_break="",
    )

    text = generate_997(group, env)
    parsed = parse_x12(text)

    assert parsed.ok
    assert parsed.interchanges[0].usage_indicator == "T"
    assert parsed.transaction_sets[0].control_number == "12345"
    assert parsed.transaction_sets[0].document.sets[0].status == "A"
    assert parsed.transaction_sets[0].document.sets_accepted == 1


def test_random_damage_never_crashes_and_every_997_parses_back():
    # given 600 seeded random mutations (cuts, insertions of delimiter-like characters, truncations)
    rng = random.Random(20240305)
    samples = [fixture(p.name) for p in sorted(FIXTURES.iterdir()) if p.name != "README.md"]
    alphabet = "*~>^\r\n0123456789ABCEGHILNOPQSTX -:|"
    for _ in range(600):
        text = rng.choice(samples)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.4:
                text = text[:at] + text[at + rng.randint(1, 20) :]
            elif roll < 0.8:
                text = text[:at] + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))) + text[at:]
            else:
                text = text[:at]

        # when parsed (must not raise), then every group that can be named gets a 997 that is itself valid
        result = parse_x12(text)
        for interchange in result.interchanges:
            for group in interchange.groups:
                env = reply_envelope(
                    interchange,
                    group,
                    interchange_control_number=1,
                    group_control_number=1,
                    transaction_set_control_number=1,
                    created_at=CREATED,
                )
                try:
                    ack = generate_997(group, env)
                except EdiGenerationError:
                    continue  # e.g. GS06 destroyed, or an id that contains one of our delimiters
                parsed = parse_x12(ack)
                assert parsed.ok, [e.message for e in parsed.all_errors]
