"""Webhooks: HMAC over timestamp and raw body, tolerance both ways, secret rotation, idempotent event ids,
out-of-order versions; WMS tasks and labor capacity by events and by files."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from integrations.files.importers import file_import
from integrations.models import InboxMessage, LaborCapacity, WebhookEndpoint, WmsTask
from integrations.webhooks import sign_headers, webhook_secret_rotate
from replenish import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/integrations/webhooks/wms/"


@pytest.fixture
def wms():
    endpoint, _ = webhook_secret_rotate(source="wms", actor=None, new_secret="first-secret")
    f.location(code="DC1")
    f.item(sku="SKU-1")
    return endpoint


def task_event(event_id: str = "evt-1", version: int | None = 1, **data) -> bytes:
    record = {
        "task_id": "T-1",
        "kind": "pick",
        "location": "DC1",
        "sku": "SKU-1",
        "quantity": 6,
        "due_at": "2024-03-05T14:00:00-06:00",
        "wave": "W1",
        "priority": 2,
        **data,
    }
    event = {"id": event_id, "type": "wms_tasks.upsert", "data": record}
    if version is not None:
        event["version"] = version
    return json.dumps(event).encode()


def post(
    body: bytes, *, secret: str = "first-secret", timestamp: int | None = None, headers: dict | None = None
):
    client = Client(enforce_csrf_checks=True)
    signed = headers if headers is not None else sign_headers(secret, body, timestamp=timestamp)
    return client.post(URL, data=body, content_type="application/json", headers=signed)


def test_signed_event_is_applied_without_session_or_csrf(wms):
    response = post(task_event())

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "applied"
    task = WmsTask.objects.get()
    assert (task.external_id, task.kind, task.quantity, task.wave, task.priority) == (
        "T-1",
        "pick",
        6,
        "W1",
        2,
    )
    assert task.due_at == datetime(2024, 3, 5, 20, 0, tzinfo=UTC)
    assert not response.cookies


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"secret": "wrong-secret"}, "the signature does not match"),
        ({"timestamp": -305}, "s old; at most 300 s either way"),
        ({"timestamp": +305}, "s in the future; at most 300 s"),
        ({"headers": {}}, "X-DistOps-Timestamp header is missing"),
        ({"headers": {"X-DistOps-Timestamp": "now"}}, "X-DistOps-Signature header is missing"),
    ],
)
def test_bad_signature_or_stale_timestamp_is_400_and_stores_nothing(wms, change, fragment):
    if "timestamp" in change:
        change = {"timestamp": int(time.time()) + change["timestamp"]}  # an offset from now
    # "now" when the test runs, not at collection (a long suite reached it more than 300 s later)
    if change.get("headers", {}).get("X-DistOps-Timestamp") == "now":
        change = {"headers": {"X-DistOps-Timestamp": str(int(time.time()))}}
    response = post(task_event(), **change)

    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert not InboxMessage.objects.exists() and not WmsTask.objects.exists()


def test_the_signature_covers_the_raw_body(wms):
    body = task_event()
    headers = sign_headers("first-secret", body)

    response = post(body.replace(b'"quantity": 6', b'"quantity": 600'), headers=headers)

    assert response.status_code == 400


def test_rotation_keeps_the_previous_secret_until_its_deadline(wms):
    webhook_secret_rotate(source="wms", actor=None, new_secret="second-secret", grace=timedelta(hours=1))

    assert post(task_event("e-old"), secret="first-secret").status_code == 200
    assert post(task_event("e-new", version=2), secret="second-secret").status_code == 200

    WebhookEndpoint.objects.filter(source="wms").update(
        previous_valid_until=timezone.now() - timedelta(seconds=1)
    )
    assert post(task_event("e-late", version=3), secret="first-secret").status_code == 400


def test_replayed_event_is_200_and_changes_nothing(wms):
    post(task_event("evt-9", quantity=6))
    WmsTask.objects.update(quantity=8)  # the WMS corrected it by another channel since

    response = post(task_event("evt-9", quantity=6))

    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    assert WmsTask.objects.get().quantity == 8
    message = InboxMessage.objects.get()
    assert message.replays == 1


def test_an_older_version_arriving_late_is_recorded_and_ignored(wms):
    assert post(task_event("e-5", version=5, quantity=50)).json()["status"] == "applied"

    response = post(task_event("e-3", version=3, quantity=30))

    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert (
        "version 3 of wms_tasks 'T-1' is not newer than the version 5 already applied"
        in response.json()["reason"]
    )
    assert WmsTask.objects.get().quantity == 50
    assert InboxMessage.objects.get(external_id="e-3").status == InboxMessage.Status.IGNORED

    post(task_event("e-6", version=6, quantity=60))
    assert WmsTask.objects.get().quantity == 60


def test_an_invalid_event_is_a_dead_letter_with_its_reason(wms):
    response = post(task_event("e-bad", sku="NOPE", quantity=0))

    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "rejected"
    messages = {e["message"] for e in body["errors"]}
    assert "must be at least 1" in messages
    assert InboxMessage.objects.get().status == InboxMessage.Status.REJECTED


def test_unknown_source_is_404_and_get_is_not_allowed(wms):
    client = Client()
    assert (
        client.post("/integrations/webhooks/nobody/", data=b"{}", content_type="application/json").status_code
        == 404
    )
    assert client.get(URL).status_code == 405


def test_labor_capacity_and_balance_events(wms):
    il = m.ItemLocation.objects.create(
        item=m.Item.objects.get(sku="SKU-1"),
        location=m.Location.objects.get(code="DC1"),
        on_hand=5,
        external_id="il",
    )
    labor = {
        "id": "lab-1",
        "type": "labor_capacity.upsert",
        "version": 1,
        "data": {"location": "DC1", "date": "2024-03-06", "shift": "day", "available_hours": "62.5"},
    }
    balance = {
        "id": "bal-1",
        "type": "balances.upsert",
        "version": 1,
        "data": {"sku": "SKU-1", "location": "DC1", "on_hand": 17},
    }

    assert post(json.dumps(labor).encode()).status_code == 200
    assert post(json.dumps(balance).encode()).status_code == 200

    capacity = LaborCapacity.objects.get()
    assert (capacity.date, capacity.shift, capacity.available_hours) == (
        date(2024, 3, 6),
        "day",
        Decimal("62.50"),
    )
    il.refresh_from_db()
    assert il.on_hand == 17


def test_wms_tasks_and_labor_capacity_from_files(wms):
    tasks = (
        b"task_id,kind,location,sku,quantity,due_at,wave,status,priority\n"
        b"R-1,replenishment,DC1,SKU-1,24,2024-03-05T08:00,W2,released,1\n"
        b"P-1,pick,DC1,SKU-1,2,2024-03-05T09:30,W2,,\n"
    )
    labor = b"location,date,shift,available_hours\nDC1,2024-03-05,day,80\nDC1,2024-03-05,night,40.5\n"

    assert file_import(kind="wms_tasks", data=tasks).status == InboxMessage.Status.APPLIED
    assert file_import(kind="labor_capacity", data=labor).status == InboxMessage.Status.APPLIED

    assert list(
        WmsTask.objects.order_by("external_id").values_list("external_id", "kind", "status", "priority")
    ) == [("P-1", "pick", "open", 5), ("R-1", "replenishment", "released", 1)]
    assert sum(LaborCapacity.objects.values_list("available_hours", flat=True)) == Decimal("120.5")
