"""How much human attention the live tasks ask for: the measure behind issue 12's acceptance ("open human tasks at
most 5% of SKU-locations, each buyer's To do within their capacity"), read by `manage.py attention_report` and the
exceptions-refresh benchmark.

An open human task is a live task a person must still look at, whatever tab it sits in:

- To do and Later (open or in review, at or above the team's value floor),
- Low value (open or in review, below the floor: the automation policies could not execute it, so a person still
  decides it, only later),
- Awaiting approval, and Snoozed (put away by a person, it comes back).

Not counted: the lines of a draft PO (the draft PO is the one task), auto-executed, approved, overridden, rejected,
posted and closed tasks (decided, by a person or the system).
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from replenish import models as rm
from replenish.core.roles import BUYER

from .attention import above_floor_q, capacity_of, team_floors
from .models import TODO, Decision, PlanningException, Status
from .selectors import queue_counts

HUMAN = (Status.OPEN, Status.IN_REVIEW, Status.AWAITING_APPROVAL, Status.SNOOZED)
LIMIT_SHARE = 0.05


def _low_value_reasons(low) -> dict[str, int]:
    """Why the Low value rows were not executed by the system: no action to execute, or the automation verdict."""
    reasons: Counter[str] = Counter()
    for proposal, explanation in low.values_list("proposal", "explanation").iterator(chunk_size=5_000):
        action = (proposal or {}).get("action")
        if not action:
            reasons["nothing to execute"] += 1
            continue
        verdict = (explanation or {}).get("automation") or {}
        reason = str(verdict.get("reason") or "no automation verdict")
        if reason.startswith("No automation policy"):
            reasons[f"{action}: no automation policy"] += 1
        else:
            reasons[f"{action}: {_failure(reason)}"] += 1
    return dict(reasons.most_common())


FAILURES = (
    ("confidence", "confidence below the policy's"),
    ("spends", "spend above the policy's"),
    ("value", "value above the policy's"),
    ("reliability", "supplier reliability below the policy's"),
    ("flags", "data-quality flags"),
    ("class", "ABC-XYZ class not covered"),
)


def _failure(reason: str) -> str:
    """The first condition the first policy failed on (governance.policy's wording), as a category."""
    first = reason.split(";")[0].split("': ", 1)[-1]  # after the policy's name (which may say "value" too)
    return next((label for word, label in FAILURES if word in first), "outside every policy")


def attention_summary(*, buyers: bool = True) -> dict:
    """Open human tasks by tab, team and type, each buyer's tabs against their capacity, and what the system
    executed, against the number of SKU-locations."""
    sku_locations = rm.ItemLocation.objects.count()
    floors = team_floors()
    live = PlanningException.objects.filter(status__in=HUMAN)
    todo = Q(status__in=TODO)
    tabs = live.aggregate(
        above_floor=Count("pk", filter=todo & above_floor_q(floors)),
        low_value=Count("pk", filter=todo & ~above_floor_q(floors)),
        awaiting_approval=Count("pk", filter=Q(status=Status.AWAITING_APPROVAL)),
        snoozed=Count("pk", filter=Q(status=Status.SNOOZED)),
    )
    human = sum(tabs.values())
    by_team = dict(live.values_list("owner_team").annotate(n=Count("pk")).order_by("owner_team"))
    by_type = dict(live.values_list("type").annotate(n=Count("pk")).order_by("type"))
    auto = Decision.objects.filter(action=Decision.Action.AUTO_EXECUTE)
    auto_by_action = Counter(
        (after or {}).get("proposal", {}).get("action") or "?"
        for after in auto.values_list("after", flat=True).iterator(chunk_size=5_000)
    )
    out = {
        "sku_locations": sku_locations,
        "open_human_tasks": human,
        "open_human_share": round(human / max(sku_locations, 1), 4),
        "limit_share": LIMIT_SHARE,
        "tabs": tabs,
        "by_team": by_team,
        "by_type": by_type,
        "low_value_why": _low_value_reasons(live.filter(todo & ~above_floor_q(floors))),
        "draft_po_lines": PlanningException.objects.filter(status=Status.IN_DRAFT).count(),
        "auto_executed": auto.count(),
        "auto_executed_by_action": dict(auto_by_action.most_common()),
        "auto_executed_awaiting_posting": PlanningException.objects.filter(
            status=Status.AUTO_EXECUTED
        ).count(),
        "floors": {team: str(floor) for team, floor in sorted(floors.items())},
    }
    if buyers:
        out["buyers"] = {}
        for user in get_user_model().objects.filter(groups__name=BUYER).order_by("username"):
            counts = queue_counts(user)
            capacity = capacity_of(user)
            out["buyers"][user.username] = {
                "capacity": capacity,
                "todo": counts.get("open", 0),
                "later": counts.get("later", 0),
                "low_value": counts.get("low", 0),
                "awaiting_approval": counts.get("approval", 0),
                "todo_within_capacity": counts.get("open", 0) <= capacity,
            }
    return out
