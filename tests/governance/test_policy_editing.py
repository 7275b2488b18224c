"""Editing tiers and policies: managers only, overlap refused, every change audited with before/after."""

from datetime import date
from decimal import Decimal

import pytest

from governance.models import ApprovalTier, AutomationPolicy
from governance.policy import approval_requirement
from governance.services import policy_deactivate, policy_save, tier_deactivate, tier_save
from replenish.core.audit import verify_chain
from replenish.core.errors import InvalidInput, NotAllowed, StaleVersion
from replenish.core.models import AuditEvent

from . import factories as f

pytestmark = pytest.mark.django_db


def test_manager_changes_a_tier_and_the_change_is_audited_with_before_and_after():
    manager = f.user("manager")
    tier = ApprovalTier.objects.get(action="purchase_order", required_role="buyer")
    # when
    tier_save(actor=manager, tier_id=tier.pk, version=tier.version, data={"value_up_to": Decimal("2500")})
    # then: the 2,500-5,000 gap is now uncovered, so a manager decides (fallback) - and the event is on the chain
    tier.refresh_from_db()
    assert tier.version == 2 and tier.updated_by == manager
    event = AuditEvent.objects.get(kind="policy_change")
    assert (event.action, event.subject_type, event.subject_id, event.actor) == (
        "approval_tier_update",
        "approval_tier",
        str(tier.pk),
        manager,
    )
    assert event.payload["before"]["value_up_to"] == "5000.00"
    assert event.payload["after"]["value_up_to"] == "2500"
    assert (
        approval_requirement(action="purchase_order", value=Decimal("3000"), on=date(2026, 1, 5)).tier_id
        is None
    )
    assert verify_chain() == (1, None)


def test_buyer_and_auditor_cannot_edit_and_the_attempt_is_logged():
    tier = ApprovalTier.objects.get(action="expedite", required_role="buyer")
    for role in ("buyer", "auditor"):
        actor = f.user(role)
        with pytest.raises(NotAllowed, match="Only a manager"):
            tier_save(actor=actor, tier_id=tier.pk, data={"value_up_to": Decimal("999999")})
        refused = AuditEvent.objects.filter(kind="refused", actor=actor).get()
        assert refused.action == "tier_update" and refused.subject_id == str(tier.pk)
    tier.refresh_from_db()
    assert tier.value_up_to == Decimal("5000") and tier.version == 1
    assert not AuditEvent.objects.filter(kind="policy_change").exists()


def test_overlapping_band_is_refused_by_the_service_naming_the_field():
    manager = f.user("manager")
    with pytest.raises(InvalidInput) as err:
        tier_save(
            actor=manager,
            data={
                "action": "purchase_order",
                "value_above": Decimal("1000"),
                "value_up_to": Decimal("3000"),
                "required_role": "manager",
                "effective_from": date(2026, 7, 1),
            },
        )
    assert "value_up_to" in err.value.errors and "overlaps tier" in err.value.errors["value_up_to"]
    assert ApprovalTier.objects.count() == 18
    # retiring the seeded band first, then adding a new split, works
    old = ApprovalTier.objects.get(action="purchase_order", required_role="buyer")
    tier_save(actor=manager, tier_id=old.pk, version=1, data={"effective_to": date(2026, 6, 30)})
    tier_save(
        actor=manager,
        data={
            "action": "purchase_order",
            "value_up_to": Decimal("1000"),
            "required_role": "buyer",
            "effective_from": date(2026, 7, 1),
        },
    )
    tier_save(
        actor=manager,
        data={
            "action": "purchase_order",
            "value_above": Decimal("1000"),
            "value_up_to": Decimal("5000"),
            "required_role": "manager",
            "effective_from": date(2026, 7, 1),
        },
    )
    assert (
        approval_requirement(action="purchase_order", value=Decimal("2000"), on=date(2026, 6, 30)).role
        == "buyer"
    )
    assert (
        approval_requirement(action="purchase_order", value=Decimal("2000"), on=date(2026, 7, 1)).role
        == "manager"
    )
    assert AuditEvent.objects.filter(kind="policy_change").count() == 3


def test_stale_version_is_refused():
    manager = f.user("manager")
    tier = ApprovalTier.objects.get(action="cancel", required_role="director")
    tier_save(actor=manager, tier_id=tier.pk, version=1, data={"required_role": "manager"})
    with pytest.raises(StaleVersion, match="changed by someone else"):
        tier_save(actor=manager, tier_id=tier.pk, version=1, data={"required_role": "buyer"})


def test_deactivating_a_tier_and_a_policy_is_audited():
    manager = f.user("manager")
    tier = ApprovalTier.objects.get(action="transfer", required_role="buyer")
    tier_deactivate(actor=manager, tier_id=tier.pk, version=1)
    policy = AutomationPolicy.objects.get(name="Small C-class replenishment POs")
    policy_deactivate(actor=manager, policy_id=policy.pk, version=1)
    events = list(AuditEvent.objects.filter(kind="policy_change").order_by("sequence"))
    assert [(e.payload["before"]["active"], e.payload["after"]["active"]) for e in events] == [
        (True, False)
    ] * 2
    assert events[1].subject_type == "automation_policy"


def test_policy_validation_names_the_field():
    manager = f.user("manager")
    with pytest.raises(InvalidInput) as err:
        policy_save(
            actor=manager,
            data={
                "name": "x",
                "action": "purchase_order",
                "abc_classes": "CQ",
                "xyz_classes": "X",
                "max_value": Decimal("100"),
                "min_confidence": 0.9,
                "min_supplier_reliability": 0.9,
                "effective_from": date(2026, 1, 1),
            },
        )
    assert set(err.value.errors) == {"abc_classes"}
    created = policy_save(
        actor=manager,
        data={
            "name": "B items",
            "action": "expedite",
            "abc_classes": "b c",
            "xyz_classes": "x",
            "max_value": Decimal("100"),
            "min_confidence": 0.9,
            "min_supplier_reliability": 0.95,
            "effective_from": date(2026, 1, 1),
        },
    )
    assert (created.abc_classes, created.xyz_classes, created.created_by) == ("BC", "X", manager)
    assert AuditEvent.objects.get(kind="policy_change").action == "automation_policy_create"


@pytest.mark.postgres
def test_postgres_refuses_overlapping_active_tiers_even_past_the_service():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError, match="approvaltier_no_overlap"), transaction.atomic():
        ApprovalTier.objects.create(
            action="purchase_order",
            value_above=Decimal("100"),
            value_up_to=Decimal("200"),
            required_role="manager",
            effective_from=date(2026, 1, 1),
        )
    # inactive rows and adjacent bands are allowed
    ApprovalTier.objects.create(
        action="purchase_order",
        value_above=Decimal("100"),
        value_up_to=Decimal("200"),
        required_role="manager",
        effective_from=date(2026, 1, 1),
        active=False,
    )
