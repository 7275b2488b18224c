"""A person's day: the queue's To do / Later / Low value split in SQL, the rules of replenish.engine.attention.

- Low value: open tasks below their team's value floor (TeamSetting), out of the day's work.
- To do: of the open tasks above the floor, the first (daily capacity - decisions made today) in rank order
  (value at stake, then the work-by day, then id): today's work, sized so a person can finish it. Later: the rest
  above the floor.

To do is the WHERE clause "at or before the cutoff", where the cutoff is the last row of today's work (one small
query), so every filter of the queue composes with it and the page stays one indexed query.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, Q, Subquery
from django.utils import timezone

from .models import RANK, TODO, Decision, Team, TeamSetting, WorkCapacity

LATER, LOW = "later", "low"


def team_floors() -> dict[str, Decimal]:
    return dict(TeamSetting.objects.values_list("team", "value_floor"))


def above_floor_q(floors: dict[str, Decimal]) -> Q:
    """Rows at or above their team's floor (a team without a setting has none).

    The teams sharing a floor are one term (three teams at 100: one IN, not three ORs). When every team has a
    floor, no row under the lowest one is above its own: `value >= lowest` is then stated as well, so Later's COUNT
    reads the value index from Later's first row down to the lowest floor, not every buyer's Low value rows below
    it to the end of the index (owner_team is one of Team: the routing writes no other)."""
    by_floor: dict[Decimal, list[str]] = {}
    for team, floor in sorted(floors.items()):
        if floor > 0:
            by_floor.setdefault(floor, []).append(team)
    below = Q(pk__in=[])
    for floor, teams in sorted(by_floor.items()):
        below |= Q(owner_team__in=teams, value_at_stake__lt=floor)
    lowest = min((floors.get(team) or 0 for team in Team.values), default=0)
    return ~below & Q(value_at_stake__gte=lowest) if lowest > 0 else ~below


def capacity_of(user) -> int:
    row = WorkCapacity.objects.filter(user_id=user.pk).values_list("daily_decisions", flat=True).first()
    return WorkCapacity.DEFAULT_DAILY_DECISIONS if row is None else int(row)


def _decisions_since(user, today: date):
    start = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
    return Decision.objects.filter(actor_id=user.pk, created_at__gte=start)


def decided_today(user, today: date) -> int:
    """Decisions the person made today (auto-executions are not theirs)."""
    return _decisions_since(user, today).count()


def day_inputs(user, today: date) -> tuple[dict[str, Decimal], int, int]:
    """The team floors, the person's capacity and their decisions today (team_floors, capacity_of and
    decided_today) in one query: each floor's row carries the two per-person figures as scalar subqueries (a queue
    page read them in three; the two others only when no team has a floor row)."""
    capacity = WorkCapacity.objects.filter(user_id=user.pk).order_by("pk").values("daily_decisions")[:1]
    decided = _decisions_since(user, today).order_by().values("actor_id").annotate(n=Count("pk")).values("n")
    rows = list(
        TeamSetting.objects.annotate(capacity=Subquery(capacity), decided=Subquery(decided)).values_list(
            "team", "value_floor", "capacity", "decided"
        )
    )
    if not rows:
        return {}, capacity_of(user), decided_today(user, today)
    _team, _floor, daily, done = rows[0]
    daily = WorkCapacity.DEFAULT_DAILY_DECISIONS if daily is None else int(daily)
    return {team: floor for team, floor, _c, _d in rows}, daily, int(done or 0)


class DayPlan:
    """A person's day: team floors, capacity, decisions made today, and (read when first needed) the cutoff, the
    last row of To do (None: every open row above the floor is To do)."""

    def __init__(self, floors: dict[str, Decimal], capacity: int, decided: int, base=None):
        self.floors, self.capacity, self.decided, self._base = floors, capacity, decided, base

    @property
    def room(self) -> int:
        return max(self.capacity - self.decided, 0)

    @cached_property
    def cutoff(self) -> tuple[Decimal, float, date, int] | None:
        if not self.room or self._base is None:
            return None
        last = (
            self._base.filter(Q(status__in=TODO) & above_floor_q(self.floors))
            .order_by(*RANK)
            .values_list("value_at_stake", "delay_rate", "work_by", "pk")[self.room - 1 : self.room]
        )
        return tuple(last[0]) if last else None

    def todo_q(self) -> Q:
        if self.room == 0:
            return Q(pk__in=[])
        if self.cutoff is None:
            return Q()
        value, delay, work_by, pk = self.cutoff  # the rank (models.RANK): the delay rate descending
        return (
            Q(value_at_stake__gt=value)
            | Q(value_at_stake=value, delay_rate__gt=delay)
            | Q(value_at_stake=value, delay_rate=delay, work_by__lt=work_by)
            | Q(value_at_stake=value, delay_rate=delay, work_by=work_by, pk__lte=pk)
        )


def day_plan(user, base, today: date | None = None) -> DayPlan:
    """The user's day (memoised on the user object for the request); `base` = the tasks the user may see."""
    today = today or timezone.localdate()
    cached = getattr(user, "_distops_day", None)
    if cached is not None and cached[0] == today:
        return cached[1]
    plan = DayPlan(*day_inputs(user, today), base)
    user._distops_day = (today, plan)
    return plan


def split_q(queue: str, plan: DayPlan) -> Q:
    """The open tasks of one tab: "open" (To do), "later" or "low"."""
    above = Q(status__in=TODO) & above_floor_q(plan.floors)
    if queue == LOW:
        # value below the highest floor too (implied, but it starts the value index scan there: the rows above
        # every floor are not read)
        highest = max((floor for floor in plan.floors.values() if floor > 0), default=None)
        below = Q(value_at_stake__lt=highest) if highest is not None else Q(pk__in=[])
        return Q(status__in=TODO) & below & ~above_floor_q(plan.floors)
    everything_today = plan.room > 0 and plan.cutoff is None
    if queue == LATER:
        return Q(pk__in=[]) if everything_today else above & ~plan.todo_q()
    return above & plan.todo_q()
