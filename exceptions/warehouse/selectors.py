"""Reads of warehouse control, scoped to the supervisor's locations (django-guardian grants of view_location)."""

from __future__ import annotations

from django.db.models import QuerySet

from exceptions.models import LocationUserObjectPermission
from exceptions.workflows.models import WorkflowTask
from replenish import models as rm
from replenish.core import roles


def location_scope(*, user) -> QuerySet[rm.Location]:
    """The locations the user controls: a supervisor's granted locations; every location for overseers."""
    qs = rm.Location.objects.order_by("code")
    if not roles.can_open(user, "warehouse"):
        return qs.none()
    if user.is_superuser or roles.role_of(user) in roles.OVERSEERS:
        return qs
    granted = LocationUserObjectPermission.objects.filter(
        user_id=user.pk, permission__codename="view_location"
    ).values("content_object_id")
    return qs.filter(pk__in=granted)


def location_pick(*, user, code: str) -> rm.Location | None:
    """The location asked for (by code) if in scope, else the first one in scope (None: no location)."""
    scope = location_scope(user=user)
    return (scope.filter(code=code).first() if code else None) or scope.first()


def labor_task_list(*, user) -> QuerySet[WorkflowTask]:
    """Resequenced WMS work queues (labor bottlenecks) at the user's locations, live first."""
    return (
        WorkflowTask.objects.filter(
            kind=WorkflowTask.Kind.LABOR_RESEQUENCE, location__in=location_scope(user=user)
        )
        .select_related("location")
        .order_by("status", "-created_at")
    )


def labor_task_get(*, user, pk: int) -> WorkflowTask | None:
    return labor_task_list(user=user).filter(pk=pk).first()
