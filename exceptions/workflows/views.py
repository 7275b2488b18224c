"""Thin views: the customer-service queue, workflow tasks (with the WMS sequence CSV) and the domain-event log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from replenish.core.errors import NotAllowed, StaleVersion

from . import selectors
from .labor import sequence_csv
from .models import AllocationLine, CustomerServiceTask, WorkflowTask
from .services import service_task_contact
from .supplier import workflow_task_approve


@login_required
def service_queue_view(request):
    """The at-risk order lines now live in the customer-service workspace (one list with the exceptions')."""
    if not selectors.can_see_service_queue(request.user):
        raise PermissionDenied("The at-risk order queue is for customer service and managers.")
    return redirect("workspace-service")


@login_required
@require_POST
def service_task_contact_view(request, pk: int):
    try:
        task = selectors.service_task_get(user=request.user, pk=pk)
    except CustomerServiceTask.DoesNotExist as exc:
        raise Http404 from exc
    if not selectors.can_act_on_service_queue(request.user):
        raise PermissionDenied("Only customer service records a customer contact.")
    error = ""
    try:
        task = service_task_contact(
            task=task,
            actor=request.user,
            version=int(request.POST.get("version", 0)),
            note=request.POST.get("note", ""),
        )
    except (StaleVersion, NotAllowed) as exc:
        error = str(exc)
        task.refresh_from_db()
    if not request.htmx:
        return redirect("workflows:service_queue")
    response = render(
        request, "workflows/service_queue.html#service-row", {"row": task, "error": error, "can_act": True}
    )
    return trigger_client_event(response, "queue-changed")


def _require(request, permission: str, refusal: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(refusal)


TASKS_REFUSAL = "Workflow tasks are for buyers, transportation planners, managers and auditors."


@login_required
def task_list_view(request):
    _require(request, selectors.VIEW_TASKS, TASKS_REFUSAL)
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "live")
    rows = list(selectors.workflow_task_list(user=request.user, kind=kind, status=status)[:200])
    context = {"rows": rows, "kind": kind, "status": status, "kinds": WorkflowTask.Kind.choices}
    template = "workflows/task_list.html#task-rows" if request.htmx else "workflows/task_list.html"
    return render(request, template, context)


@login_required
def task_detail_view(request, pk: int):
    _require(request, selectors.VIEW_TASKS, TASKS_REFUSAL)
    try:
        task = selectors.workflow_task_get(user=request.user, pk=pk)
    except WorkflowTask.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "workflows/task_detail.html", {"task": task})


@login_required
@require_POST
def task_approve_view(request, pk: int):
    _require(request, selectors.ACT_TASKS, "Your role reads workflow tasks but does not decide them.")
    try:
        task = selectors.workflow_task_get(user=request.user, pk=pk)
    except WorkflowTask.DoesNotExist as exc:
        raise Http404 from exc
    error = ""
    try:
        task = workflow_task_approve(task=task, actor=request.user)
    except NotAllowed as exc:
        error = str(exc)
    response = render(
        request, "workflows/task_detail.html", {"task": task, "error": error}, status=403 if error else 200
    )
    return trigger_client_event(response, "queue-changed") if not error else response


@login_required
def task_sequence_csv_view(request, pk: int):
    _require(request, selectors.VIEW_TASKS, TASKS_REFUSAL)
    try:
        task = selectors.workflow_task_get(user=request.user, pk=pk)
    except WorkflowTask.DoesNotExist as exc:
        raise Http404 from exc
    if task.kind != WorkflowTask.Kind.LABOR_RESEQUENCE:
        raise Http404("only a resequenced work queue has a WMS export")
    response = HttpResponse(sequence_csv(task), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="wms-sequence-{task.pk}.csv"'
    return response


@login_required
def event_list_view(request):
    _require(request, selectors.VIEW_EVENTS, "The event log is for managers and auditors.")
    status = request.GET.get("status", "")
    rows = list(selectors.domain_event_list(status=status)[:200])
    return render(request, "workflows/event_list.html", {"rows": rows, "status": status})


@login_required
def allocation_detail_view(request, key: str):
    """One constrained-supply allocation: every demand line, what it got, from where, and why."""
    _require(
        request, selectors.VIEW_ALLOCATIONS, "Allocations are for customer service, buyers and managers."
    )
    rows = list(
        AllocationLine.objects.filter(allocation_key=key)
        .select_related("item", "supply_location", "demand_location", "sales_order_line__order__customer")
        .order_by("-contractual_minimum", "-allocated", "pk")
    )
    if not rows:
        raise Http404("no such allocation")
    return render(request, "workflows/allocation_detail.html", {"rows": rows, "key": key})
