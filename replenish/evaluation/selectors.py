"""Readers of the evaluation reports, filtered by role."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.fields.json import KeyTransform
from django.http import Http404

from replenish.core import roles
from replenish.models import SimulationReport

# Buyers and their managers ask for the evidence; auditors review it.
VIEWER_ROLES = frozenset({roles.MANAGER, roles.BUYER, roles.AUDITOR, roles.ADMINISTRATOR})


def can_view_simulations(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and roles.role_of(user) in VIEWER_ROLES


def simulation_report_list(*, user, kind: str | None = None) -> QuerySet[SimulationReport]:
    if not can_view_simulations(user):
        return SimulationReport.objects.none()
    reports = (
        SimulationReport.objects.select_related("created_by")
        .defer("results")
        .annotate(
            acceptance=KeyTransform("acceptance", "results"),
            service_comparison=KeyTransform("service_comparison", "results"),
        )
    )
    if kind:
        reports = reports.filter(kind=kind)
    return reports


def simulation_report_get(*, pk: int, user) -> SimulationReport:
    """The report, or 404 when it does not exist or the user may not see reports."""
    if not can_view_simulations(user):
        raise Http404("No such report.")
    report = SimulationReport.objects.select_related("created_by").filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report
