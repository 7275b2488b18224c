"""The admin is read-only for ledger and integration rows; its actions go through the audited services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from exceptions.models import RoutingRule
from exceptions.workflows.models import CustomerServiceTask, DomainEvent
from integrations.models import (
    ConnectorState,
    DataQualityIssue,
    EdiDocument,
    InboxMessage,
    OutboxMessage,
    SupplierAvailability,
    WmsTask,
)
from replenish import models as m
from replenish.core.models import AuditEvent

pytestmark = pytest.mark.django_db

READ_ONLY = [
    InboxMessage,
    OutboxMessage,
    ConnectorState,
    DataQualityIssue,
    EdiDocument,
    SupplierAvailability,
    WmsTask,
    AuditEvent,
    DomainEvent,
    CustomerServiceTask,
    m.Item,
    m.ItemLocation,
    m.Supplier,
    m.PurchaseOrder,
    m.PurchaseOrderLine,
    m.SalesOrder,
    m.Shipment,
    m.Receipt,
    m.DemandHistory,
    m.UomConversion,
]


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345-root")


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda model: model._meta.label)
def test_ledger_and_integration_rows_cannot_be_added_changed_or_deleted_even_by_a_superuser(model, superuser):
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]

    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)
    for inline in model_admin.get_inline_instances(request):
        assert not inline.has_add_permission(request, None) and not inline.has_change_permission(request)


def _act(client, model, action: str, pks: list[int]):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True)


def _audited(action: str, subject_id) -> list[str]:
    return list(
        AuditEvent.objects.filter(action=action, subject_id=str(subject_id)).values_list(
            "actor_name", flat=True
        )
    )


def test_admin_actions_call_the_audited_services(client, superuser):
    client.force_login(superuser)
    dead = OutboxMessage.objects.create(
        kind="expedite_request", idempotency_key="k1", payload={}, status="dead"
    )
    delivered = OutboxMessage.objects.create(
        kind="expedite_request", idempotency_key="k2", payload={}, status="delivered"
    )
    breaker = ConnectorState.objects.create(name="erp", breaker_state="open", consecutive_failures=5)
    issue = DataQualityIssue.objects.create(code="zero_cost", message="no cost", fingerprint="f1")

    page = _act(client, OutboxMessage, "requeue", [dead.pk, delivered.pk])
    _act(client, ConnectorState, "reset_breaker", [breaker.pk])
    _act(client, DataQualityIssue, "resolve", [issue.pk])

    dead.refresh_from_db()
    breaker.refresh_from_db()
    issue.refresh_from_db()
    assert dead.status == "pending" and dead.attempts == 0
    assert _audited("outbox_requeued", dead.pk) == ["root"]
    # the delivered one is refused by the service, and the page says why
    assert OutboxMessage.objects.get(pk=delivered.pk).status == "delivered"
    assert f"#{delivered.pk}: only dead-lettered messages can be requeued" in page.content.decode()
    assert breaker.breaker_state == "closed" and breaker.consecutive_failures == 0
    assert _audited("erp_breaker_reset", "erp") == ["root"]
    assert issue.status == "resolved" and _audited("data_quality_resolved", issue.pk) == ["root"]


def test_retrying_a_dead_letter_from_the_admin_processes_it_again_audited(client, superuser):
    client.force_login(superuser)
    message = InboxMessage.objects.create(
        source="files",
        external_id="bad.csv",
        kind="file.balances",
        payload="sku;location;on_hand\nNOPE;DC9;1\n",
        payload_hash="x",
        status="rejected",
        attempts=1,
        received_at="2026-01-05T10:00:00Z",
    )

    _act(client, InboxMessage, "retry", [message.pk])

    message.refresh_from_db()
    assert message.attempts == 2  # processed again (and rejected again: the SKU is still unknown)
    assert AuditEvent.objects.filter(
        kind="ingestion", subject_type="inbox_message", subject_id=str(message.pk), actor_name="root"
    ).exists()


def test_a_routing_rule_edited_in_the_admin_is_audited_with_before_and_after(client, superuser):
    client.force_login(superuser)
    rule = RoutingRule.objects.create(priority=5, team="procurement", category="Valves")
    url = reverse("admin:exceptions_routingrule_change", args=[rule.pk])

    response = client.post(
        url,
        {
            "priority": "5",
            "type": "",
            "category": "Valves",
            "team": "warehouse_control",
            "active": "on",
            "note": "moved",
        },
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="routing_rule_update", subject_id=str(rule.pk))
    assert event.actor_name == "root"
    assert event.payload["before"]["team"] == "procurement"
    assert event.payload["after"]["team"] == "warehouse_control" and event.payload["after"]["note"] == "moved"

    client.post(reverse("admin:exceptions_routingrule_delete", args=[rule.pk]), {"post": "yes"})
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert AuditEvent.objects.filter(action="routing_rule_delete", subject_id=str(rule.pk)).exists()
