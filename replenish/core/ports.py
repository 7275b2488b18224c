"""Ports: what a lower layer asks of an upper one, filled in by the upper app's AppConfig.ready().

The exceptions services (a lower layer) need governance's answers -- who must approve an action, whether it may run
without a person, how likely a planner is to accept it -- without importing governance. They call
`decision_policy()`; governance provides the implementation (`governance.policy`) when the app registry is ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:  # the types only: core does not need numpy or pandas at import time
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class ApprovalRequirement:
    role: str | None
    rank: int
    tier_id: int | None
    label: str


@dataclass(frozen=True)
class AutomationVerdict:
    auto: bool
    policy_id: int | None
    reason: str
    policy_name: str = ""


class DecisionPolicy(Protocol):
    """The governance contract the decision services call; every method only reads."""

    def approval_requirement(self, *, action: str, value: Decimal, on: date) -> ApprovalRequirement: ...

    def approval_requirements(
        self, *, items: list[tuple[str, Decimal]], on: date
    ) -> list[ApprovalRequirement]: ...

    def automation_decide(
        self,
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
    ) -> AutomationVerdict: ...

    def automation_decide_many(
        self, *, cases: list[dict], on: date | None = None
    ) -> list[AutomationVerdict]: ...

    def automated_actions(self) -> set[str]: ...

    def acceptance_probability(self, *, features: pd.DataFrame) -> np.ndarray: ...


_decision_policy: DecisionPolicy | None = None


def decision_policy_provide(policy: DecisionPolicy) -> None:
    """Called once by the app that implements the contract (governance, in its AppConfig.ready())."""
    global _decision_policy
    _decision_policy = policy


def decision_policy() -> DecisionPolicy:
    if _decision_policy is None:
        raise ImproperlyConfigured(
            "No decision policy is provided: the governance app (which implements replenish.core.ports."
            "DecisionPolicy) must be in INSTALLED_APPS."
        )
    return _decision_policy
