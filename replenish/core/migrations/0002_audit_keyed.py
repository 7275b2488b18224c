"""The audit chain becomes keyed (issue 13 item 3): existing links, plain SHA-256 until now, are verified and then
re-written as HMAC-SHA256 with AUDIT_HMAC_KEY; TRUNCATE is refused by a trigger on PostgreSQL.

The old chain is verified link by link first: if it is already broken, the migration stops and names the link
(keying a tampered chain would hide the tampering), so run `verify_audit` on the previous release to investigate.
The append-only triggers are switched off for the re-keying only, inside the migration's transaction.
"""

import hashlib
import hmac

from django.db import migrations

TABLE = "governance_auditevent"
GENESIS = "0" * 64


def _plain(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _keyed(body: bytes) -> str:
    from replenish.core.audit import audit_key

    return hmac.new(audit_key(), body, hashlib.sha256).hexdigest()


def _triggers_off(schema_editor) -> None:
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            # deferred foreign-key checks queued earlier in the transaction would block the ALTER: run them now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")


def _triggers_on(schema_editor) -> None:
    from replenish.core.audit import install_immutability

    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
    install_immutability(schema_editor)


def _rehash(apps, schema_editor, *, old, new) -> None:
    from replenish.core.audit import event_body

    Event = apps.get_model("core", "AuditEvent")
    Head = apps.get_model("core", "AuditChainHead")
    old_previous, new_previous, changed = GENESIS, GENESIS, []
    for event in Event.objects.order_by("sequence").iterator(chunk_size=2000):
        fields = {
            "sequence": event.sequence,
            "kind": event.kind,
            "action": event.action,
            "actor_name": event.actor_name,
            "subject_type": event.subject_type,
            "subject_id": event.subject_id,
            "payload": event.payload,
            "created_at": event.created_at,
        }
        if event.previous_hash != old_previous or old(event_body(previous_hash=old_previous, **fields)) != event.hash:
            raise RuntimeError(
                f"audit event #{event.sequence} (id {event.pk}) does not verify under the old chain: not re-keying "
                "a chain that was already tampered with (run verify_audit on the previous release)"
            )
        old_previous = event.hash
        event.previous_hash = new_previous
        event.hash = new(event_body(previous_hash=new_previous, **fields))
        new_previous = event.hash
        changed.append(event)
    if not changed:
        return
    _triggers_off(schema_editor)
    for start in range(0, len(changed), 1000):
        Event.objects.bulk_update(changed[start : start + 1000], ["previous_hash", "hash"])
    _triggers_on(schema_editor)
    Head.objects.filter(pk=1, hash=old_previous).update(hash=new_previous)


def rekey(apps, schema_editor):
    _rehash(apps, schema_editor, old=_plain, new=_keyed)
    from replenish.core.audit import install_immutability

    install_immutability(schema_editor)  # and the TRUNCATE trigger on PostgreSQL


def unkey(apps, schema_editor):
    _rehash(apps, schema_editor, old=_keyed, new=_plain)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(rekey, unkey)]
