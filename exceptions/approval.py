"""Who may decide an action, and at what amount: the checks every decision path runs (HTMX, API, bulk approve,
the approvals inbox all call the services, which call these).

- Role permissions follow the job (replenish.core.roles.ACTION_ROLES): procurement actions (purchase order,
  expedite, defer, cancel) only by buyers, managers and directors; a warehouse supervisor may move stock
  (transfer) but never decide procurement.
- Approval tiers compare what the decided action spends (replenish.engine.value.action_spend: quantity x unit cost,
  plus freight for expedites and transfers), recomputed here from the values actually decided, overrides included;
  never the value at stake, and never a figure sent by the client.
- A sanity ceiling: a decided quantity above CEILING_FACTOR x the engine's proposal, or an amount above
  DISTOPS_SPEND_CEILING, needs a reason and the tier above the one its amount falls in.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from replenish.core.ports import ApprovalRequirement, decision_policy
from replenish.core.roles import ACTION_ROLES, MANAGER_RANK, ROLE_LABELS, ROLE_RANK, has_role, user_rank
from replenish.value_settings import value_settings

from .models import PlanningException
from .scoring import SPENDING_ACTIONS, proposal_spend

CEILING_FACTOR = 10
RANK_ROLE = {1: "buyer", 2: "manager", 3: "director"}


@dataclass(frozen=True)
class Approval:
    """What deciding a proposal needs: its amount, the tier's requirement, and whether it is above the ceiling."""

    amount: Decimal
    requirement: ApprovalRequirement
    above_ceiling: bool
    ceiling_reason: str

    @property
    def rank(self) -> int:
        return min(self.requirement.rank + 1, max(RANK_ROLE)) if self.above_ceiling else self.requirement.rank

    @property
    def role(self) -> str:
        return RANK_ROLE.get(self.rank, self.requirement.role or "manager")

    def label(self) -> str:
        text = f"{self.requirement.label} (amount {self.amount:,.2f})"
        if self.above_ceiling:
            text += f"; {self.ceiling_reason}: a {ROLE_LABELS.get(self.role, self.role).lower()} decides"
        return text

    def audit(self) -> dict:
        return {
            "amount": str(self.amount),
            "tier_id": self.requirement.tier_id,
            "required_role": self.role,
            "above_ceiling": self.above_ceiling,
        }


def _unit_cost(exc: PlanningException, proposal: dict):
    """The proposal's unit cost (written by the server at the refresh or the override), else the item's cost."""
    if proposal.get("unit_cost") not in (None, ""):
        return proposal["unit_cost"]
    item = exc.item_location.item if exc.item_location_id else None
    return item.unit_cost if item is not None else 0


def spend(exc: PlanningException, proposal: dict, settings_=None) -> Decimal:
    """What deciding this proposal spends, recomputed from its quantity and unit cost (see module docstring).
    `settings_`: the value settings when the caller read them already (a queue page reads them once)."""
    return proposal_spend(proposal, settings_, unit_cost=_unit_cost(exc, proposal))["amount"]


def _ceiling(proposal: dict, amount: Decimal) -> str:
    proposed = proposal.get("proposed_quantity")
    quantity = proposal.get("quantity") or 0
    if proposed and quantity > CEILING_FACTOR * proposed:
        return f"{quantity:,} units is over {CEILING_FACTOR}x the proposed {proposed:,}"
    limit = Decimal(str(settings.DISTOPS_SPEND_CEILING))
    if limit > 0 and amount > limit:
        return f"the amount is over the {limit:,.0f} ceiling"
    return ""


def approval_for(exc: PlanningException, proposal: dict) -> Approval | None:
    """The approval a proposal needs at its decided values (None: no action, nothing is spent)."""
    action = (proposal or {}).get("action")
    if action not in SPENDING_ACTIONS:
        return None  # no action, or one that spends nothing (a chase, a re-promise): no tier
    amount = spend(exc, proposal)
    requirement = decision_policy().approval_requirement(action=action, value=amount, on=timezone.localdate())
    reason = _ceiling(proposal, amount)
    return Approval(amount, requirement, bool(reason), reason)


def role_refusal(actor, proposal: dict) -> str | None:
    """Why the actor's role may not decide this action (None = it may): the permissions follow the job."""
    action = (proposal or {}).get("action")
    allowed = ACTION_ROLES.get(action)
    if not action or allowed is None or getattr(actor, "is_superuser", False):
        return None
    if has_role(actor, *allowed):
        return None
    who = ", ".join(ROLE_LABELS[r].lower() + "s" for r in sorted(allowed, key=lambda r: ROLE_RANK.get(r, 9)))
    return f"Only {who} decide a {action.replace('_', ' ')}: your role cannot."


def tier_refusal(actor, approval: Approval | None) -> str | None:
    """Why the actor may not approve at this amount (None = within their limit)."""
    if approval is None or user_rank(actor) >= approval.rank:
        return None
    return f"{approval.label()}: above your approval limit, send it for approval."


def awaiting_refusal(actor, exc: PlanningException) -> tuple[str | None, dict]:
    """An awaiting-approval request needs the rank it was sent to, and at least the rank its amount needs now."""
    approval = approval_for(exc, exc.proposal)
    needed = max(ROLE_RANK.get(exc.required_role, MANAGER_RANK), approval.rank if approval else 0)
    audit = approval.audit() if approval else {}
    if user_rank(actor) >= needed:
        return None, audit
    role = exc.required_role or "manager"
    if approval is not None and approval.rank > ROLE_RANK.get(exc.required_role, MANAGER_RANK):
        role = approval.role
    return f"This request needs a {role}'s approval" + (f" ({approval.label()})." if approval else "."), audit


def queue_approvals(rows: list[PlanningException], user) -> None:
    """Mark each row of a queue page with its amount and whether it is above the user's limit, reading the tiers
    once for the page (the row's primary action is then "Send for approval" instead of "Approve")."""
    rank = user_rank(user)
    items = [
        (row, a if (a := (row.proposal or {}).get("action")) in SPENDING_ACTIONS else None) for row in rows
    ]
    values = value_settings() if items else None
    wanted = [(row, action, spend(row, row.proposal, values)) for row, action in items if action]
    found = decision_policy().approval_requirements(
        items=[(action, amount) for _, action, amount in wanted], on=timezone.localdate()
    )
    for row in rows:
        row.amount, row.needs_approval, row.approval_label = None, False, ""
    for (row, _, amount), requirement in zip(wanted, found, strict=True):
        row.amount = amount
        row.needs_approval = rank < requirement.rank
        row.approval_label = requirement.label
