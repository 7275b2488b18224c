"""Acknowledgements that tell what happened (issue 13 item 6): 997 and TA1 for envelope errors, application
refusals, duplicate control numbers with other content, and EDIFACT named as such.

The files are the public samples in tests/fixtures/edi/ and mutated copies of them; expected acknowledgement
segments are derived from the mutation (which control number, which count), not from the generator.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from integrations.edi.x12 import parse_x12
from integrations.edi_ingest import edi_ingest
from integrations.inbox import inbox_retry
from integrations.models import EdiDocument, EdiTransaction, InboxMessage
from replenish import models as m
from replenish.core.models import AuditEvent
from tests.integrations import factories as ff
from tests.integrations.conftest import VONS_855

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(ff.user("manager"))
    return client


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def ack_loops(text: str) -> dict[str, list[str]]:
    """AK2 control number -> the segments of its loop (AK2 .. AK5)."""
    loops: dict[str, list[str]] = {}
    current: list[str] | None = None
    for seg in segments(text):
        if seg.startswith("AK2*"):
            current = loops.setdefault(seg.split("*")[2], [])
        if current is not None and seg[:3] in ("AK2", "AK3", "AK4", "AK5"):
            current.append(seg)
        if seg.startswith("AK5"):
            current = None
    return loops


def ak9(text: str) -> list[str]:
    return next(s for s in segments(text) if s.startswith("AK9*")).split("*")


def with_ack_requested(text: str, flag: str) -> str:
    isa = text.split("~", 1)[0]
    elements = isa.split("*")
    elements[14] = flag
    return "*".join(elements) + text[len(isa) :]


# -- envelope errors: the 997 rejects what was not applied ------------------------------------------------------


def test_iea02_mismatch_gets_a_rejecting_997_and_a_ta1_naming_the_mismatch(sopi_po):
    text = sopi_po["text"]
    isa13 = text.split("~", 1)[0].split("*")[13]
    assert text.split("~", 1)[0].split("*")[14] == "1"  # the sample asks for a TA1 (ISA14)
    bad = text.replace(f"IEA*1*{isa13}", "IEA*1*000000099")
    assert bad != text

    message = edi_ingest(data=bad, filename="iea02.x12")

    assert message.status == InboxMessage.Status.REJECTED
    assert not m.Shipment.objects.exists()
    ack = EdiDocument.objects.get(transaction_set_id="997").text
    loops = ack_loops(ack)
    st02 = re.search(r"ST\*856\*(\d+)~", text).group(1)
    assert loops[st02][-1] == "AK5*R"  # never A for a set that was not applied
    assert "AK5*A" not in ack
    assert ak9(ack)[:5] == ["AK9", "R", "1", "1", "0"]
    ta1 = EdiDocument.objects.get(transaction_set_id="TA1")
    # TA1: the received ISA13, ISA09 and ISA10 echoed; R rejected; 001 = ISA13 and IEA02 differ
    isa = text.split("~", 1)[0].split("*")
    assert f"TA1*{isa13}*{isa[9]}*{isa[10]}*R*001" in segments(ta1.text)
    assert ta1.status == "R" and segments(ta1.text)[-1].startswith("IEA*0*")
    assert message.summary["interchange_acknowledgements"] == 1


def test_clean_interchange_asking_for_a_ta1_gets_an_accepting_one(sopi_po):
    message = edi_ingest(data=sopi_po["text"])

    assert message.status == InboxMessage.Status.APPLIED
    isa = sopi_po["text"].split("~", 1)[0].split("*")
    ta1 = EdiDocument.objects.get(transaction_set_id="TA1")
    assert f"TA1*{isa[13]}*{isa[9]}*{isa[10]}*A*000" in segments(ta1.text)
    # the TA1 interchange is addressed back to the sender (ISA06 <-> ISA08 swapped) and reads as valid X12
    reply = parse_x12(ta1.text)
    (interchange,) = reply.interchanges
    assert interchange.receiver_id == isa[6].strip() and interchange.sender_id == isa[8].strip()
    assert not reply.all_errors and interchange.groups == ()


@pytest.mark.parametrize(
    ("policy", "flag", "expected"),
    [("requested", "0", 0), ("errors", "0", 1), ("never", "1", 0), ("always", "0", 1)],
)
def test_ta1_policy(sopi_po, settings, policy, flag, expected):
    settings.DISTOPS_EDI_TA1 = policy
    isa13 = sopi_po["text"].split("~", 1)[0].split("*")[13]
    bad = with_ack_requested(sopi_po["text"], flag).replace(f"IEA*1*{isa13}", "IEA*1*000000099")

    edi_ingest(data=bad)

    assert EdiDocument.objects.filter(transaction_set_id="TA1").count() == expected


def test_ge02_mismatch_rejects_every_set_of_the_group(vons_pos):
    text = VONS_855.read_text().replace("GE*6*811", "GE*6*812")
    assert "GE*6*812" in text

    message = edi_ingest(data=text)

    assert message.status == InboxMessage.Status.REJECTED
    assert not EdiTransaction.objects.filter(status=EdiTransaction.Status.APPLIED).exists()
    ack = EdiDocument.objects.get(transaction_set_id="997").text
    loops = ack_loops(ack)
    assert sorted(loops) == [f"{n:04d}" for n in range(1, 7)]
    assert {loop[-1] for loop in loops.values()} == {"AK5*R"}
    assert ak9(ack) == ["AK9", "R", "6", "6", "0", "4"]  # AK905 4: GS06 and GE02 differ


def test_ge01_count_mismatch_is_named_in_ak9(vons_pos):
    text = VONS_855.read_text().replace("GE*6*811", "GE*5*811")

    edi_ingest(data=text)

    ack = EdiDocument.objects.get(transaction_set_id="997").text
    assert "AK5*A" not in ack
    assert ak9(ack) == ["AK9", "R", "5", "6", "0", "5"]  # AK905 5: set count differs


def test_se_count_mismatch_rejects_only_that_set(vons_pos):
    text = VONS_855.read_text()
    body = text.split("ST*855*0002~", 1)[1]
    count = re.search(r"SE\*(\d+)\*0002~", body).group(1)
    bad = text.replace(f"SE*{count}*0002~", f"SE*{int(count) + 1}*0002~")

    message = edi_ingest(data=bad)

    by_control = {t.control_number: t.status for t in EdiTransaction.objects.all()}
    assert by_control["0002"] == EdiTransaction.Status.REJECTED
    loops = ack_loops(EdiDocument.objects.get(transaction_set_id="997").text)
    assert loops["0002"] == ["AK2*855*0002", "AK5*R*4"]  # AK502 4: segment count
    assert message.status == InboxMessage.Status.PARTIAL


def test_sets_the_application_refuses_are_rejected_in_the_997(vons_pos):
    """The clean 855 sample: three of its six purchase orders exist here; the other three are refused and the
    997 says so (AK3 names the BAK segment of each, AK5 R 5), so the partner does not believe them applied."""
    text = VONS_855.read_text()
    by_set = dict(re.findall(r"ST\*855\*(\d+)~BAK\*00\*AP\*(\d+)\*", text.replace("\n", "")))
    unknown = sorted(st for st, po in by_set.items() if po not in vons_pos)
    assert len(unknown) == 3

    message = edi_ingest(data=text)

    assert message.status == InboxMessage.Status.PARTIAL
    ack = EdiDocument.objects.get(transaction_set_id="997").text
    loops = ack_loops(ack)
    for st in by_set:
        if st in unknown:
            assert loops[st] == [f"AK2*855*{st}", "AK3*BAK*2", "AK5*R*5"], loops[st]
        else:
            assert loops[st] == [f"AK2*855*{st}", "AK5*A"]
    assert ak9(ack) == ["AK9", "P", "6", "6", str(6 - len(unknown))]


# -- duplicates: the same ISA13 with other content -------------------------------------------------------------


def moved(text: str, day: str) -> str:
    return text.replace("DTM*017*20040805", f"DTM*017*{day}")


def test_identical_resend_is_already_received(sopi_po, tmp_path):
    path = tmp_path / "asn.x12"
    path.write_text(sopi_po["text"])
    call_command("ingest_edi", str(path))
    out = tmp_path / "out.txt"

    with out.open("w") as stdout:
        call_command("ingest_edi", str(path), stdout=stdout)

    assert "already received" in out.read_text() and "nothing changed" in out.read_text()
    assert InboxMessage.objects.count() == 1 and InboxMessage.objects.get().replays == 1


def test_changed_file_reusing_an_applied_isa13_goes_to_dead_letters(sopi_po, tmp_path):
    first = tmp_path / "asn.x12"
    first.write_text(sopi_po["text"])
    call_command("ingest_edi", str(first))
    original = InboxMessage.objects.get()
    changed = tmp_path / "asn-changed.x12"
    changed.write_text(moved(sopi_po["text"], "20040819"))
    out = tmp_path / "out.txt"

    with out.open("w") as stdout, pytest.raises(CommandError, match="1 file"):
        call_command("ingest_edi", str(changed), stdout=stdout)

    printed = out.read_text()
    assert "already received" not in printed.split("\n", 1)[0]
    assert "sender 01:111111111" in printed and "control number 000000001" in printed
    dead = InboxMessage.objects.exclude(pk=original.pk).get()
    assert dead.status == InboxMessage.Status.REJECTED and dead.is_dead_letter
    assert "different content" in dead.reason and f"inbox message {original.pk}" in dead.reason
    assert "20040819" in dead.payload  # the changed content is kept, not lost
    original.refresh_from_db()
    assert original.payload == sopi_po["text"] and original.status == InboxMessage.Status.APPLIED
    assert m.Shipment.objects.get().expected_arrival.isoformat() == "2004-08-05"  # nothing applied
    event = AuditEvent.objects.filter(subject_type="inbox_message", subject_id=str(dead.pk)).get()
    assert event.action == "rejected" and "000000001" in event.payload["reason"]
    # the sample asks for a TA1: R with note 025, duplicate interchange control number
    ta1 = EdiDocument.objects.get(transaction_set_id="TA1", message=dead)
    assert "*R*025" in ta1.text

    # the same changed file again is a replay of its dead letter, not a third message
    again = edi_ingest(data=changed.read_text())
    assert again.pk == dead.pk and again.replays == 1 and InboxMessage.objects.count() == 2


def test_three_different_files_under_one_isa13_stay_three_messages(sopi_po):
    """The finding: the first is rejected (no such PO yet), then two corrections reuse its ISA13; each used to
    overwrite the one before, without an audit event."""
    texts = [
        sopi_po["text"].replace("PRF*ordernumber", "PRF*nosuchorder"),
        moved(sopi_po["text"], "20040810"),
        moved(sopi_po["text"], "20040812"),
    ]

    messages = [edi_ingest(data=t) for t in texts]

    assert len({msg.pk for msg in messages}) == 3
    for msg, text in zip(messages, texts, strict=True):
        msg.refresh_from_db()
        assert msg.payload == text
        assert msg.status == InboxMessage.Status.REJECTED
    assert "nosuchorder" in messages[0].reason
    assert all("different content" in msg.reason for msg in messages[1:])
    audited = AuditEvent.objects.filter(subject_type="inbox_message", action="rejected")
    assert sorted(int(e.subject_id) for e in audited) == sorted(msg.pk for msg in messages)
    assert not m.Shipment.objects.exists()


def test_a_dead_letter_fixed_with_a_new_isa13_applies(sopi_po):
    edi_ingest(data=sopi_po["text"])
    dead = edi_ingest(data=moved(sopi_po["text"], "20040819"))
    assert dead.status == InboxMessage.Status.REJECTED
    fixed = dead.payload.replace("*000000001*1*P*", "*000000002*1*P*").replace(
        "IEA*1*000000001", "IEA*1*000000002"
    )

    retried = inbox_retry(message=dead, actor=ff.user("manager"), payload=fixed)

    assert retried.status == InboxMessage.Status.APPLIED, retried.reason
    assert m.Shipment.objects.get().expected_arrival.isoformat() == "2004-08-19"


def test_upload_of_a_changed_file_reusing_an_isa13_shows_the_dead_letter(sopi_po, manager_client):
    edi_ingest(data=sopi_po["text"])
    changed = moved(sopi_po["text"], "20040819").encode()

    response = manager_client.post("/integrations/edi/", {"file": SimpleUploadedFile("changed.x12", changed)})

    dead = InboxMessage.objects.order_by("-pk").first()
    assert response.status_code == 302 and response.url == f"/integrations/inbox/{dead.pk}/"
    assert dead.status == InboxMessage.Status.REJECTED
    html = manager_client.get(response.url).content.decode()
    assert "000000001" in html and "different content" in html
    assert InboxMessage.objects.count() == 2


# -- EDIFACT ---------------------------------------------------------------------------------------------------

EDIFACT = (
    "UNA:+.? '"
    "UNB+UNOC:3+SENDER:14+DISTOPS:14+240305:0930+1'"
    "UNH+1+DESADV:D:96A:UN'"
    "BGM+351+SH-1+9'"
    "UNT+3+1'"
    "UNZ+1+1'"
)


@pytest.mark.parametrize("text", [EDIFACT, EDIFACT[len("UNA:+.? '") :]], ids=["UNA", "UNB"])
def test_edifact_is_named_as_not_supported(text):
    message = edi_ingest(data=text, filename="desadv.edi")

    assert message.status == InboxMessage.Status.REJECTED
    assert "EDIFACT" in message.reason and "not supported" in message.reason
    assert "ISA" not in message.reason.split("only X12")[0]  # not described as a file with no ISA
    assert message.errors[0]["code"] == "EDIFACT_NOT_SUPPORTED"
