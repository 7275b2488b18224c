"""The contract functions the exceptions services call: approval_requirement, user_rank, automation_decide,
acceptance_probability."""

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError

from governance.models import ApprovalTier, AutomationPolicy
from governance.policy import (
    acceptance_probability,
    approval_requirement,
    approval_requirements,
    automation_decide,
    automation_decide_many,
    user_rank,
)

from . import factories as f

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("value", "role", "rank"),
    [
        ("0", "buyer", 1),
        ("4999.99", "buyer", 1),
        ("5000", "buyer", 1),
        ("5000.01", "manager", 2),
        ("50000", "manager", 2),
        ("50000.01", "director", 3),
        ("2000000", "director", 3),
    ],
)
def test_seeded_tiers_route_po_changes_by_value(value, role, rank):
    req = approval_requirement(action="purchase_order", value=Decimal(value), on=TODAY)
    assert (req.role, req.rank) == (role, rank)
    assert req.tier_id == ApprovalTier.objects.get(action="purchase_order", required_role=role).pk


def test_approval_requirements_of_a_page_agree_with_one_by_one(django_assert_num_queries):
    """A queue page's requirements (the tiers read once, each tier's requirement made once and shared) are the
    single lookups', band edges and an action without a tier (the fallback) included."""
    items = [
        ("purchase_order", Decimal(v)) for v in ("0", "5000", "5000.01", "50000", "50000.01", "2000000", "10")
    ] + [("no_such_action", Decimal("12.5")), ("purchase_order", Decimal("4999.99"))]
    with django_assert_num_queries(1):
        many = approval_requirements(items=items, on=TODAY)
    assert many == [approval_requirement(action=a, value=v, on=TODAY) for a, v in items]
    assert [r.role for r in many[:6]] == ["buyer", "buyer", "manager", "manager", "director", "director"]
    assert many[0] is many[6] and many[7].tier_id is None


def test_seeded_defaults_cover_every_action_and_automate_within_a_buyers_band():
    assert ApprovalTier.objects.filter(active=True).count() == 18
    first = AutomationPolicy.objects.get(name="Small C-class replenishment POs")
    assert (first.action, first.abc_classes, first.max_value, first.min_confidence) == (
        "purchase_order",
        "C",
        Decimal("500.00"),
        0.8,
    )
    defaults = AutomationPolicy.objects.exclude(pk=first.pk)
    assert sorted(defaults.values_list("action", flat=True)) == sorted(
        ["purchase_order", "transfer", "expedite", "defer", "cancel", "chase", "repromise"]
    )
    for policy in defaults:
        assert policy.max_value == Decimal("250.00")  # low value only
        tiers = ApprovalTier.objects.filter(action=policy.action, active=True)
        if tiers.exists():  # a spending action: never more than a buyer could approve alone
            buyer_limit = tiers.get(required_role="buyer").value_up_to
            assert policy.max_amount is not None and policy.max_amount <= buyer_limit
        verdict = automation_decide(
            action=policy.action,
            abc="A",
            xyz="Z",
            supplier_reliability=0.95,
            value=Decimal("250.01"),
            confidence=0.99,
            quality_flags=[],
            on=TODAY,
        )
        assert not verdict.auto and "value 250.01 is above the limit 250.00" in verdict.reason


def test_effective_dates_pick_the_tier_in_force():
    f.clear_seeded()
    old = f.tier(
        value_up_to=None,
        required_role="manager",
        effective_from=date(2025, 1, 1),
        effective_to=date(2025, 12, 31),
    )
    new = f.tier(value_up_to=None, required_role="buyer", effective_from=date(2026, 1, 1))
    assert (
        approval_requirement(action="purchase_order", value=Decimal(100), on=date(2025, 12, 31)).tier_id
        == old.pk
    )
    assert (
        approval_requirement(action="purchase_order", value=Decimal(100), on=date(2026, 1, 1)).tier_id
        == new.pk
    )
    new.active = False
    new.save()
    fallback = approval_requirement(action="purchase_order", value=Decimal(100), on=date(2026, 1, 1))
    assert (fallback.tier_id, fallback.role, fallback.rank) == (None, "manager", 2)
    assert "No approval tier" in fallback.label


def test_user_rank_by_role():
    assert user_rank(f.user("buyer")) == 1
    assert user_rank(f.user("warehouse_supervisor")) == 1
    assert user_rank(f.user("manager")) == 2
    assert user_rank(f.user("director")) == 3
    assert user_rank(f.user("auditor")) == 0
    assert user_rank(f.user("administrator")) == 0
    both = f.user("buyer")
    both.groups.add(*f.user("manager").groups.all())
    assert user_rank(both) == 2
    inactive = f.user("manager", is_active=False)
    assert user_rank(inactive) == 0


def test_overlapping_tier_is_rejected_naming_the_field():
    f.clear_seeded()
    f.tier(value_above=None, value_up_to=Decimal("5000"), effective_from=date(2026, 1, 1))
    clash = ApprovalTier(
        action="purchase_order",
        value_above=Decimal("4000"),
        value_up_to=Decimal("9000"),
        required_role="manager",
        effective_from=date(2026, 3, 1),
    )
    with pytest.raises(ValidationError) as err:
        clash.full_clean()
    assert "value_up_to" in err.value.message_dict
    assert "overlaps" in err.value.message_dict["value_up_to"][0]
    # adjacent bands (5000 up to 9000) and other actions are fine
    ApprovalTier(
        action="purchase_order",
        value_above=Decimal("5000"),
        value_up_to=Decimal("9000"),
        required_role="manager",
        effective_from=date(2026, 3, 1),
    ).full_clean()
    ApprovalTier(
        action="expedite",
        value_above=Decimal("4000"),
        value_up_to=Decimal("9000"),
        required_role="manager",
        effective_from=date(2026, 3, 1),
    ).full_clean()
    # the same band in a period that does not overlap is fine too
    f.clear_seeded()
    f.tier(effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31))
    ApprovalTier(
        action="purchase_order",
        value_up_to=Decimal("5000"),
        required_role="buyer",
        effective_from=date(2026, 1, 1),
    ).full_clean()


def test_band_must_be_ordered():
    bad = ApprovalTier(
        action="expedite",
        value_above=Decimal("900"),
        value_up_to=Decimal("100"),
        required_role="buyer",
        effective_from=date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert "value_up_to" in err.value.message_dict


GOOD = {
    "action": "purchase_order",
    "abc": "C",
    "xyz": "X",
    "supplier_reliability": 0.95,
    "value": Decimal("400"),
    "confidence": 0.9,
    "quality_flags": [],
}


def only_the_first_seed() -> AutomationPolicy:
    AutomationPolicy.objects.exclude(name="Small C-class replenishment POs").delete()
    return AutomationPolicy.objects.get()


def test_automation_decides_only_when_every_condition_holds():
    policy = only_the_first_seed()
    verdict = automation_decide(**GOOD)
    assert verdict.auto and verdict.policy_id == policy.pk
    for change, words in [
        ({"abc": "A"}, "ABC class A"),
        ({"xyz": "Z"}, "XYZ class Z"),
        ({"supplier_reliability": 0.85}, "supplier reliability 0.85"),
        ({"value": Decimal("500.01")}, "value 500.01"),
        ({"confidence": 0.79}, "confidence 0.79"),
        ({"quality_flags": ["lead_time_default"]}, "lead_time_default"),
        ({"action": "expedite"}, "No automation policy for expedite"),
    ]:
        verdict = automation_decide(**{**GOOD, **change})
        assert not verdict.auto and verdict.policy_id is None, change
        assert words in verdict.reason, (change, verdict.reason)
    assert automation_decide(**{**GOOD, "value": Decimal("500")}).auto  # the limit itself is inside
    # what the action spends: no limit on the seed; with one, an amount above it goes to a person
    assert automation_decide(**GOOD, amount=Decimal("99999")).auto
    policy.max_amount = Decimal("1000")
    policy.save()
    verdict = automation_decide(**GOOD, amount=Decimal("1000.01"))
    assert not verdict.auto and "it spends 1,000.01, above the limit 1,000.00" in verdict.reason
    assert automation_decide(**GOOD, amount=Decimal("1000")).auto
    assert automation_decide(**GOOD, amount=None).auto  # nothing spent (a chase, a re-promise)


def test_automation_decide_many_reads_the_policies_once_and_agrees_with_one_by_one(django_assert_num_queries):
    seeded = AutomationPolicy.objects.get(name="Routine replenishment POs")
    cases = [
        {
            **GOOD,
            "abc": "A",
            "xyz": "Z",
            "value": Decimal("100"),
            "confidence": 0.6,
            "amount": Decimal("900"),
        },
        {
            **GOOD,
            "abc": "A",
            "xyz": "Z",
            "value": Decimal("100"),
            "confidence": 0.6,
            "amount": Decimal("2600"),
        },
        {**GOOD, "action": "transfer", "value": Decimal("300"), "confidence": 0.9, "amount": Decimal("10")},
        {**GOOD, "action": "reallocate"},
    ]
    with django_assert_num_queries(1):
        verdicts = automation_decide_many(cases=cases, on=TODAY)
    assert verdicts == [automation_decide(**case, on=TODAY) for case in cases]
    assert [v.auto for v in verdicts] == [True, False, False, False]
    assert verdicts[0].policy_id == seeded.pk and verdicts[0].policy_name == seeded.name
    assert "it spends 2,600.00, above the limit 2,500.00" in verdicts[1].reason
    assert "No automation policy for reallocate" in verdicts[3].reason


def test_deactivated_or_expired_policy_does_not_automate():
    policy = only_the_first_seed()
    policy.effective_to = date(2026, 5, 31)
    policy.save()
    assert automation_decide(**GOOD, on=date(2026, 5, 31)).auto
    assert not automation_decide(**GOOD, on=date(2026, 6, 1)).auto


def test_acceptance_probability_is_half_without_a_model():
    features = pd.DataFrame({"action": ["purchase_order", "expedite"], "value": [100, 9000]})
    assert np.array_equal(acceptance_probability(features=features), np.array([0.5, 0.5]))
