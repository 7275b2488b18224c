"""Work-queue screens: thin function views over selectors and services (HTMX partials, and plain HTML without JS)."""

from __future__ import annotations

from datetime import timedelta
from math import ceil
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from replenish import models as rm
from replenish.core.roles import MANAGER_RANK, ROLE_RANK, can_open, user_rank

from . import selectors, services
from .approval import queue_approvals
from .errors import InvalidInput, NotAllowed, StaleVersion
from .filters import FIRST_DIRECTION, SORTS
from .models import PlanningException, ReasonCode, SavedView
from .queue_rows import rows_render


def _require_queue(request: HttpRequest) -> None:
    """The queue holds procurement decisions: the roles that open it are replenish.core.roles.WORKSPACE_ROLES."""
    if not can_open(request.user, "queue"):
        raise PermissionDenied(
            "The buyers' queue holds supplier-PO decisions, which are not part of your role: "
            "your own workspace holds your work."
        )


def _filters(request: HttpRequest) -> selectors.QueueFilters:
    return selectors.QueueFilters.from_query(request.GET)


def _get(request: HttpRequest, pk: int) -> PlanningException:
    try:
        return selectors.exception_get(user=request.user, pk=pk)
    except PlanningException.DoesNotExist as err:
        raise Http404("No such exception in your queues.") from err


def _choices() -> dict:
    choices = cache.get("exceptions:filter-choices")
    if choices is None:
        choices = selectors.filter_choices()
        cache.set("exceptions:filter-choices", choices, 300)
    return choices


def _reasons() -> dict[str, list[ReasonCode]]:
    """The active reason codes of an override and of a rejection, read in one query (ordered as the model says)."""
    codes = list(ReasonCode.objects.filter(active=True, applies_to__in=["any", "override", "reject"]))
    return {kind: [c for c in codes if c.applies_to in ("any", kind)] for kind in ("override", "reject")}


def _common(request: HttpRequest) -> dict:
    return {
        "today": timezone.localdate(),
        "currency": settings.DISTOPS_CURRENCY,
        "can_decide": selectors.can_decide(request.user),
    }


def _sort_headers(filters: selectors.QueueFilters, query: dict[str, str]) -> dict[str, dict]:
    """Per sortable column: the URL its header links to (first click: the planner's direction; again: reversed) and
    its state now (aria-sort). Without ?ordering the queue is by value, high first (decided: newest first)."""
    current = filters.ordering or ("" if filters.queue == "decided" else "-value")
    headers = {}
    for key in SORTS:
        state = "descending" if current == f"-{key}" else "ascending" if current == key else "none"
        target = {"descending": key, "ascending": f"-{key}"}.get(state, FIRST_DIRECTION[key] + key)
        link = {k: v for k, v in query.items() if k not in ("ordering", "page")} | {"ordering": target}
        headers[key] = {"query": urlencode(link), "state": state, "arrow": _ARROWS[state]}
    return headers


_ARROWS = {"descending": " ▼", "ascending": " ▲", "none": ""}


def _queue_context(request: HttpRequest, filters: selectors.QueueFilters) -> dict:
    # the list is built once, for the page and for its total
    listed = selectors.exception_list(user=request.user, filters=filters)
    rows, has_next = selectors.exception_page(user=request.user, filters=filters, listed=listed)
    total = selectors.exception_total(user=request.user, filters=filters, listed=listed)
    pages = max(ceil(total.count / selectors.PAGE_SIZE), 1) if total.exact else None
    queue_approvals(rows, request.user)
    start = (filters.page - 1) * selectors.PAGE_SIZE
    for offset, row in enumerate(rows, start=1):
        row.rank = start + offset
    common = _common(request)
    rows_render(
        request, rows, can_decide=common["can_decide"], queue=filters.queue, currency=common["currency"]
    )
    query = filters.as_query()
    return {
        **common,
        "rows": rows,
        "filters": filters,
        "query": urlencode(query),
        "page": filters.page,
        "pages": pages,
        "total": total.count,
        "total_exact": total.exact,
        "first_row": start + 1 if rows else 0,
        "last_row": start + len(rows),
        "has_next": has_next,
        "has_previous": filters.page > 1,
        "next_query": urlencode({**query, "page": filters.page + 1}),
        "previous_query": urlencode({**query, "page": filters.page - 1}),
        "last_query": urlencode({**query, "page": pages}) if pages else "",
        "first_query": urlencode(query),
        "sort": _sort_headers(filters, query),
        "choices": _choices(),
        "seen_at": timezone.now().isoformat(),
    }


@login_required
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    _require_queue(request)
    filters = _filters(request)
    context = _queue_context(request, filters)
    if request.htmx and request.htmx.target == "queue-table":
        return render(request, "exceptions/queue.html#queue-table", context)
    running, current_run = selectors.plan_runs_now()
    context.update(
        {
            "counts": selectors.queue_counts(request.user),
            "queues": [(key, selectors.QUEUE_LABELS[key]) for key in selectors.QUEUES],
            "running": running,
            "current_run": current_run,
            "selected": None,
            "saved_views": SavedView.objects.filter(user_id=request.user.pk).order_by("name"),
        }
    )
    selected = request.GET.get("open")
    if selected and selected.isdigit():
        exc = _get(request, int(selected))
        context.update(_detail_context(request, exc))
    return render(request, "exceptions/queue.html", context)


@login_required
@require_GET
def queue_tabs_view(request: HttpRequest) -> HttpResponse:
    _require_queue(request)
    context = {
        "filters": _filters(request),
        "counts": selectors.queue_counts(request.user),
        "queues": [(key, selectors.QUEUE_LABELS[key]) for key in selectors.QUEUES],
    }
    return render(request, "exceptions/queue.html#queue-tabs", context)


@login_required
@require_GET
def refresh_progress_view(request: HttpRequest) -> HttpResponse:
    running, current_run = selectors.plan_runs_now()
    response = render(
        request, "exceptions/queue.html#refresh-progress", {"running": running, "current_run": current_run}
    )
    if running is None and request.GET.get("was_running") == "1":
        response = trigger_client_event(response, "queue-changed")
    return response


def _can_approve_request(user, exc: PlanningException) -> bool:
    """An approver of the required rank, other than the maker, may decide an awaiting-approval request here."""
    if exc.status != "awaiting_approval" or exc.maker_id == user.pk or not selectors.can_decide(user):
        return False
    return user_rank(user) >= ROLE_RANK.get(exc.required_role, MANAGER_RANK)


def _detail_context(request: HttpRequest, exc: PlanningException, **extra) -> dict:
    queue_approvals([exc], request.user)
    reasons = _reasons()
    return {
        "can_approve_request": _can_approve_request(request.user, exc),
        **_common(request),
        "selected": exc,
        "detail": selectors.exception_detail(exception=exc),
        "override_reasons": reasons["override"],
        "reject_reasons": reasons["reject"],
        "item_suppliers": (
            rm.SupplierItem.objects.filter(item_id=exc.item_location.item_id)
            .select_related("supplier")
            .order_by("-is_primary", "supplier__name")
            if exc.item_location_id
            else []
        ),
        "source_locations": (
            rm.Location.objects.exclude(pk=exc.location_id).order_by("code") if exc.location_id else []
        ),
        "errors": {},
        "form": {},
        "default_snooze": (timezone.localdate() + timedelta(days=7)).isoformat(),
        **extra,
    }


@login_required
@require_GET
def exception_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_queue(request)
    exc = _get(request, pk)
    context = _detail_context(request, exc)
    if request.htmx:
        return render(request, "exceptions/queue.html#detail-panel", context)
    return render(request, "exceptions/detail.html", context)


# --- actions ------------------------------------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return reverse("exceptions:queue")


# what exception_get reads with an exception (select_related): a decided row carries these over from the read before
_SHOWN_RELATIONS = ("item_location", "location", "supplier", "owner", "maker")


def _with_relations(decided: PlanningException, read: PlanningException) -> PlanningException:
    """The decided row (the service's locked and updated instance, as committed) with the related rows the view read
    before the decision (the SKU-location with its item and location, the location, supplier, owner and maker), each
    only where the decision left its id unchanged (an override's maker is the actor: the service set it): the
    response needs no second read of the row and its joins."""
    for name in _SHOWN_RELATIONS:
        field = PlanningException._meta.get_field(name)
        if field.is_cached(read) and getattr(decided, field.attname) == getattr(read, field.attname):
            field.set_cached_value(decided, field.get_cached_value(read))
    return decided


def _row_response(
    request: HttpRequest,
    exc: PlanningException,
    message: str,
    *,
    status: int = 200,
    level: str = "ok",
    read: PlanningException | None = None,
) -> HttpResponse:
    """The updated row (the action's target) plus, out of band, the detail panel and a flash line. `read`: the row as
    the view read it before a successful decision, `exc` then being the decided row (no second read); otherwise the
    row is read again."""
    if read is not None and exc.pk == read.pk:
        exc = _with_relations(exc, read)
    else:
        exc = selectors.exception_get(user=request.user, pk=exc.pk)
    exc.rank = request.POST.get("rank", "")
    primary = "row" if request.htmx and request.htmx.target == f"row-{exc.pk}" else "detail"
    context = {
        **_detail_context(request, exc),
        "row": exc,
        "flash": message,
        "flash_level": level,
        "primary": primary,
    }
    response = render(request, "exceptions/action_result.html", context, status=status)
    return trigger_client_event(response, "queue-changed", {"exception": exc.pk, "status": exc.status})


def _act(request: HttpRequest, pk: int, verb: str, call, success: str) -> HttpResponse:
    exc = read = _get(request, pk)  # 404 when it is not the user's
    try:
        exc = call(exc)
    except InvalidInput as err:
        context = _detail_context(request, exc, errors=err.errors, form=request.POST, open_form=verb)
        if not request.htmx:
            return render(request, "exceptions/detail.html", context, status=422)
        response = render(request, "exceptions/queue.html#detail-panel", context, status=422)
        return reswap(retarget(response, "#detail-panel"), "outerHTML")
    except StaleVersion as err:
        if not request.htmx:
            messages.error(request, str(err))
            return redirect(reverse("exceptions:detail", args=[pk]))
        return _row_response(request, err.current or exc, str(err), status=409, level="error")
    except NotAllowed as err:
        if not request.htmx:
            messages.error(request, str(err))
            return redirect(reverse("exceptions:detail", args=[pk]))
        exc.refresh_from_db()
        return _row_response(request, exc, str(err), status=403, level="error")
    if not request.htmx:
        messages.success(request, success.format(pk=pk))
        return redirect(_next_url(request))
    return _row_response(request, exc, success.format(pk=pk), read=read)


@login_required
@require_POST
def approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "approve",
        lambda exc: services.exception_approve(
            exception=exc,
            actor=request.user,
            version=request.POST.get("version"),
            comment=request.POST.get("comment", ""),
        ),
        "Approved #{pk}.",
    )


@login_required
@require_POST
def override_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _act(
        request,
        pk,
        "override",
        lambda exc: services.exception_override(
            exception=exc,
            actor=request.user,
            version=post.get("version"),
            quantity=post.get("quantity"),
            date=post.get("date"),
            supplier=post.get("supplier") or None,
            source_location=post.get("source_location") or None,
            reason_code=post.get("reason_code", ""),
            comment=post.get("comment", ""),
        ),
        "Overridden #{pk}.",
    )


@login_required
@require_POST
def reject_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _act(
        request,
        pk,
        "reject",
        lambda exc: services.exception_reject(
            exception=exc,
            actor=request.user,
            version=post.get("version"),
            reason_code=post.get("reason_code", ""),
            comment=post.get("comment", ""),
        ),
        "Rejected #{pk}.",
    )


@login_required
@require_POST
def snooze_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _act(
        request,
        pk,
        "snooze",
        lambda exc: services.exception_snooze(
            exception=exc, actor=request.user, version=post.get("version"), until=post.get("until")
        ),
        "Snoozed #{pk}.",
    )


@login_required
@require_POST
def request_approval_view(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    return _act(
        request,
        pk,
        "request_approval",
        lambda exc: services.exception_request_approval(
            exception=exc,
            actor=request.user,
            version=post.get("version"),
            quantity=post.get("quantity") or None,
            date=post.get("date") or None,
            supplier=post.get("supplier") or None,
            source_location=post.get("source_location") or None,
            reason_code=post.get("reason_code", ""),
            comment=post.get("comment", ""),
        ),
        "Sent #{pk} for approval.",
    )
