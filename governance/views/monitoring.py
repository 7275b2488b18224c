"""Managers' monitoring screens: the KPI dashboard, drift findings and the acceptance model."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from replenish.core.errors import ServiceError

from .. import selectors
from ..kpis import KPI_DEFINITIONS, kpi_series
from ..models import AcceptanceModel, DriftFinding, DriftReport
from ..services import can_edit_policy, drift_finding_close
from ..tasks import drift_report_task
from .common import _forbidden, _manager_screen, _write_gate

# --- KPIs, drift, acceptance model ---------------------------------------------------------------------------------


@login_required
@require_GET
def kpi_dashboard_view(request) -> HttpResponse:
    if not _manager_screen(request.user):
        return _forbidden(request, "The KPI dashboard is for managers.")
    weeks = max(4, min(int(request.GET.get("weeks", "26") or 26), 104))
    since = timezone.localdate() - timedelta(weeks=weeks)
    series = kpi_series(since=since)
    cards = []
    for key, definition in KPI_DEFINITIONS.items():
        dims = series.get(key, {})
        overall = dims.get("", [])
        latest = overall[-1][1] if overall else None
        previous = overall[-2][1] if len(overall) > 1 else None
        breakdown = [(dim, points[-1][1]) for dim, points in sorted(dims.items()) if dim and points]
        cards.append(
            {
                "definition": definition,
                "latest": latest,
                "previous": previous,
                "breakdown": breakdown,
                "points": len(overall),
            }
        )
    chart_data = {
        key: {
            dim or "all": [[day.isoformat(), value] for day, value in points]
            for dim, points in dims.items()
            if not dim or len(dims) <= 13
        }
        for key, dims in series.items()
    }
    context = {
        "cards": cards,
        "chart_data": chart_data,
        "weeks": weeks,
        "labels": {k: {"label": d.label, "unit": d.unit} for k, d in KPI_DEFINITIONS.items()},
        "models": AcceptanceModel.objects.defer("blob")[:5],
    }
    return render(request, "governance/kpis.html", context)


@login_required
def drift_view(request) -> HttpResponse:
    if request.method == "POST":  # run the checks now
        gate = _write_gate(request, action="drift_report_run", subject_type="drift_report", subject_id="new")
        if gate:
            return gate
        before = DriftReport.objects.count()
        drift_report_task.delay(actor_id=request.user.pk, force=True)
        done = (
            DriftReport.objects.count() > before
        )  # in-process Celery ran it already; a worker takes a while
        note = (
            "Drift checks done."
            if done
            else "Drift checks started; reload for the findings when they finish."
        )
        if request.htmx:
            return render(
                request, "governance/drift.html#drift-results", _drift_context(request) | {"note": note}
            )
        messages.success(request, note)
        return redirect("governance:drift")
    if not _manager_screen(request.user):
        return _forbidden(request, "Drift findings are for managers.")
    template = "governance/drift.html"
    if request.htmx and request.htmx.target == "drift-table":
        template += "#drift-table"
    return render(request, template, _drift_context(request))


def _drift_context(request) -> dict:
    status = request.GET.get("status", "open")
    return {
        "findings": selectors.drift_finding_list(status=status)[:500],
        "status": status,
        "reports": DriftReport.objects.all()[:6],
        "can_edit": can_edit_policy(request.user) and not selectors.is_auditor(request.user),
    }


@login_required
@require_POST
def drift_finding_close_view(request, pk: int) -> HttpResponse:
    gate = _write_gate(request, action="drift_finding_close", subject_type="drift_finding", subject_id=pk)
    if gate:
        return gate
    try:
        finding = drift_finding_close(actor=request.user, finding_id=pk, note=request.POST.get("note", ""))
    except DriftFinding.DoesNotExist:
        return _forbidden(request, f"Drift finding #{pk} does not exist.", status=404)
    except ServiceError as err:
        return _forbidden(request, str(err), status=getattr(err, "status", 400))
    if not request.htmx:
        return redirect("governance:drift")
    response = render(request, "governance/drift.html#finding-row", {"finding": finding, "can_edit": True})
    return trigger_client_event(response, "drift-changed")
