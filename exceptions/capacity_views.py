"""The attention settings screen (managers): each person's daily capacity and decisions today, each team's floor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from replenish.core.roles import (
    BUYER,
    CUSTOMER_SERVICE,
    MANAGERS,
    TRANSPORTATION_PLANNER,
    WAREHOUSE_SUPERVISOR,
    has_role,
)

from .attention import capacity_of, decided_today
from .capacity import capacity_set, team_floor_set
from .errors import InvalidInput, NotAllowed
from .models import Team, TeamSetting

PLANNERS = (BUYER, WAREHOUSE_SUPERVISOR, CUSTOMER_SERVICE, TRANSPORTATION_PLANNER)


def _context(request: HttpRequest, errors: dict | None = None) -> dict:
    today = timezone.localdate()
    people = (
        get_user_model()
        .objects.filter(groups__name__in=PLANNERS, is_active=True)
        .distinct()
        .order_by("username")
    )
    floors = dict(TeamSetting.objects.values_list("team", "value_floor"))
    return {
        "people": [(u, capacity_of(u), decided_today(u, today)) for u in people],
        "teams": [(value, label, floors.get(value)) for value, label in Team.choices],
        "errors": errors or {},
        "can_edit": request.user.is_superuser or has_role(request.user, *MANAGERS),
    }


@login_required
def capacity_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "exceptions/capacity.html", _context(request))
    try:
        if request.POST.get("team"):
            row = team_floor_set(
                team=request.POST["team"], value_floor=request.POST.get("value_floor", ""), actor=request.user
            )
            messages.success(request, f"{row.get_team_display()}: value floor {row.value_floor:,.2f}.")
        else:
            user = get_object_or_404(get_user_model(), pk=request.POST.get("user") or 0)
            row = capacity_set(
                user=user, daily_decisions=request.POST.get("daily_decisions", ""), actor=request.user
            )
            messages.success(request, f"{user.username}: {row.daily_decisions} decisions a day.")
    except InvalidInput as err:
        return render(request, "exceptions/capacity.html", _context(request, err.errors), status=400)
    except NotAllowed as err:
        return render(request, "exceptions/capacity.html", _context(request, {"role": str(err)}), status=403)
    return redirect("exceptions:capacity")
