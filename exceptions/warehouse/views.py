"""Thin views of warehouse control: the workspace, and its actions as real forms (POST, then back to the page)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from exceptions.workflows.labor import sequence_csv
from replenish import models as m
from replenish.core import roles
from replenish.core.errors import NotAllowed, StaleVersion
from replenish.returns.models import ReturnLine

from . import control, returns, selectors, services

PULL_OPTIONS_FOR = 25  # misses whose pull sources are looked up (a few queries each): the top of the ranking


def _require(request: HttpRequest) -> None:
    if not roles.can_open(request.user, "warehouse"):
        raise PermissionDenied("Warehouse control is for warehouse supervisors and their managers.")


def _location(request: HttpRequest, code: str) -> m.Location | None:
    location = selectors.location_pick(user=request.user, code=code)
    if code and (location is None or location.code != code):
        raise Http404("That location is not one of yours.")
    return location


@login_required
@require_GET
def control_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    location = _location(request, request.GET.get("location", ""))
    context: dict = {"location": location, "locations": list(selectors.location_scope(user=request.user))}
    if location is not None:
        result = control.control_compute(location=location)
        misses = result.misses[:200]
        for row in misses[:PULL_OPTIONS_FOR]:
            if row["short_units"]:
                row["sources"] = control.spare_stock(
                    item_id=row["item_id"], exclude_location_id=location.pk, today=result.now.date()
                )[:4]
                if row["sources"]:
                    row["pull_units"] = min(row["short_units"], row["sources"][0]["spare"])
        context.update(
            control=result,
            misses=misses,
            labor_tasks=list(selectors.labor_task_list(user=request.user).filter(location=location)[:10]),
        )
    return render(request, "warehouse/control.html", context)


def _back(location: m.Location | None) -> HttpResponse:
    url = reverse("warehouse:control")
    return redirect(f"{url}?location={location.code}" if location else url)


@login_required
@require_POST
def resequence_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    location = _location(request, request.POST.get("location", ""))
    wave = request.POST.get("wave", "").strip()
    if location is None or not wave:
        messages.error(request, "Choose a location and a wave to run first.")
        return _back(location)
    try:
        result = services.wave_resequence(location=location, wave=wave, actor=request.user)
    except NotAllowed as err:
        messages.error(request, str(err))
    else:
        messages.success(
            request,
            f"Wave {wave} runs first at {location.code}: the new sequence is posted to the WMS "
            f"(outbox message {result['message'].pk}); it saves {result['saved_lines']} line(s), "
            f"{result['saves']:,.2f} at stake.",
        )
    return _back(location)


@login_required
@require_POST
def stock_pull_view(request: HttpRequest) -> HttpResponse:
    _require(request)
    location = _location(request, request.POST.get("location", ""))
    source = m.Location.objects.filter(code=request.POST.get("from", "")).first()
    try:
        item_id = int(request.POST.get("item_id", ""))
        quantity = int(request.POST.get("quantity", ""))
        line_id = int(request.POST["line_id"]) if request.POST.get("line_id", "").isdigit() else None
    except ValueError:
        messages.error(request, "The item and the quantity must be whole numbers.")
        return _back(location)
    if location is None or source is None:
        messages.error(request, "Choose the location to pull from.")
        return _back(location)
    try:
        result = services.stock_pull(
            location=location,
            item_id=item_id,
            from_location=source,
            quantity=quantity,
            actor=request.user,
            line_id=line_id,
        )
    except (NotAllowed, m.ItemLocation.DoesNotExist) as err:
        messages.error(request, str(err) if isinstance(err, NotAllowed) else "That item is not stocked here.")
    else:
        messages.success(
            request,
            f"Transfer of {quantity} units from {source.code} to {location.code} posted to the ERP "
            f"(outbox message {result['message'].pk}).",
        )
    return _back(location)


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


@login_required
@require_GET
def returns_view(request: HttpRequest) -> HttpResponse:
    """Returns triage: open return lines of the user's locations, best disposition value first."""
    _require(request)
    status = "decided" if request.GET.get("status") == "decided" else "open"
    rows = returns.return_queue(user=request.user, status=status)
    return render(request, "warehouse/returns.html", {"rows": rows, "status": status})


@login_required
@require_POST
def return_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    ret = ReturnLine.objects.filter(pk=pk, location__in=selectors.location_scope(user=request.user)).first()
    if ret is None:
        raise Http404("No return line of yours has this number.")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        result = returns.return_decide(
            ret=ret, choice=request.POST.get("choice", ""), actor=request.user, version=version
        )
    except (NotAllowed, StaleVersion) as err:
        messages.error(request, str(err))
    else:
        resolved = sum(1 for f in result["filled"] if f["resolved"])
        text = f"RMA {ret.rma}/{ret.line_number}: {result['return'].get_disposition_display().lower()}, posted to the ERP"
        if result["filled"]:
            text += f"; {sum(f['units'] for f in result['filled'])} units fill backorders ({resolved} line(s) resolved)"
        messages.success(request, text + ".")
    return redirect("warehouse:returns")
