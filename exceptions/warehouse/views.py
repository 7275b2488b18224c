"""Thin views of warehouse control."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from exceptions.workflows.labor import sequence_csv
from replenish.core import roles

from . import selectors


def _require(request: HttpRequest) -> None:
    if not roles.can_open(request.user, "warehouse"):
        raise PermissionDenied("Warehouse control is for warehouse supervisors and their managers.")


@login_required
@require_GET
def control_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    code = request.GET.get("location", "")
    location = selectors.location_pick(user=request.user, code=code)
    if code and (location is None or location.code != code):
        raise Http404("That location is not one of yours.")
    context = {"location": location, "locations": list(selectors.location_scope(user=request.user))}
    return render(request, "warehouse/control.html", context)


@login_required
@require_GET
def labor_sequence_csv_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The resequenced work queue of a labor bottleneck at one of the supervisor's locations, as CSV for the WMS."""
    _require(request)
    task = selectors.labor_task_get(user=request.user, pk=pk)
    if task is None:
        raise Http404("No resequenced work queue of yours has this number.")
    response = HttpResponse(sequence_csv(task), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="wms-sequence-{task.pk}.csv"'
    return response
