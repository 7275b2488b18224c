import hashlib
import hmac
from datetime import UTC

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from replenish.core.audit import GENESIS, audit_record, verify_chain
from replenish.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _record(n: int, actor=None) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    kind="decision",
                    action="approve",
                    actor=actor,
                    subject_type="exception",
                    subject_id=i,
                    payload={"quantity": i * 10, "reason": "ok"},
                )
            )
    return events


def test_chain_links_each_event_to_the_previous_hash():
    events = _record(3)
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[0].previous_hash == GENESIS
    assert events[1].previous_hash == events[0].hash and events[2].previous_hash == events[1].hash
    # recompute the first link independently of the writer: HMAC-SHA256 keyed with AUDIT_HMAC_KEY
    e = AuditEvent.objects.get(sequence=1)
    created = e.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    body = (
        '{"action":"approve","actor":"system","created_at":"' + created + '","kind":"decision",'
        '"payload":{"quantity":0,"reason":"ok"},"previous_hash":"' + GENESIS + '","sequence":1,'
        '"subject_id":"0","subject_type":"exception"}'
    )
    key = settings.AUDIT_HMAC_KEY.encode()
    assert e.hash == hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    assert (
        e.hash != hashlib.sha256(body.encode()).hexdigest()
    )  # keyed, not a plain hash anyone could recompute
    assert verify_chain() == (3, None)


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="same transaction"):
        audit_record(kind="system", action="x", actor=None, subject_type="t", subject_id=1)


def test_update_and_delete_are_refused_by_the_database():
    _record(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(sequence=1).update(action="reject")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(sequence=2).delete()
    assert AuditEvent.objects.count() == 2


def _tamper(sql: str, params: list) -> None:
    """Edit behind the application's back, as a DBA could: switch the trigger off, change, switch it on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser skipping every trigger
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER governance_auditevent_no_update")
            cursor.execute("DROP TRIGGER governance_auditevent_no_delete")
            cursor.execute(sql, params)
            from replenish.core.audit import install_immutability

            install_immutability()


def test_verify_audit_names_the_first_edited_event():
    _record(5)
    call_command("verify_audit")  # intact
    _tamper(
        "UPDATE governance_auditevent SET payload = %s WHERE sequence = 3",
        ['{"quantity": 999, "reason": "ok"}'],
    )
    with pytest.raises(CommandError, match=r"#3 .*changed after it was written"):
        call_command("verify_audit")


def test_verify_audit_detects_a_removed_event_and_a_removed_tail():
    _record(4)
    _tamper("DELETE FROM governance_auditevent WHERE sequence = %s", [2])
    checked, broken = verify_chain()
    assert checked == 1 and broken.sequence == 3 and "missing" in broken.problem


def test_verify_audit_detects_a_truncated_tail():
    _record(4)
    _tamper("DELETE FROM governance_auditevent WHERE sequence = %s", [4])
    checked, broken = verify_chain()
    assert checked == 3 and broken is not None and "removed" in broken.problem
