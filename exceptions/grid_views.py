"""The queue's grid actions: export of the current filter, saved views, bulk approval (selected rows, or every
row the filter matches after a count confirmation). Thin views over exceptions.grid and exceptions.exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, trigger_client_event

from . import grid, selectors, services
from .approval import queue_approvals
from .errors import InvalidInput
from .exports import queue_export_response
from .models import RANK, SavedView
from .views import _common, _next_url


@login_required
@require_GET
def queue_export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    """Every row of the filtered queue, in the screen's order (?ordering= included), as CSV or Excel."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Export as csv or xlsx.")
    filters = selectors.QueueFilters.from_query(request.GET)
    if filters.errors:
        messages.error(request, "Not exported: " + " ".join(filters.errors.values()))
        return redirect(f"{reverse('exceptions:queue')}?{urlencode(filters.as_query())}")
    return queue_export_response(user=request.user, filters=filters, fmt=fmt)


# --- saved views --------------------------------------------------------------------------------------------------


def _views_answer(
    request: HttpRequest, message: str, *, level: str = "ok", status: int = 200
) -> HttpResponse:
    if not request.htmx:
        (messages.success if level == "ok" else messages.error)(request, message)
        return redirect(_next_url(request))
    context = {
        "saved_views": grid.saved_view_list(user=request.user),
        "flash": message,
        "flash_level": level,
        "query": request.POST.get("query", ""),
    }
    return render(request, "exceptions/saved_views_result.html", context, status=status)


@login_required
@require_POST
def saved_view_save_view(request: HttpRequest) -> HttpResponse:
    try:
        view, created = grid.saved_view_save(
            user=request.user, name=request.POST.get("name", ""), query=request.POST.get("query", "")
        )
    except InvalidInput as err:
        return _views_answer(request, " ".join(err.errors.values()), level="error", status=422)
    return _views_answer(request, f"{'Saved' if created else 'Updated'} the view “{view.name}”.")


@login_required
@require_POST
def saved_view_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        name = grid.saved_view_delete(user=request.user, pk=pk)
    except SavedView.DoesNotExist as err:
        raise Http404("No such view of yours.") from err
    return _views_answer(request, f"Deleted the view “{name}”.")


# --- bulk approval ------------------------------------------------------------------------------------------------


def _bulk_error(request: HttpRequest, message: str, *, status: int = 422) -> HttpResponse:
    if not request.htmx:
        messages.error(request, message)
        return redirect(_next_url(request))
    response = render(
        request, "exceptions/bulk_result.html", {"flash": message, "flash_level": "error"}, status=status
    )
    return reswap(response, "none")


def _bulk_report(
    request: HttpRequest, *, approved: list, of: int, refused, note: str = "", reload: bool = False
) -> HttpResponse:
    """Approved X of N, the refused rows each with its reason, and the rows updated in place."""
    message = f"Approved {len(approved)} of {of}." + (
        f" {len(refused)} not approved (listed below)." if refused else ""
    )
    message += note
    if not request.htmx:
        (messages.success if not refused else messages.warning)(request, message)
        for exc, reason in refused:
            messages.warning(request, f"#{exc.pk if exc else ''}: {reason}")
        return redirect(_next_url(request))
    ids = [exc.pk for exc in approved] + [exc.pk for exc, _reason in refused if exc is not None]
    rows = list(
        selectors.exception_base(user=request.user)
        .select_related("item_location__item", "location", "supplier")
        .filter(pk__in=ids)
        .order_by(*RANK)
    )
    queue_approvals(rows, request.user)
    for exc in rows:
        exc.rank = request.POST.get(f"rank_{exc.pk}", "")
    context = {
        **_common(request),
        "results": rows,
        "refused": refused,
        "flash": message,
        "flash_level": "error" if refused else "ok",
        "report": True,
    }
    response = render(request, "exceptions/bulk_result.html", context)
    response = trigger_client_event(reswap(response, "none"), "queue-changed", {"approved": len(approved)})
    return trigger_client_event(response, "queue-reload") if reload else response


def _bulk_selected(request: HttpRequest) -> HttpResponse:
    items = []
    for raw in request.POST.getlist("ids"):
        pk, _, version = raw.partition(":")
        if pk.isdigit() and version.isdigit():
            items.append((int(pk), int(version)))
    if not items:
        return _bulk_error(
            request,
            "Nothing is selected: tick the rows to approve (x on the current row), or use "
            "“Approve all matching” to approve every row of this filter.",
        )
    results = services.exceptions_bulk_approve(actor=request.user, items=items)
    refused = [(exc, error) for exc, error in results if error]
    approved = [exc for exc, error in results if not error]
    return _bulk_report(request, approved=approved, of=len(items), refused=refused)


def _bulk_matching(request: HttpRequest) -> HttpResponse:
    from django.http import QueryDict

    query = request.POST.get("query", "")
    filters = selectors.QueueFilters.from_query(QueryDict(query))
    try:
        if "token" not in request.POST:  # step 1: the count to confirm
            count, token = grid.bulk_matching(actor=request.user, filters=filters)
            context = {"count": count, "token": token, "query": query, "filters": filters}
            template = "exceptions/bulk_confirm.html"
            if request.htmx:
                return reswap(render(request, template + "#bulk-report", context), "none")
            return render(request, template, context)
        outcome = grid.exceptions_bulk_approve_matching(
            actor=request.user,
            filters=filters,
            expected=request.POST.get("expected"),
            token=request.POST.get("token", ""),
        )
    except InvalidInput as err:
        return _bulk_error(request, " ".join(err.errors.values()))
    note = (
        f" {outcome.joined} row{'s' if outcome.joined != 1 else ''} joined the filter since you confirmed: "
        "left for you to review."
        if outcome.joined
        else ""
    )
    return _bulk_report(
        request,
        approved=outcome.approved,
        of=outcome.confirmed,
        refused=outcome.refused,
        note=note,
        reload=True,
    )


@login_required
@require_POST
def bulk_approve_view(request: HttpRequest) -> HttpResponse:
    """Approve the ticked rows, or (all_matching=1) every row of the filter after a count confirmation."""
    if request.POST.get("all_matching") == "1":
        return _bulk_matching(request)
    return _bulk_selected(request)
