"""Governance screens: who may see and change what; refusals answer 403 with the reason and are logged."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from governance.models import ApprovalTier, AutomationPolicy
from replenish.core.models import AuditEvent

from . import factories as f

pytestmark = pytest.mark.django_db

NEW_TIER = {
    "action": "purchase_order",
    "value_above": "1000",
    "value_up_to": "3000",
    "required_role": "manager",
    "effective_from": "2026-07-01",
    "effective_to": "",
}


def _client(client, role):
    user = f.user(role)
    client.force_login(user)
    return user


def test_manager_sees_the_overlap_error_on_the_field_and_nothing_is_saved(client):
    _client(client, "manager")
    response = client.post(reverse("governance:tier_new"), NEW_TIER)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="value_up_to"' in html and "overlaps tier" in html
    assert ApprovalTier.objects.count() == 18 and not AuditEvent.objects.filter(kind="policy_change").exists()


def test_manager_creates_and_deactivates_a_tier_through_the_screens(client):
    manager = _client(client, "manager")
    ApprovalTier.objects.filter(action="transfer").update(active=False)
    response = client.post(reverse("governance:tier_new"), {**NEW_TIER, "action": "transfer"})
    assert response.status_code == 302
    tier = ApprovalTier.objects.get(action="transfer", active=True)
    assert (tier.value_above, tier.value_up_to, tier.effective_from, tier.created_by) == (
        Decimal("1000"),
        Decimal("3000"),
        date(2026, 7, 1),
        manager,
    )
    response = client.post(reverse("governance:policy_deactivate", args=["tier", tier.pk]), {"version": 1})
    assert response.status_code == 302
    tier.refresh_from_db()
    assert not tier.active
    assert list(AuditEvent.objects.filter(kind="policy_change").values_list("action", flat=True)) == [
        "approval_tier_create",
        "approval_tier_update",
    ]
    page = client.get(reverse("governance:policies") + "?all=1").content.decode()
    assert f'id="tier-{tier.pk}" class="inactive"' in page


def test_manager_edits_a_policy(client):
    _client(client, "manager")
    policy = AutomationPolicy.objects.get(name="Small C-class replenishment POs")
    form = {
        "name": policy.name,
        "action": "purchase_order",
        "abc_classes": "c",
        "xyz_classes": "x",
        "min_supplier_reliability": "0.95",
        "max_value": "250",
        "min_confidence": "0.85",
        "require_no_quality_flags": "on",
        "effective_from": "2020-01-01",
        "version": "1",
    }
    assert client.post(reverse("governance:policy_edit", args=[policy.pk]), form).status_code == 302
    policy.refresh_from_db()
    assert (policy.max_value, policy.xyz_classes, policy.version) == (Decimal("250"), "X", 2)
    event = AuditEvent.objects.get(kind="policy_change")
    assert event.payload["before"]["max_value"] == "500.00" and event.payload["after"]["max_value"] == "250"


@pytest.mark.parametrize(("role", "words"), [("auditor", "read-only"), ("buyer", "Only a manager")])
def test_writes_by_auditors_and_buyers_are_refused_with_403_and_logged(client, role, words):
    user = _client(client, role)
    tier = ApprovalTier.objects.get(action="expedite", required_role="buyer")
    attempts = [
        reverse("governance:tier_new"),
        reverse("governance:tier_edit", args=[tier.pk]),
        reverse("governance:policy_deactivate", args=["tier", tier.pk]),
        reverse("governance:drift"),
    ]
    for url in attempts:
        response = client.post(url, {**NEW_TIER, "version": 1})
        assert response.status_code == 403, url
        assert words in response.content.decode()
    assert AuditEvent.objects.filter(kind="refused", actor=user).count() == len(attempts)
    tier.refresh_from_db()
    assert tier.active and tier.version == 1


def test_auditor_verifies_the_chain_from_the_audit_trail(client):
    _client(client, "manager")
    client.post(reverse("governance:tier_new"), NEW_TIER)  # refused? no: overlap error, nothing written
    client.post(
        reverse(
            "governance:policy_deactivate",
            args=["policy", AutomationPolicy.objects.get(name="Small C-class replenishment POs").pk],
        )
    )
    _client(client, "auditor")
    response = client.get(
        reverse("governance:audit_trail") + "?verify=1", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="chain-status"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Chain intact" in html and "1 event verified" in html
    assert 'id="chain-status"' in html and "<table" not in html  # just the partial


def test_buyer_cannot_open_manager_or_auditor_screens(client):
    _client(client, "buyer")
    for name in ("approvals", "policies", "kpis", "drift", "overrides", "audit_trail"):
        response = client.get(reverse(f"governance:{name}"))
        assert response.status_code == 403, name


def test_navigation_by_role(client):
    _client(client, "manager")
    html = client.get(reverse("governance:policies")).content.decode()
    for label in ("Approvals", "KPIs", "Policies", "Drift"):
        assert f">{label}" in html
    assert "Override history" not in html
    _client(client, "auditor")
    html = client.get(reverse("governance:audit_trail")).content.decode()
    assert "Override history" in html and "Audit trail" in html and ">Approvals" not in html


def test_chain_page_names_the_first_broken_event(client):
    from django.db import connection, transaction

    from replenish.core.audit import audit_record, install_immutability

    for i in range(3):
        with transaction.atomic():
            audit_record(
                kind="system", action="x", actor=None, subject_type="t", subject_id=i, payload={"i": i}
            )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("UPDATE governance_auditevent SET action = 'y' WHERE sequence = 2")
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER governance_auditevent_no_update")
            cursor.execute("UPDATE governance_auditevent SET action = 'y' WHERE sequence = 2")
            install_immutability()
    _client(client, "auditor")
    html = client.get(reverse("governance:audit_trail"), {"verify": "1"}).content.decode()
    assert "Chain BROKEN" in html and "after 1 good event" in html and "#2" in html


def test_a_manager_runs_the_drift_checks_from_the_drift_screen(client):
    from governance.models import DriftReport

    manager = _client(client, "manager")

    response = client.post(reverse("governance:drift"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("governance:drift")
    assert "Drift checks done." in response.content.decode()  # in-process Celery: the checks ran already
    report = DriftReport.objects.get()  # the task ran in-process (no broker in tests)
    assert report.triggered_by == manager
