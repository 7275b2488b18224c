"""The customer-service workspace (thin views): at-risk order lines grouped by customer and order, their actions,
and the backorder resolution queue."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from replenish.core.errors import NotAllowed, StaleVersion

from ..workflows.models import CustomerServiceTask
from . import selectors, services

PAGE_SIZE = 100
ACTION_BUTTONS = [
    ("split", "Split / ship what is here"),
    ("reallocate", "Reallocate from lower tiers"),
    ("contact", "Customer contacted"),
]


def _with_done(rows: list[CustomerServiceTask]) -> list[CustomerServiceTask]:
    done = selectors.actions_by_line([r.sales_order_line_id for r in rows])
    queue = selectors.queue_decisions([r.item_location_id for r in rows])
    for row in rows:
        row.done = done.get(row.sales_order_line_id, [])  # type: ignore[attr-defined]
        row.queue_task = queue.get(row.item_location_id)  # type: ignore[attr-defined]
    return rows


@login_required
def workspace_service_view(request):
    if not selectors.can_view(request.user):
        raise PermissionDenied("The customer-service workspace is for customer service and managers.")
    tab = request.GET.get("tab", "at_risk")
    context: dict = {"tab": tab, "can_act": selectors.can_act(request.user), "action_buttons": ACTION_BUTTONS}
    if tab == "backorders":
        context["backorders"] = selectors.backorder_list(user=request.user)
    else:
        status = request.GET.get("status", "")
        qs = selectors.at_risk_list(user=request.user, status=status)
        raw_page = request.GET.get("page", "1")
        page = max(int(raw_page), 1) if raw_page.isdigit() else 1
        rows = list(qs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
        context.update(
            status=status,
            rows=_with_done(rows[:PAGE_SIZE]),
            page=page,
            has_next=len(rows) > PAGE_SIZE,
            total=qs.count(),
        )
    return render(request, "service/workspace.html", context)


ACTIONS = {
    "repromise": lambda task, user, version, post: services.order_line_repromise(
        task=task, actor=user, version=version, promise_date=_date(post.get("promise_date", ""))
    ),
    "substitute": lambda task, user, version, post: services.order_line_substitute(
        task=task, actor=user, version=version, sku=post.get("sku", "")
    ),
    "split": lambda task, user, version, post: services.order_line_split(
        task=task, actor=user, version=version
    ),
    "reallocate": lambda task, user, version, post: services.order_line_reallocate(
        task=task, actor=user, version=version
    ),
    "contact": lambda task, user, version, post: services.order_line_contact(
        task=task, actor=user, version=version, note=post.get("note", "")
    ),
}


def _date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError as exc:
        raise NotAllowed(f"'{raw}' is not a date (YYYY-MM-DD)") from exc


@login_required
@require_POST
def service_line_action_view(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("no such action")
    try:
        task = selectors.at_risk_get(user=request.user, pk=pk)
    except CustomerServiceTask.DoesNotExist as exc:
        raise Http404 from exc
    if not selectors.can_act(request.user):
        raise PermissionDenied("Only customer service and managers act on customer order lines.")
    error, status = "", 200
    try:
        ACTIONS[action](task, request.user, int(request.POST.get("version", 0) or 0), request.POST)
    except StaleVersion as exc:
        error, status = str(exc), 409
    except NotAllowed as exc:
        error, status = str(exc), 422
    task = CustomerServiceTask.objects.select_related(
        "sales_order_line__order__customer__service_tier", "sales_order_line__item", "item_location__location"
    ).get(pk=task.pk)
    if not request.htmx:
        if error:
            from django.contrib import messages

            messages.error(request, error)
        return redirect("workspace-service")
    context = {
        "row": _with_done([task])[0],
        "error": error,
        "can_act": True,
        "action_buttons": ACTION_BUTTONS,
    }
    response = render(request, "service/workspace.html#line-row", context, status=status)
    return trigger_client_event(response, "queue-changed") if not error else response
