"""Issue 13 item 3: the audit chain cannot be rewritten undetected.

Reproduces the two findings: (a) after an UPDATE with the trigger bypassed, recomputing the hashes and the head
made verify_audit report "intact"; (b) TRUNCATE (or DELETE with the triggers off) plus a head reset verified as
intact with 0 events. Now each link is keyed (HMAC, the key in the environment only) and the day's head is
checkpointed to a signed file outside the database.
"""

import hashlib
import hmac
import json
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from replenish.core.audit import GENESIS, audit_record, event_body, verify_chain
from replenish.core.checkpoints import audit_checkpoint_write, checkpoint_path
from replenish.core.models import AuditChainHead, AuditEvent

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _checkpoint_dir(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")


def _record(n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            audit_record(
                kind="decision",
                action="approve",
                actor=None,
                subject_type="exception",
                subject_id=i,
                payload={"quantity": 10 * (i + 1)},
            )


def _fields(event: AuditEvent) -> dict:
    return {
        "sequence": event.sequence,
        "kind": event.kind,
        "action": event.action,
        "actor_name": event.actor_name,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "payload": event.payload,
        "created_at": event.created_at,
    }


def _with_triggers_off(*statements: tuple[str, list]) -> None:
    """What a DBA or an attacker with the database's owner rights can do: switch the triggers off, write."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser skipping every trigger
        else:
            cursor.execute("DROP TRIGGER governance_auditevent_no_update")
            cursor.execute("DROP TRIGGER governance_auditevent_no_delete")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
    from replenish.core.audit import install_immutability

    install_immutability()


def _rewrite(sequence: int, payload: dict, sign) -> None:
    """Change one event's payload, then recompute every later link and the head with `sign` (body -> hex)."""
    statements = []
    previous = AuditEvent.objects.get(sequence=sequence - 1).hash if sequence > 1 else GENESIS
    for event in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
        fields = _fields(event) | ({"payload": payload} if event.sequence == sequence else {})
        digest = sign(event_body(previous_hash=previous, **fields))
        statements.append(
            (
                "UPDATE governance_auditevent SET payload = %s, previous_hash = %s, hash = %s WHERE sequence = %s",
                [json.dumps(fields["payload"]), previous, digest, event.sequence],
            )
        )
        previous = digest
    statements.append(("UPDATE governance_auditchainhead SET hash = %s WHERE id = 1", [previous]))
    _with_triggers_off(*statements)


def test_a_chain_recomputed_without_the_key_after_an_update_is_detected():
    # given: 5 events, intact
    _record(5)
    assert verify_chain() == (5, None)
    # when: #3's quantity is changed with the trigger bypassed, and every later link and the head recomputed as
    # before the key (plain SHA-256), then again with a guessed key
    _rewrite(3, {"quantity": 999}, lambda body: hashlib.sha256(body).hexdigest())
    # then: the first rewritten link is named
    with pytest.raises(CommandError, match=r"#3 .*keyed hash does not match"):
        call_command("verify_audit")
    _rewrite(3, {"quantity": 999}, lambda body: hmac.new(b"guessed", body, hashlib.sha256).hexdigest())
    checked, broken = verify_chain()
    assert checked == 2 and broken.sequence == 3
    assert AuditEvent.objects.get(sequence=3).payload == {"quantity": 999}  # the edit itself went through


def test_an_insider_with_the_key_who_rewrites_the_chain_is_caught_by_the_checkpoint():
    _record(5)
    call_command("verify_audit", "--checkpoint")  # the day's head, outside the database
    # rewritten with the real key: every link verifies...
    _rewrite(2, {"quantity": 1}, _keyed)
    assert verify_chain() == (5, None)
    # ...but the checkpointed head no longer matches
    with pytest.raises(CommandError, match=r"#5 differs from the checkpoint .*rewritten"):
        call_command("verify_audit")


def _keyed(body: bytes) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), body, hashlib.sha256).hexdigest()


def test_a_deletion_with_the_triggers_off_and_a_head_reset_is_caught_by_the_checkpoint(client):
    _record(4)
    audit_checkpoint_write()
    _with_triggers_off(
        ("DELETE FROM governance_auditevent", []),
        ("UPDATE governance_auditchainhead SET sequence = 0, hash = %s WHERE id = 1", [GENESIS]),
    )
    assert verify_chain() == (0, None)  # an empty chain is a valid chain: only the outside record tells
    with pytest.raises(CommandError, match=r"recorded 4 events, the chain now has 0: events were removed"):
        call_command("verify_audit")
    # the auditor's "Verify the chain" says the same
    client.force_login(f.user("auditor"))
    html = client.get(reverse("governance:audit_trail"), {"verify": "1"}).content.decode()
    assert "Chain BROKEN" in html and "events were removed" in html


@pytest.mark.postgres
def test_truncate_is_refused_and_a_truncation_with_the_triggers_off_is_detected():
    _record(3)
    with connection.cursor() as cursor:  # inside the test's transaction: check the deferred foreign keys now
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE governance_auditevent")
    assert AuditEvent.objects.count() == 3
    call_command("verify_audit", "--checkpoint")
    _with_triggers_off(
        ("TRUNCATE governance_auditevent", []),
        ("UPDATE governance_auditchainhead SET sequence = 0, hash = %s WHERE id = 1", [GENESIS]),
    )
    assert AuditEvent.objects.count() == 0
    with pytest.raises(CommandError, match=r"recorded 3 events, the chain now has 0: events were removed"):
        call_command("verify_audit")


def test_the_checkpoint_file_is_signed_line_by_line():
    _record(2)
    first = audit_checkpoint_write()
    _record(1)
    second = audit_checkpoint_write()
    assert (first.sequence, second.sequence, second.previous) == (2, 3, first.signature)
    call_command("verify_audit")
    path = checkpoint_path()
    lines = path.read_text().splitlines()
    # someone lowers the latest checkpoint to hide a deletion: the signature no longer matches
    edited = json.loads(lines[1]) | {"sequence": 1}
    path.write_text(lines[0] + "\n" + json.dumps(edited) + "\n")
    with pytest.raises(CommandError, match="line 2: its signature does not match"):
        call_command("verify_audit")
    # or removes it: the next line's chaining would break, and removing the last one is what the daily
    # checkpoint of the next day exposes; a removed first line breaks the order
    path.write_text(lines[1] + "\n")
    with pytest.raises(CommandError, match="line 1: out of order"):
        call_command("verify_audit")


def test_the_daily_checkpoint_is_a_beat_task():
    from governance.tasks import audit_checkpoint_task

    assert any(
        e["task"] == "governance.tasks.audit_checkpoint_task" for e in settings.CELERY_BEAT_SCHEDULE.values()
    )
    _record(2)
    assert audit_checkpoint_task.delay().get() == 2
    written = json.loads(checkpoint_path().read_text().splitlines()[-1])
    assert (written["sequence"], written["hash"]) == (2, AuditChainHead.objects.get(pk=1).hash)


def test_the_migration_rekeys_a_chain_written_before_the_key_and_refuses_a_tampered_one():
    keyed = import_module("replenish.core.migrations.0002_audit_keyed")
    editor = SimpleNamespace(connection=connection)
    # given: 3 events written the old way (plain SHA-256 links)
    _record(3)
    keyed.unkey(django_apps, editor)
    plain = list(AuditEvent.objects.order_by("sequence"))
    assert plain[0].hash == hashlib.sha256(event_body(previous_hash=GENESIS, **_fields(plain[0]))).hexdigest()
    assert verify_chain()[1] is not None  # the keyed verification refuses them
    # when: the migration runs
    keyed.rekey(django_apps, editor)
    # then: the same events, keyed, verify; the head follows
    assert verify_chain() == (3, None)
    assert AuditChainHead.objects.get(pk=1).hash == AuditEvent.objects.get(sequence=3).hash
    # a chain already broken before the key is not laundered
    keyed.unkey(django_apps, editor)
    _with_triggers_off(("UPDATE governance_auditevent SET action = 'reject' WHERE sequence = 2", []))
    with pytest.raises(RuntimeError, match="#2 .*does not verify under the old chain"):
        keyed.rekey(django_apps, editor)
