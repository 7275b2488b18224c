"""Writers of the attention settings: a person's daily capacity and a team's value floor (managers only, audited
in the same transaction)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction

from replenish.core.audit import audit_record
from replenish.core.roles import MANAGERS, has_role

from .errors import InvalidInput, NotAllowed
from .models import Team, TeamSetting, WorkCapacity

MAX_DAILY_DECISIONS = 1_000


def _manager(actor) -> None:
    if not (getattr(actor, "is_superuser", False) or has_role(actor, *MANAGERS)):
        raise NotAllowed("Only managers and directors set capacities and value floors.")


@transaction.atomic
def capacity_set(*, user, daily_decisions, actor) -> WorkCapacity:
    """Set how many decisions a person makes in a day (their To do is sized to it)."""
    try:
        decisions = int(str(daily_decisions).strip())
    except (TypeError, ValueError):
        decisions = -1
    if not 0 <= decisions <= MAX_DAILY_DECISIONS:
        raise InvalidInput(
            {"daily_decisions": f"Daily decisions must be a whole number from 0 to {MAX_DAILY_DECISIONS:,}."}
        )
    _manager(actor)
    row, _ = WorkCapacity.objects.select_for_update().get_or_create(user=user)
    before = row.daily_decisions
    row.daily_decisions, row.updated_by = decisions, actor
    row.save(update_fields=["daily_decisions", "updated_by", "updated_at"])
    audit_record(
        kind="policy_change",
        action="capacity_set",
        actor=actor,
        subject_type="user",
        subject_id=user.pk,
        payload={"username": user.username, "before": before, "after": decisions},
    )
    return row


@transaction.atomic
def team_floor_set(*, team: str, value_floor, actor) -> TeamSetting:
    """Set a team's value floor: its open tasks below it go to Low value."""
    if team not in Team.values:
        raise InvalidInput({"team": f"Unknown team “{team}”."})
    try:
        floor = Decimal(str(value_floor).strip().replace(",", ""))
        if not floor.is_finite() or floor < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            {"value_floor": f"Value floor must be an amount of 0 or more, not “{value_floor}”."}
        ) from None
    _manager(actor)
    row, _ = TeamSetting.objects.select_for_update().get_or_create(team=team)
    before = row.value_floor
    row.value_floor = floor.quantize(Decimal("0.01"))
    row.save(update_fields=["value_floor", "updated_at"])
    audit_record(
        kind="policy_change",
        action="team_floor_set",
        actor=actor,
        subject_type="team",
        subject_id=team,
        payload={"before": str(before), "after": str(row.value_floor)},
    )
    return row
