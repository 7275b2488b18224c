"""The outbox relay against the reference ERP over HTTP: delivery, retries with backoff, dead letters, duplicate
deliveries, the breaker, abandoned leases; audit events and posting_completed on each outcome."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from integrations import conf
from integrations.models import ConnectorState, OutboxMessage, PostingAttempt
from integrations.outbox import backoff_delay, outbox_relay, outbox_requeue
from integrations.services import outbox_enqueue
from integrations.signals import posting_completed
from replenish.core.models import AuditEvent
from tests import factories as f
from tests.integrations import factories as ff

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    calls: list[dict] = []

    def receiver(sender, message, ok, outcome, **kwargs):
        calls.append({"message": message.pk, "ok": ok, "outcome": outcome})

    posting_completed.connect(receiver, dispatch_uid="test-outbox-receiver")
    yield calls
    posting_completed.disconnect(dispatch_uid="test-outbox-receiver")


def enqueue(key: str = "exc-7-approve-v3", kind: str = "expedite_request", **payload) -> OutboxMessage:
    with transaction.atomic():
        return outbox_enqueue(
            kind=kind,
            idempotency_key=key,
            payload=payload or {"po_number": "P1", "line": 1, "new_date": "2024-05-01"},
            subject_type="exception",
            subject_id=7,
        )


def make_due(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_delivery_records_the_transaction_id_audits_and_signals(erp, received):
    message = enqueue()

    report = outbox_relay()

    message.refresh_from_db()
    stats = erp.stats()
    assert (report.claimed, report.delivered) == (1, 1)
    assert (message.status, message.attempts) == ("delivered", 1)
    assert message.erp_transaction_id == stats["applied"][0]["transaction_id"] == "ERP-TX-000001"
    assert stats["applied"][0]["key"] == "exc-7-approve-v3"
    assert stats["applied"][0]["body"]["reference"] == "exception:7"
    event = AuditEvent.objects.get(kind="posting")
    assert (event.action, event.subject_type, event.subject_id) == ("delivered", "exception", "7")
    assert event.payload["transaction_id"] == "ERP-TX-000001"
    assert received == [{"message": message.pk, "ok": True, "outcome": message.outcome}]
    assert PostingAttempt.objects.get().ok


def test_the_same_decision_twice_is_one_message():
    first = enqueue(key="k-1")
    second = enqueue(key="k-1")
    assert first.pk == second.pk and OutboxMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="same transaction as the decision"):
        outbox_enqueue(kind="create_po", idempotency_key="x", payload={})


def test_5xx_waits_with_backoff_then_delivers_once(erp, received, settings):
    settings.DISTOPS_OUTBOX_BACKOFF_BASE_SECONDS = 30
    erp.faults(post=[{"status": 502}])
    message = enqueue()
    before = timezone.now()

    outbox_relay()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "502" in message.last_error
    assert timedelta(seconds=29) < message.next_attempt_at - before < timedelta(seconds=31)
    assert outbox_relay().claimed == 0  # not due yet
    assert received == [] and not AuditEvent.objects.filter(kind="posting").exists()

    make_due(message)
    outbox_relay()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 2)
    stats = erp.stats()
    assert (stats["posts_received"], stats["distinct_keys"], len(stats["applied"])) == (2, 1, 1)


def test_timeout_after_the_erp_applied_is_not_a_duplicate_post(erp, settings):
    settings.DISTOPS_ERP_TIMEOUT = 0.3
    erp.faults(post=[{"delay": 1.0, "after": True}])  # the ERP commits, then answers too late
    message = enqueue()

    outbox_relay()
    message.refresh_from_db()
    assert message.status == "failed" and "did not answer" in message.last_error

    make_due(message)
    outbox_relay()

    message.refresh_from_db()
    stats = erp.stats()
    assert message.status == "delivered" and message.outcome["duplicate"] is True
    assert message.erp_transaction_id == stats["applied"][0]["transaction_id"]
    assert (stats["posts_received"], stats["distinct_keys"], len(stats["applied"])) == (2, 1, 1)
    assert [a.duplicate for a in PostingAttempt.objects.order_by("number")] == [False, True]


def test_dead_letter_after_max_attempts_with_audit_and_signal(erp, received, settings):
    settings.DISTOPS_OUTBOX_MAX_ATTEMPTS = 3
    settings.DISTOPS_ERP_BREAKER_THRESHOLD = 10
    erp.faults(post=[{"status": 500}] * 5)
    message = enqueue()

    for _ in range(3):
        make_due(message)
        outbox_relay()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 3)
    assert "gave up after 3 attempts" in message.last_error
    event = AuditEvent.objects.get(kind="posting")
    assert event.action == "dead" and "500" in event.payload["error"]
    assert received == [{"message": message.pk, "ok": False, "outcome": message.outcome}]
    assert erp.stats()["applied"] == []


def test_a_permanent_refusal_is_dead_at_once(erp, received):
    message = enqueue(kind="create_po", key="bad-po", lines=[])

    outbox_relay()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 1)
    assert "422" in message.last_error and received[0]["ok"] is False


def test_erp_down_opens_the_breaker_and_nothing_is_lost_or_dead(settings):
    settings.DISTOPS_ERP_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    settings.DISTOPS_ERP_BREAKER_THRESHOLD = 2
    messages = [enqueue(key=f"k-{i}") for i in range(4)]

    report = outbox_relay()

    assert report.breaker_open and report.retrying == 2 and report.released == 2
    state = ConnectorState.objects.get(name="erp")
    assert state.breaker_state == "open" and "unreachable" in state.last_error
    statuses = sorted(OutboxMessage.objects.values_list("status", "attempts"))
    assert statuses == [
        ("failed", 0),
        ("failed", 0),
        ("failed", 1),
        ("failed", 1),
    ]  # released claims: no attempt
    for message in messages:
        make_due(message)
    assert outbox_relay().claimed == 0  # the breaker is open: no call, no claim
    assert AuditEvent.objects.filter(kind="system", action="erp_breaker_opened").count() == 1


def test_an_abandoned_lease_is_claimed_again_and_posted_with_the_same_key(erp):
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="sending",
        attempts=1,
        claimed_by="dead-worker",
        claimed_until=timezone.now() - timedelta(seconds=1),
    )
    fresh = enqueue(key="other")
    OutboxMessage.objects.filter(pk=fresh.pk).update(
        status="sending",
        attempts=1,
        claimed_by="busy-worker",
        claimed_until=timezone.now() + timedelta(minutes=1),
    )

    report = outbox_relay(worker="rescuer")

    message.refresh_from_db()
    assert report.delivered == 1 and message.status == "delivered" and message.attempts == 2
    assert OutboxMessage.objects.get(pk=fresh.pk).status == "sending"  # a live lease is left alone
    assert [a["key"] for a in erp.stats()["applied"]] == ["exc-7-approve-v3"]


def test_ids_in_the_payload_are_sent_as_codes(erp):
    il = f.item_location(item=f.item(sku="SKU-9"), location=f.location(code="DC9"))
    supplier = f.supplier(code="SUP9")
    po_line = f.purchase_order_line(item_location=il)
    enqueue(
        kind="change_po",
        key="ids",
        item_location_id=il.pk,
        supplier_id=supplier.pk,
        po_line_id=po_line.pk,
        quantity=5,
    )

    outbox_relay()

    body = erp.stats()["applied"][0]["body"]
    assert (body["sku"], body["location"], body["supplier"], body["po_number"], body["line"]) == (
        "SKU-9",
        "DC9",
        "SUP9",
        po_line.order.number,
        1,
    )


def test_an_action_naming_a_missing_row_is_dead_with_the_reason(erp):
    enqueue(kind="transfer_order", key="gone", item_location_id=999999, quantity=3)

    outbox_relay()

    message = OutboxMessage.objects.get()
    assert message.status == "dead" and "SKU-location 999999, which does not exist" in message.last_error
    assert erp.stats()["posts_received"] == 0


def test_requeue_a_dead_letter(erp, settings):
    settings.DISTOPS_OUTBOX_MAX_ATTEMPTS = 1
    erp.faults(post=[{"status": 500}])
    message = enqueue()
    outbox_relay()
    message.refresh_from_db()
    assert message.status == "dead"

    outbox_requeue(message=message, actor=ff.user("administrator"))
    outbox_relay()

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("delivered", 1)
    assert AuditEvent.objects.filter(kind="system", action="outbox_requeued").count() == 1


def test_backoff_doubles_and_stays_below_the_broker_visibility_timeout(settings):
    settings.DISTOPS_OUTBOX_BACKOFF_BASE_SECONDS = 5
    assert [backoff_delay(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert backoff_delay(40) == conf.outbox_backoff_cap() < visibility


def test_a_failing_receiver_does_not_undo_the_recorded_outcome(erp):
    def broken(**kwargs):
        raise RuntimeError("receiver bug")

    posting_completed.connect(broken, dispatch_uid="broken")
    try:
        enqueue()
        outbox_relay()
    finally:
        posting_completed.disconnect(dispatch_uid="broken")

    message = OutboxMessage.objects.get()
    assert message.status == "delivered" and message.outcome["receiver_error"] is True
    assert AuditEvent.objects.filter(kind="posting", action="delivered").count() == 1


@pytest.mark.django_db(transaction=True)
def test_commit_triggers_the_relay_and_a_dead_broker_loses_nothing(erp):
    from integrations.tasks import outbox_relay_task

    outbox_relay_task.app.conf.task_always_eager = (
        True  # the relay runs in this process (conftest restores it)
    )
    with mock.patch("integrations.tasks.outbox_relay_task.apply_async", side_effect=OSError("broker down")):
        message = enqueue(key="while-the-broker-is-down")
    message.refresh_from_db()
    assert message.status == "pending" and erp.stats()["posts_received"] == 0

    message2 = enqueue(key="after-the-broker-is-back")  # the commit runs the relay, which takes both

    assert OutboxMessage.objects.get(pk=message.pk).status == "delivered"
    assert OutboxMessage.objects.get(pk=message2.pk).status == "delivered"
    assert erp.stats()["distinct_keys"] == 2


def test_the_exceptions_payload_shape_is_posted_with_codes_and_dates(erp):
    il = f.item_location(item=f.item(sku="SKU-7"), location=f.location(code="DC7"))
    supplier = f.supplier(code="SUP7")
    enqueue(
        kind="create_po",
        key="exc-9:approve:v1",
        item_location_id=il.pk,
        location_id=il.location_id,
        quantity=120,
        date="2024-05-06",
        supplier_id=supplier.pk,
        decision="approve",
        exception_id=9,
    )

    outbox_relay()

    body = erp.stats()["applied"][0]["body"]
    assert (body["sku"], body["location"], body["supplier"], body["quantity"], body["due_date"]) == (
        "SKU-7",
        "DC7",
        "SUP7",
        120,
        "2024-05-06",
    )
    assert OutboxMessage.objects.get().status == "delivered"


def test_enqueue_many_writes_each_message_once_and_keeps_an_existing_key():
    """outbox_enqueue_many (a refresh's auto-executions; COPY through a temporary table on PostgreSQL): every field
    as given, ids in the given order, timestamps set, and a key already queued left exactly as it was."""
    from integrations.services import outbox_enqueue_many

    first = enqueue(key="exception-1-create_po", kind="create_po", quantity=1)
    messages = [
        {
            "kind": "transfer_order",
            "idempotency_key": f"exception-{n}-transfer_order",
            "payload": {"quantity": n, "amount": "12.50", "lines": None, "note": 'say "hi"\tand\nbye'},
            "subject_type": "exception",
            "subject_id": n,
        }
        for n in (5, 3, 9)
    ]
    messages.append({**messages[0], "idempotency_key": "exception-1-create_po", "payload": {"quantity": 99}})
    with transaction.atomic():
        assert outbox_enqueue_many(messages) == 4
    rows = list(OutboxMessage.objects.exclude(pk=first.pk).order_by("pk"))
    assert [m.idempotency_key for m in rows] == [m["idempotency_key"] for m in messages[:3]]
    for row, given in zip(rows, messages):
        assert (row.kind, row.payload, row.subject_type, row.subject_id) == (
            given["kind"],
            given["payload"],
            "exception",
            str(given["subject_id"]),
        )
        assert row.status == OutboxMessage.Status.PENDING and row.attempts == 0 and row.created_at is not None
        assert row.outcome == {}
    first.refresh_from_db()
    assert first.payload["quantity"] == 1 and first.kind == "create_po"


def test_enqueue_many_with_new_keys_only_writes_each_once_in_order():
    """The common case of a refresh (every key new: one COPY straight into the table on PostgreSQL, no temporary
    table): each message once, in the given order, as given; a repeated call with the same keys writes nothing."""
    from integrations.services import outbox_enqueue_many

    messages = [
        {
            "kind": "create_po",
            "idempotency_key": f"exception-{n}-create_po",
            "payload": {"quantity": n, "amount": f"{n}.25"},
            "subject_type": "exception",
            "subject_id": n,
        }
        for n in (8, 2, 6)
    ]
    with transaction.atomic():
        assert outbox_enqueue_many(messages) == 3
    rows = list(OutboxMessage.objects.order_by("pk").values_list("idempotency_key", "payload", "subject_id"))
    assert rows == [(m["idempotency_key"], m["payload"], str(m["subject_id"])) for m in messages]
    with transaction.atomic():
        outbox_enqueue_many([{**m, "payload": {"quantity": -1}} for m in messages])
    assert (
        list(OutboxMessage.objects.order_by("pk").values_list("idempotency_key", "payload", "subject_id"))
        == rows
    )
