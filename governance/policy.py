"""Governance policy: who must approve (approval tiers), what may run without a person (automation policies),
and how likely a planner is to accept a recommendation (the acceptance model).

These are the contract functions the exceptions services call through `replenish.core.ports.decision_policy()`
(this module is the provider, registered in GovernanceConfig.ready()); they only read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from django.utils import timezone

from replenish.core.ports import ApprovalRequirement, AutomationVerdict
from replenish.core.roles import MANAGER, ROLE_RANK, user_rank

from .acceptance import acceptance_predict, current_bundle
from .models import ApprovalTier, AutomationPolicy

__all__ = [
    "ApprovalRequirement",
    "AutomationVerdict",
    "acceptance_probability",
    "approval_requirement",
    "approval_requirements",
    "automated_actions",
    "automation_decide",
    "automation_decide_many",
    "user_rank",
]

# When no tier covers an action/value, a manager decides (the conservative default; seeded tiers cover every action).
FALLBACK_ROLE = MANAGER


def _in_band(tier: ApprovalTier, value: Decimal) -> bool:
    return (tier.value_above is None or value > tier.value_above) and (
        tier.value_up_to is None or value <= tier.value_up_to
    )


def tiers_in_force(*, action: str | None = None, on: date):
    qs = ApprovalTier.objects.filter(active=True, effective_from__lte=on).exclude(effective_to__lt=on)
    return qs.filter(action=action) if action else qs


def approval_requirement(*, action: str, value: Decimal, on: date) -> ApprovalRequirement:
    """The role whose approval an action spending this amount needs on a date (from the tier in force)."""
    return _requirement(list(tiers_in_force(action=action, on=on).order_by("value_above")), action, value, on)


def approval_requirements(*, items: list[tuple[str, Decimal]], on: date) -> list[ApprovalRequirement]:
    """approval_requirement for many (action, amount) pairs, reading the tiers in force once (a queue page)."""
    tiers = list(tiers_in_force(on=on).order_by("value_above")) if items else []
    by_action: dict[str, list[ApprovalTier]] = {}
    for tier in tiers:
        by_action.setdefault(tier.action, []).append(tier)
    # one (frozen) requirement per tier: its label formatted once a page
    made: dict[int, ApprovalRequirement] = {}
    return [_requirement(by_action.get(action, []), action, amount, on, made) for action, amount in items]


def _requirement(
    tiers: list[ApprovalTier], action: str, value, on: date, made: dict | None = None
) -> ApprovalRequirement:
    value = Decimal(value)
    for tier in tiers:
        if _in_band(tier, value):
            if made is not None and tier.pk in made:
                return made[tier.pk]
            requirement = ApprovalRequirement(
                role=tier.required_role,
                rank=tier.rank,
                tier_id=tier.pk,
                label=f"{tier.get_action_display()} {tier.band_label}: {tier.get_required_role_display()}",
            )
            if made is not None:
                made[tier.pk] = requirement
            return requirement
    return ApprovalRequirement(
        role=FALLBACK_ROLE,
        rank=ROLE_RANK[FALLBACK_ROLE],
        tier_id=None,
        label=f"No approval tier covers {action} at {value:,.2f} on {on}: a manager decides",
    )


def _policy_failure(
    policy: AutomationPolicy,
    *,
    abc: str,
    xyz: str,
    supplier_reliability: float,
    value: Decimal,
    confidence: float,
    quality_flags: list[str],
    amount: Decimal | None = None,
) -> str | None:
    """Why this policy does not cover the action (None = it does)."""
    if (abc or "").upper() not in policy.abc_classes.upper() or not abc:
        return f"ABC class {abc or '?'} is not in {policy.abc_classes}"
    if (xyz or "").upper() not in policy.xyz_classes.upper() or not xyz:
        return f"XYZ class {xyz or '?'} is not in {policy.xyz_classes}"
    if supplier_reliability is None or supplier_reliability < policy.min_supplier_reliability:
        return f"supplier reliability {supplier_reliability or 0:.2f} is below {policy.min_supplier_reliability:.2f}"
    if value > policy.max_value:
        return f"value {value:,.2f} is above the limit {policy.max_value:,.2f}"
    if policy.max_amount is not None and amount is not None and amount > policy.max_amount:
        return f"it spends {amount:,.2f}, above the limit {policy.max_amount:,.2f}"
    if confidence is None or confidence < policy.min_confidence:
        return f"confidence {confidence or 0:.2f} is below {policy.min_confidence:.2f}"
    if policy.require_no_quality_flags and quality_flags:
        return f"data-quality flags present: {', '.join(sorted(quality_flags))}"
    return None


def _policies_in_force(on: date, action: str | None = None) -> list[AutomationPolicy]:
    qs = AutomationPolicy.objects.filter(active=True, effective_from__lte=on).exclude(effective_to__lt=on)
    return list((qs.filter(action=action) if action else qs).order_by("pk"))


def _verdict(policies: list[AutomationPolicy], action: str, case: dict) -> AutomationVerdict:
    if not policies:
        return AutomationVerdict(False, None, f"No automation policy for {action}: a person decides")
    reasons = []
    for policy in policies:
        failure = _policy_failure(policy, **case)
        if failure is None:
            return AutomationVerdict(
                True, policy.pk, f"Policy '{policy.name}' covers it: executed automatically", policy.name
            )
        reasons.append(f"'{policy.name}': {failure}")
    return AutomationVerdict(False, None, "A person decides: " + "; ".join(reasons))


def _case(case: dict) -> dict:
    amount = case.get("amount")
    return {
        "abc": case.get("abc") or "",
        "xyz": case.get("xyz") or "",
        "supplier_reliability": case.get("supplier_reliability"),
        "value": Decimal(case["value"]),
        "confidence": case.get("confidence"),
        "quality_flags": list(case.get("quality_flags") or []),
        "amount": None if amount in (None, "") else Decimal(str(amount)),
    }


def automation_decide(
    *,
    action: str,
    abc: str,
    xyz: str,
    supplier_reliability: float,
    value: Decimal,
    confidence: float,
    quality_flags: list[str],
    on: date | None = None,
    amount: Decimal | None = None,
) -> AutomationVerdict:
    """May this action run without a person? Yes only if one active policy in force covers every condition
    (the action's class, supplier reliability, value at stake, confidence, data quality and what it spends)."""
    on = on or timezone.localdate()
    case = {
        "abc": abc,
        "xyz": xyz,
        "supplier_reliability": supplier_reliability,
        "value": value,
        "confidence": confidence,
        "quality_flags": quality_flags,
        "amount": amount,
    }
    return _verdict(_policies_in_force(on, action), action, _case(case))


def automation_decide_many(*, cases: list[dict], on: date | None = None) -> list[AutomationVerdict]:
    """automation_decide for many cases (dicts of its keyword arguments, with "action"), reading the policies in
    force once (a refresh decides hundreds of thousands of tasks)."""
    on = on or timezone.localdate()
    by_action: dict[str, list[AutomationPolicy]] = {}
    for policy in _policies_in_force(on) if cases else []:
        by_action.setdefault(policy.action, []).append(policy)
    return [_verdict(by_action.get(c["action"], []), c["action"], _case(c)) for c in cases]


def automated_actions() -> set[str]:
    """The actions with at least one active automation policy (any other action always needs a person)."""
    return set(AutomationPolicy.objects.filter(active=True).values_list("action", flat=True).distinct())


def acceptance_probability(*, features: pd.DataFrame) -> np.ndarray:
    """P(a planner accepts each recommendation unchanged), from the newest trained acceptance model.

    `features` columns (missing ones take neutral defaults): action, value, confidence, abc, xyz, lead_time_source,
    supplier, category, buyer. Returns 0.5 for every row while no model has been trained.
    """
    bundle = current_bundle()
    if bundle is None or len(features) == 0:
        return np.full(len(features), 0.5)
    return acceptance_predict(bundle, features)
