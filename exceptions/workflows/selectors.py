"""Reads of the workflows, filtered by role."""

from __future__ import annotations

from django.db.models import QuerySet

from replenish.core import roles
from replenish.core.roles import role_of

from .models import AllocationLine, CustomerServiceTask, DomainEvent, WorkflowTask

# The screens check permissions (granted per role in replenish.core.roles.ROLE_ACTIONS), not role names.
VIEW_SERVICE = "workflows.view_customerservicetask"
ACT_SERVICE = "workflows.change_customerservicetask"  # may act on the customer-service queue
VIEW_TASKS = "workflows.view_workflowtask"
ACT_TASKS = "workflows.change_workflowtask"
VIEW_EVENTS = "workflows.view_domainevent"
VIEW_ALLOCATIONS = "workflows.view_allocationline"
TASK_TEAMS = {
    roles.BUYER: {"procurement"},
    roles.WAREHOUSE_SUPERVISOR: {"warehouse_control"},
    roles.TRANSPORTATION_PLANNER: {"transportation_planning"},
    roles.CUSTOMER_SERVICE: set(),
}
LIVE_SERVICE = (CustomerServiceTask.Status.OPEN, CustomerServiceTask.Status.CONTACTED)


def can_see_service_queue(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(VIEW_SERVICE))


def can_act_on_service_queue(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(ACT_SERVICE))


def service_task_list(*, user, status: str = "open") -> QuerySet[CustomerServiceTask]:
    """The customer-service queue: at-risk lines of tiered customers, highest tier then value first."""
    if not can_see_service_queue(user):
        return CustomerServiceTask.objects.none()
    qs = CustomerServiceTask.objects.select_related(
        "sales_order_line__order",
        "sales_order_line__item",
        "customer__service_tier",
        "item_location__location",
    )
    statuses = {
        "open": [CustomerServiceTask.Status.OPEN],
        "contacted": [CustomerServiceTask.Status.CONTACTED],
        "resolved": [CustomerServiceTask.Status.RESOLVED],
    }.get(status, list(LIVE_SERVICE))
    return qs.filter(status__in=statuses).order_by("tier_rank", "-value_at_stake", "pk")


def latest_allocations(tasks) -> dict[int, str]:
    """Sales-order line id -> key of the newest allocation that covered it (one query)."""
    line_ids = [t.sales_order_line_id for t in tasks]
    out: dict[int, str] = {}
    for line_id, key in (
        AllocationLine.objects.filter(sales_order_line_id__in=line_ids)
        .order_by("created_at", "pk")
        .values_list("sales_order_line_id", "allocation_key")
    ):
        out[line_id] = key
    return out


def service_task_get(*, user, pk: int) -> CustomerServiceTask:
    return service_task_list(user=user, status="all").get(pk=pk)


def customer_service_open_count(user) -> int:
    if not can_see_service_queue(user):
        return 0
    return CustomerServiceTask.objects.filter(status=CustomerServiceTask.Status.OPEN).count()


def workflow_task_list(*, user, kind: str = "", status: str = "live") -> QuerySet[WorkflowTask]:
    if not (user.is_authenticated and user.has_perm(VIEW_TASKS)):
        return WorkflowTask.objects.none()
    role = role_of(user)
    qs = WorkflowTask.objects.select_related("item_location__item", "location", "supplier")
    if role not in roles.OVERSEERS and not user.is_superuser:
        teams = TASK_TEAMS.get(role or "", set())
        qs = qs.filter(owner_team__in=teams)
    if kind:
        qs = qs.filter(kind=kind)
    if status == "live":
        qs = qs.filter(status__in=[WorkflowTask.Status.OPEN, WorkflowTask.Status.AWAITING_APPROVAL])
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-value_at_stake", "pk")


def workflow_task_get(*, user, pk: int) -> WorkflowTask:
    return workflow_task_list(user=user, status="").get(pk=pk)


def domain_event_list(*, status: str = "") -> QuerySet[DomainEvent]:
    qs = DomainEvent.objects.all()
    return qs.filter(status=status) if status else qs
