"""EDI applied to the network: 856 -> shipments, 855 -> PO line acknowledgements, 846 -> availability, 997s.

Scenario rows are built so that PO and part numbers match the public samples in tests/fixtures/edi/; expected
figures (line counts, unit sums) are counted from the sample text with regular expressions, not by the parser.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from integrations.demo import demo_asn_changes
from integrations.edi.generate import Envelope
from integrations.edi.generate_supplier import (
    OutboundAckLine,
    OutboundAcknowledgement,
    OutboundAsnLine,
    OutboundAsnOrder,
    OutboundShipNotice,
    generate_855,
    generate_856,
)
from integrations.edi.x12 import parse_x12
from integrations.edi_ingest import edi_ingest
from integrations.inbox import inbox_retry
from integrations.models import (
    DataQualityIssue,
    EdiDocument,
    EdiTransaction,
    InboxMessage,
    SupplierAvailability,
)
from replenish import models as m
from tests import factories as f
from tests.integrations import factories as ff

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "edi"
SOPI_856 = FIXTURES / "bots-plugins__856_004010_SOPI-sscc.x12"
VONS_855 = FIXTURES / "bots-plugins__855_004010UCS_safeway-vons_6tx.x12"
TEAM_846 = FIXTURES / "dlhinkley-duanesrepo__846_004010_team-international-supplier.edi"
MISMATCH_940 = FIXTURES / "olmelabs-EdiEngine__940_ControlNumbersMismatch_BAD.edi"


def envelope(sender: str = "ACME", n: int = 5) -> Envelope:
    return Envelope(
        sender_qualifier="ZZ",
        sender_id=sender,
        receiver_qualifier="ZZ",
        receiver_id="DISTOPS",
        interchange_control_number=n,
        group_control_number=n,
        transaction_set_control_number=n,
        created_at=datetime(2024, 3, 5, 9, 30),
    )


# -- 856 -------------------------------------------------------------------------------------------------------


def test_sample_856_creates_the_shipment_with_every_line(sopi_po):
    text = sopi_po["text"]
    expected_units = sum(int(q) for q in re.findall(r"SN1\*\*(\d+)\*EA", text))
    expected_lines = len(re.findall(r"^LIN\*", text, re.MULTILINE))

    message = edi_ingest(data=SOPI_856.read_bytes(), filename=SOPI_856.name)

    assert message.status == InboxMessage.Status.APPLIED, (message.reason, message.errors[:3])
    shipment = m.Shipment.objects.get()
    assert (shipment.number, shipment.expected_arrival, shipment.supplier.code) == (
        "15918861602",
        date(2004, 8, 5),
        "SOPI",
    )
    assert shipment.lines.count() == expected_lines == 58
    assert sum(shipment.lines.values_list("quantity_shipped", flat=True)) == expected_units
    hl4 = shipment.lines.get(po_line__item__sku="01113481")
    assert hl4.quantity_shipped == 11  # HL 4: LIN*4*UP*058824077500***BP*01113481 / SN1**11*EA
    (ack,) = EdiDocument.objects.filter(transaction_set_id="997")
    assert "AK1*SH*1~" in ack.text and "AK2*856*0062~" in ack.text and "AK5*A~" in ack.text
    assert ack.status == "A"
    assert EdiTransaction.objects.get().status == EdiTransaction.Status.APPLIED


def test_resent_856_is_a_replay_and_an_updated_asn_moves_the_date(sopi_po):
    edi_ingest(data=SOPI_856.read_bytes())
    replay = edi_ingest(data=SOPI_856.read_bytes())

    assert replay.replays == 1
    assert EdiDocument.objects.filter(transaction_set_id="997").count() == 1
    assert m.ShipmentLine.objects.count() == 58

    moved = (
        sopi_po["text"]
        .replace("DTM*017*20040805", "DTM*017*20040819")
        .replace("*000000001*1*P*", "*000000002*1*P*")
        .replace("IEA*1*000000001", "IEA*1*000000002")
    )
    message = edi_ingest(data=moved)

    assert message.status == InboxMessage.Status.APPLIED
    shipment = m.Shipment.objects.get()
    assert shipment.expected_arrival == date(2004, 8, 19)
    assert message.summary["sets"][0]["summary"]["previous_expected_arrival"] == "2004-08-05"
    assert m.ShipmentLine.objects.count() == 58  # upserted, not duplicated


def asn(
    po_number: str,
    lines: list[OutboundAsnLine],
    *,
    arrival=date(2024, 3, 12),
    ship=date(2024, 3, 6),
    shipment_id: str = "SH-1",
) -> OutboundShipNotice:
    return OutboundShipNotice(
        shipment_id=shipment_id,
        document_date=date(2024, 3, 5),
        ship_date=ship,
        expected_arrival=arrival,
        orders=[OutboundAsnOrder(po_number=po_number, lines=lines)],
    )


@pytest.fixture
def acme_po():
    supplier = f.supplier(code="ACME", edi_qualifier="ZZ", edi_interchange_id="ACME")
    location = f.location(code="DC1")
    bolt, nut = f.item(sku="BOLT"), f.item(sku="NUT")
    ff.supplier_item(supplier=supplier, item=bolt, part="AC-BOLT")
    m.UomConversion.objects.create(item=nut, uom="CA", factor=Decimal(12))
    po = ff.purchase_order(
        number="PO-100", supplier=supplier, location=location, lines=[(bolt, 50), (nut, 48)]
    )
    return {"po": po, "supplier": supplier, "bolt": bolt, "nut": nut, "location": location}


def test_856_matches_lines_by_supplier_part_and_converts_cases(acme_po):
    text = generate_856(
        asn(
            "PO-100",
            [
                OutboundAsnLine("1", Decimal(50), "EA", vendor_part="AC-BOLT"),
                OutboundAsnLine("2", Decimal(3), "CA", buyer_part="NUT"),
            ],
        ),
        envelope(),
    )

    message = edi_ingest(data=text)

    assert message.status == InboxMessage.Status.APPLIED, message.reason
    shipped = dict(m.ShipmentLine.objects.values_list("po_line__item__sku", "quantity_shipped"))
    assert shipped == {"BOLT": 50, "NUT": 36}


@pytest.mark.parametrize(
    ("lines", "po_number", "dates", "fragment"),
    [
        (
            [OutboundAsnLine("1", Decimal(5), "EA", vendor_part="AC-BOLT")],
            "PO-404",
            {},
            "no purchase order 'PO-404'",
        ),
        (
            [OutboundAsnLine("1", Decimal(5), "EA", vendor_part="WHAT-IS-THIS")],
            "PO-100",
            {},
            "name an unknown part",
        ),
        (
            [OutboundAsnLine("1", Decimal(5), "PAL", vendor_part="AC-BOLT")],
            "PO-100",
            {},
            "unknown unit of measure 'PAL'",
        ),
        (
            [OutboundAsnLine("1", Decimal(5000), "EA", vendor_part="AC-BOLT")],
            "PO-100",
            {},
            "is an absurd quantity",
        ),
        (
            [OutboundAsnLine("1", Decimal(5), "EA", vendor_part="AC-BOLT")],
            "PO-100",
            {"arrival": date(2024, 3, 1), "ship": date(2024, 3, 6)},
            "is before the ship date",
        ),
        (
            [OutboundAsnLine("1", Decimal(5), "EA", vendor_part="AC-BOLT")],
            "PO-100",
            {"arrival": date(2031, 3, 1)},
            "more than two years from the document date",
        ),
    ],
)
def test_bad_856_is_rejected_whole_with_its_reason(acme_po, lines, po_number, dates, fragment):
    good = OutboundAsnLine("2", Decimal(12), "EA", buyer_part="NUT")
    text = generate_856(asn(po_number, [good, *lines], **dates), envelope())

    message = edi_ingest(data=text)

    assert message.status == InboxMessage.Status.REJECTED
    assert fragment in message.reason
    assert not m.Shipment.objects.exists() and not m.ShipmentLine.objects.exists()  # the good line neither
    transaction = EdiTransaction.objects.get()
    assert transaction.status == EdiTransaction.Status.REJECTED and fragment in transaction.reason


def test_unknown_part_opens_an_unmapped_code_issue(acme_po):
    text = generate_856(
        asn("PO-100", [OutboundAsnLine("1", Decimal(5), "EA", vendor_part="ZZ-9")]), envelope()
    )

    edi_ingest(data=text)

    issue = DataQualityIssue.objects.get(code="unmapped_code")
    assert issue.supplier == acme_po["supplier"] and "'ZZ-9'" in issue.message


def test_truncated_file_is_rejected_at_segment_level_with_a_997_reject(acme_po):
    text = generate_856(
        asn("PO-100", [OutboundAsnLine("1", Decimal(5), "EA", vendor_part="AC-BOLT")]), envelope()
    )
    truncated = text[: text.index("SE*")]  # cut after the last item: no SE, GE or IEA

    message = edi_ingest(data=truncated)

    assert message.status == InboxMessage.Status.REJECTED
    codes = {e.get("code") for e in message.errors}
    assert {"SE_MISSING", "IEA_MISSING"} <= codes
    se_missing = next(e for e in message.errors if e.get("code") == "SE_MISSING")
    assert se_missing["segment"] == "CTT"  # the last segment read, named with its position
    ack = EdiDocument.objects.get(transaction_set_id="997")
    assert "AK5*R*2~" in ack.text and "AK9*R*" in ack.text  # AK502 2: trailer missing
    assert not m.Shipment.objects.exists()


def test_segment_count_mismatch_rejects_the_set(acme_po):
    text = generate_856(
        asn("PO-100", [OutboundAsnLine("1", Decimal(5), "EA", vendor_part="AC-BOLT")]), envelope()
    )
    count = re.search(r"SE\*(\d+)\*", text).group(1)
    bad = text.replace(f"SE*{count}*", f"SE*{int(count) + 3}*")

    message = edi_ingest(data=bad)

    assert message.status == InboxMessage.Status.REJECTED
    assert f"SE01 says '{int(count) + 3}' segments but the transaction set has {count}" in message.reason
    assert "AK5*R*4~" in EdiDocument.objects.get(transaction_set_id="997").text


def test_control_number_mismatch_sample_is_rejected_without_crashing():
    message = edi_ingest(data=MISMATCH_940.read_bytes(), filename=MISMATCH_940.name)

    assert message.status == InboxMessage.Status.REJECTED
    codes = {e.get("code") for e in message.errors}
    assert {"SE02_MISMATCH", "IEA02_MISMATCH"} <= codes


# -- 855 -------------------------------------------------------------------------------------------------------


def test_corrupt_set_is_rejected_while_the_other_sets_apply_and_a_fix_retries_it(vons_pos):
    text = VONS_855.read_bytes().decode().replace("BAK*00*AP*194721*20030507", "BAK*00*AP*194721*20031307")

    message = edi_ingest(data=text, filename="855.x12")

    assert message.status == InboxMessage.Status.PARTIAL
    by_control = {t.control_number: t for t in EdiTransaction.objects.all()}
    assert by_control["0002"].status == by_control["0006"].status == EdiTransaction.Status.APPLIED
    corrupt = by_control["0003"]
    assert corrupt.status == EdiTransaction.Status.REJECTED
    assert (
        corrupt.errors[0]["code"],
        corrupt.errors[0]["segment"],
        corrupt.errors[0]["position_in_set"],
        corrupt.errors[0]["element"],
    ) == ("DATE_INVALID", "BAK", 2, 4)
    assert "194207: no purchase order with this number" in by_control["0001"].reason  # business, not syntax
    ack = EdiDocument.objects.get(transaction_set_id="997").text
    assert "AK2*855*0003~AK3*BAK*2**8~AK4*4**8*20031307~AK5*R*5~" in ack.replace("\n", "")
    assert "AK2*855*0002~AK5*A~" in ack.replace("\n", "")
    line = vons_pos["194208"].lines.get()
    assert (line.status, line.promised_date, line.acknowledged_date) == (
        "accepted",
        date(2003, 5, 20),
        date(2003, 5, 7),
    )
    assert vons_pos["194721"].lines.get().status == "open"
    assert message in InboxMessage.objects.filter(status__in=InboxMessage.DEAD_LETTER_STATUSES)

    # fix the date in the stored payload and retry: set 0003 applies, 0002 and 0006 are not applied twice
    user = ff.user("manager")
    inbox_retry(message=message, actor=user, payload=message.payload.replace("20031307", "20030507"))

    assert EdiTransaction.objects.get(control_number="0003").status == EdiTransaction.Status.APPLIED
    assert vons_pos["194721"].lines.get().status == "accepted"
    message.refresh_from_db()
    assert message.status == InboxMessage.Status.PARTIAL  # 194207, 194722, 194723 still have no PO here
    assert message.meta["edited_by"] == user.username


def test_855_line_changes_rejections_and_dates(acme_po):
    po = acme_po["po"]
    ack = OutboundAcknowledgement(
        po_number="PO-100",
        po_date=date(2024, 3, 1),
        acknowledgment_type="AC",
        acknowledgment_date=date(2024, 3, 2),
        lines=[
            OutboundAckLine(
                "1",
                Decimal(50),
                "EA",
                "IC",
                quantity=Decimal(40),
                delivery_date=date(2024, 3, 28),
                vendor_part="AC-BOLT",
            ),
            OutboundAckLine("2", Decimal(4), "CA", "IR", buyer_part="NUT"),
        ],
    )

    message = edi_ingest(data=generate_855(ack, envelope()))

    assert message.status == InboxMessage.Status.APPLIED, message.reason
    lines = {line.line_number: line for line in po.lines.all()}
    assert (
        lines[1].status,
        lines[1].quantity_ordered,
        lines[1].promised_date,
        lines[1].acknowledged_date,
    ) == ("changed", 40, date(2024, 3, 28), date(2024, 3, 2))
    assert (lines[2].status, lines[2].quantity_ordered) == ("rejected", 48)
    po.refresh_from_db()
    assert po.status == "acknowledged"


def test_855_with_a_quantity_in_cases_is_converted(acme_po):
    ack = OutboundAcknowledgement(
        po_number="PO-100",
        po_date=date(2024, 3, 1),
        lines=[OutboundAckLine("2", Decimal(4), "CA", "IQ", quantity=Decimal(5), buyer_part="NUT")],
    )

    edi_ingest(data=generate_855(ack, envelope()))

    line = acme_po["po"].lines.get(line_number=2)
    assert (line.status, line.quantity_ordered) == ("changed", 60)


def test_855_for_an_unknown_po_or_from_the_wrong_supplier_is_rejected(acme_po):
    f.supplier(code="OTHER", edi_qualifier="ZZ", edi_interchange_id="OTHER")
    unknown = OutboundAcknowledgement(
        po_number="NOPE",
        po_date=date(2024, 3, 1),
        lines=[OutboundAckLine("1", Decimal(1), "EA", "IA", vendor_part="AC-BOLT")],
    )
    wrong = OutboundAcknowledgement(
        po_number="PO-100",
        po_date=date(2024, 3, 1),
        lines=[OutboundAckLine("1", Decimal(1), "EA", "IA", vendor_part="AC-BOLT")],
    )

    first = edi_ingest(data=generate_855(unknown, envelope(n=1)))
    second = edi_ingest(data=generate_855(wrong, envelope(sender="OTHER", n=2)))

    assert "no purchase order with this number" in first.reason
    assert "the sender is supplier OTHER but the PO belongs to ACME" in second.reason
    assert set(acme_po["po"].lines.values_list("status", flat=True)) == {"open"}


# -- 846 -------------------------------------------------------------------------------------------------------


def test_846_sample_records_availability_and_flags_unmapped_parts():
    supplier = f.supplier(code="TEAM", edi_qualifier="12", edi_interchange_id="3058843131")
    mapped = f.item(sku="TEAM-AS27222")
    ff.supplier_item(supplier=supplier, item=mapped, part="AS 27222")
    text = TEAM_846.read_text()
    expected = dict(re.findall(r"LIN\*\d+\*VP\*([^~]+)~\s*QTY\*33\*(\d+)\*EA", text))
    assert len(expected) == 8

    message = edi_ingest(data=text)

    assert message.status == InboxMessage.Status.APPLIED, message.reason
    stored = dict(SupplierAvailability.objects.values_list("supplier_part_number", "quantity"))
    assert stored == {part: int(q) for part, q in expected.items()}
    assert SupplierAvailability.objects.get(supplier_part_number="AS 27222").item == mapped
    unmapped = DataQualityIssue.objects.filter(code="unmapped_code", supplier=supplier)
    assert unmapped.count() == len(expected) - 1


def test_846_from_an_unknown_sender_is_rejected():
    message = edi_ingest(data=TEAM_846.read_bytes())

    assert message.status == InboxMessage.Status.REJECTED
    assert "the sender 12:3058843131 is not a known supplier" in message.reason
    assert not SupplierAvailability.objects.exists()


# -- outbound 850 and the partner's 997 ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_create_po_posting_writes_an_850_and_the_partners_997_acknowledges_it():
    from django.db import transaction

    from integrations.models import OutboxMessage
    from integrations.services import outbox_enqueue

    supplier = f.supplier(code="ACME", edi_qualifier="ZZ", edi_interchange_id="ACME", currency="USD")
    f.location(code="DC1", name="Central DC")
    bolt = f.item(sku="BOLT")
    ff.supplier_item(supplier=supplier, item=bolt, part="AC-BOLT", purchase_uom="CA", pack_size=12)
    with transaction.atomic():
        outbox_enqueue(
            kind="create_po",
            idempotency_key="exc-1-approve-1",
            payload={
                "supplier": "ACME",
                "location": "DC1",
                "sku": "BOLT",
                "quantity": 240,
                "due_date": "2024-04-02",
            },
            subject_type="exception",
            subject_id=1,
        )

    message = OutboxMessage.objects.get()  # relayed on commit (loopback ERP in tests)
    assert message.status == "delivered"
    document = EdiDocument.objects.get(transaction_set_id="850")
    parsed = parse_x12(document.text)
    assert parsed.ok
    order = parsed.transaction_sets[0].document
    assert order.po_number == message.outcome["document_number"]
    (line,) = order.lines
    assert (line.quantity, line.uom, line.part_numbers["VP"], line.part_numbers["BP"]) == (
        Decimal(20),
        "CA",
        "AC-BOLT",
        "BOLT",
    )  # 240 units = 20 cases of 12
    assert line.requested_delivery == date(2024, 4, 2)
    assert [(p.entity_code, p.name, p.id) for p in order.parties] == [("ST", "Central DC", "DC1")]

    # the supplier answers with a 997 for our group
    from integrations.edi.x12 import generate_997, reply_envelope

    group = parsed.groups[0]
    reply = generate_997(
        group,
        reply_envelope(
            parsed.interchanges[0],
            group,
            interchange_control_number=77,
            group_control_number=77,
            transaction_set_control_number=77,
            created_at=datetime(2024, 3, 6, 8, 0),
        ),
    )
    edi_ingest(data=reply)

    document.refresh_from_db()
    assert document.status == "A"


# -- the command and the demo ----------------------------------------------------------------------------------


def test_ingest_edi_command_prints_applied_and_rejected_with_reasons(tmp_path, vons_pos, capsys):
    path = tmp_path / "855.x12"
    path.write_text(VONS_855.read_text().replace("BAK*00*AP*194721*20030507", "BAK*00*AP*194721*20031307"))

    with pytest.raises(CommandError):
        call_command("ingest_edi", str(path))

    out = capsys.readouterr().out
    assert "855 0002 (interchange 000002953, group 811): applied" in out
    assert re.search(r"855 0003 .*: rejected\n\s+why: .*BAK04.*'20031307' is not a valid date", out)
    assert "855 0001" in out and "PO 194207: no purchase order with this number" in out
    assert "997 written for group 811: AK9 P" in out


def test_demo_asn_changes_moves_arrival_dates_through_edi(acme_po):
    message = demo_asn_changes(count=3, slip_days=(5, 5))

    assert message.status == InboxMessage.Status.APPLIED, message.reason
    shipment = m.Shipment.objects.get()
    latest_promise = max(acme_po["po"].lines.values_list("promised_date", flat=True))
    assert shipment.expected_arrival >= latest_promise
    assert shipment.lines.count() == 2 and message.kind == "edi.x12"
