"""The inbox pipeline itself: replays, corrected resends, retries, database refusals, the re-plan signal."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.db import transaction

from integrations.inbound import NotRetryable, Outcome, register
from integrations.inbox import inbox_ingest, inbox_process, inbox_receive, inbox_retry
from integrations.models import InboxMessage
from integrations.signals import inbound_applied
from replenish import models as m
from replenish.core.models import AuditEvent
from tests import factories as f
from tests.integrations import factories as ff

pytestmark = pytest.mark.django_db


@register("test.duplicate-sku")
def _make_a_duplicate(message, _context):
    m.Item.objects.create(sku="DUP", description="x", unit_cost=1, unit_price=1, external_id="d1")
    m.Item.objects.create(sku="DUP", description="y", unit_cost=1, unit_price=1, external_id="d2")
    return Outcome()


@register("test.touch")
def _touch(message, _context):
    return Outcome(summary={"ok": True}, item_location_ids={int(message.payload)})


def test_receive_is_idempotent_by_source_and_external_id():
    first, new = inbox_receive(source="s", external_id="e1", kind="test.touch", payload="1")
    again, new_again = inbox_receive(source="s", external_id="e1", kind="test.touch", payload="1")
    other, _ = inbox_receive(source="t", external_id="e1", kind="test.touch", payload="1")

    assert new and new_again  # not processed yet: the second receive may process it
    assert first.pk == again.pk != other.pk and again.replays == 1


def test_a_database_refusal_rejects_the_message_and_keeps_nothing():
    message, _ = inbox_ingest(source="s", external_id="dup", kind="test.duplicate-sku", payload="")

    assert message.status == InboxMessage.Status.REJECTED
    assert message.reason.startswith("the database refused the change")
    assert not m.Item.objects.filter(sku="DUP").exists()


def test_a_rejected_event_resent_corrected_under_its_id_is_processed_again():
    f.location(code="DC1")
    f.item(sku="SKU-1")
    bad = json.dumps(
        {"id": "e", "type": "balances.upsert", "data": {"sku": "SKU-1", "location": "DC1", "on_hand": -3}}
    )
    good = bad.replace("-3", "3")

    first, _ = inbox_ingest(source="webhook:erp", external_id="e", kind="webhook.event", payload=bad)
    second, processed = inbox_ingest(
        source="webhook:erp", external_id="e", kind="webhook.event", payload=good
    )

    assert first.pk == second.pk and processed and second.status == InboxMessage.Status.APPLIED
    assert m.ItemLocation.objects.get().on_hand == 3
    same_again, processed_again = inbox_ingest(
        source="webhook:erp", external_id="e", kind="webhook.event", payload=bad
    )
    assert not processed_again and same_again.status == InboxMessage.Status.APPLIED
    # the corrected resend replaced the rejected payload: audited with the hash of what it replaced
    resent = AuditEvent.objects.get(subject_type="inbox_message", subject_id=str(first.pk), action="resent")
    assert resent.payload["previous_hash"] == hashlib.sha256(bad.encode()).hexdigest()
    assert resent.payload["payload_hash"] == hashlib.sha256(good.encode()).hexdigest()
    assert same_again.meta["replaced_hashes"] == [resent.payload["previous_hash"]]


def test_only_dead_letters_can_be_retried():
    message, _ = inbox_ingest(source="s", external_id="ok", kind="test.touch", payload="1")

    with pytest.raises(NotRetryable, match="only rejected or partly applied"):
        inbox_retry(message=message, actor=ff.user("manager"))


def test_processing_twice_does_not_apply_twice():
    message, _ = inbox_ingest(source="s", external_id="once", kind="test.touch", payload="1")

    again = inbox_process(message_id=message.pk)

    assert again.attempts == 1 and again.status == InboxMessage.Status.APPLIED


@pytest.mark.django_db(transaction=True)
def test_inbound_applied_is_sent_with_the_touched_sku_locations():
    seen = []

    def receiver(sender, message, item_location_ids, **kwargs):
        seen.append(item_location_ids)

    inbound_applied.connect(receiver, dispatch_uid="test-inbound")
    try:
        inbox_ingest(source="s", external_id="sig", kind="test.touch", payload="42")
    finally:
        inbound_applied.disconnect(dispatch_uid="test-inbound")

    assert seen == [[42]]


def test_every_inbound_handler_is_registered_when_the_app_is_ready():
    # the handler modules are imported by IntegrationsConfig.ready(), not by the inbox on first use
    from integrations import edi_ingest, webhooks
    from integrations.erp import sync
    from integrations.files import importers
    from integrations.inbound import handler_for

    assert handler_for("edi.x12") is edi_ingest.handle_x12
    assert handler_for("webhook.event").__module__ == webhooks.__name__
    assert handler_for("erp.items").__module__ == sync.__name__
    assert handler_for("file.items").__module__ == importers.__name__
    with pytest.raises(KeyError, match="no handler for inbound messages of kind 'nope'"):
        handler_for("nope")


def test_an_outcome_is_applied_unless_said_otherwise():
    # integrations.inbound is a leaf (no model import), so its default is the status's value, held equal here
    assert Outcome().status == InboxMessage.Status.APPLIED


@pytest.mark.django_db(transaction=True)
def test_inbound_applied_is_sent_inside_the_applying_transaction():
    # a receiver's rows commit with the applied message or not at all (the domain event's transactional outbox)
    def failing_receiver(sender, message, item_location_ids, **kwargs):
        assert transaction.get_connection().in_atomic_block
        raise RuntimeError("the receiver could not record its event")

    inbound_applied.connect(failing_receiver, dispatch_uid="test-inbound-fails")
    try:
        with pytest.raises(RuntimeError, match="could not record"):
            inbox_ingest(source="s", external_id="rolled-back", kind="test.touch", payload="7")
    finally:
        inbound_applied.disconnect(dispatch_uid="test-inbound-fails")

    message = InboxMessage.objects.get(external_id="rolled-back")
    assert message.status == InboxMessage.Status.RECEIVED and message.attempts == 0
