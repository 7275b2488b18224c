"""The policy simulation and backtest reports: list, report page (trade-off chart and tables), exports."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from .core import roles
from .evaluation.charts import chart_data, forecast_table, report_html, report_tables, tradeoff_png
from .evaluation.jobs import BACKTEST_WEEKS, SIMULATION_WEEKS, JobError, evaluation_job_start, is_orphaned
from .evaluation.selectors import can_view_simulations, simulation_report_get, simulation_report_list
from .models import JobStatus, SimulationReport

LIST_SIZE = 50
EXPORT_FORMATS = ("png", "html", "json")


def _require_viewer(request: HttpRequest) -> None:
    if not can_view_simulations(request.user):
        raise PermissionDenied("Simulation reports are for managers, buyers and auditors.")


@login_required
@require_GET
def simulation_report_list_view(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    kind = request.GET.get("kind", "")
    if kind not in SimulationReport.Kind.values:
        kind = ""
    reports = list(simulation_report_list(user=request.user, kind=kind or None)[:LIST_SIZE])
    for report in reports:
        report.headline = _headline(report)
    context = {
        "reports": reports,
        "kind": kind,
        "kinds": SimulationReport.Kind.choices,
        "can_start": can_start_evaluation(request.user),
        "simulation_weeks": SIMULATION_WEEKS,
        "backtest_weeks": BACKTEST_WEEKS,
        # a run whose process ended does not hold the buttons: starting one marks it failed
        "running": any(
            r.status in (JobStatus.QUEUED, JobStatus.RUNNING) and not is_orphaned(r) for r in reports
        ),
    }
    template = "replenish/simulation_list.html"
    if getattr(request, "htmx", False):
        template += "#report-list"
    return render(request, template, context)


def _headline(report: SimulationReport) -> list[dict]:
    """One badge per dynamic policy (acceptance met or not, inventory change), or the backtest's verdict."""
    lines = []
    for name, check in (getattr(report, "acceptance", None) or {}).items():
        reduction = check.get("inventory_reduction")
        change = "—" if reduction is None else f"{-100 * reduction:+.1f}% inventory"
        lines.append(
            {
                "ok": bool(check.get("met")),
                "text": f"{name}: {change}, fill {100 * (check.get('unit_fill_rate') or 0):.1f}%",
            }
        )
    comparison = getattr(report, "service_comparison", None) or {}
    if comparison:
        lines.append(
            {
                "ok": bool(comparison.get("dynamic_closer")),
                "text": f"dynamic {'closer to' if comparison.get('dynamic_closer') else 'not closer to'} targets",
            }
        )
    return lines


@login_required
@require_GET
def simulation_report_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_viewer(request)
    row = simulation_report_get(pk=pk, user=request.user)
    if row.status != JobStatus.COMPLETE:
        return render(
            request, "replenish/simulation_progress.html", {"row": row, "orphaned": is_orphaned(row)}
        )
    report = row.results
    context = {
        "row": row,
        "report": report,
        "tables": report_tables(report),
        "chart": chart_data(report),
        "comparison": report.get("service_comparison", {}),
        "forecast": forecast_table(report),
    }
    return render(request, "replenish/simulation_detail.html", context)


@login_required
@require_GET
def simulation_report_export_view(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _require_viewer(request)
    if fmt not in EXPORT_FORMATS:
        raise Http404("Unknown export format.")
    row = simulation_report_get(pk=pk, user=request.user)
    if row.status != JobStatus.COMPLETE:
        raise Http404("This report is not complete.")
    name = f"distops-{row.kind}-{row.pk}"
    if fmt == "png":
        response = HttpResponse(tradeoff_png(row.results), content_type="image/png")
    elif fmt == "html":
        response = HttpResponse(report_html(row.results), content_type="text/html; charset=utf-8")
    else:
        response = HttpResponse(
            json.dumps(row.results, indent=2, allow_nan=False), content_type="application/json"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


START_ROLES = frozenset({roles.MANAGER, roles.DIRECTOR, roles.ADMINISTRATOR})


def can_start_evaluation(user) -> bool:
    return roles.role_of(user) in START_ROLES


@login_required
@require_POST
def simulation_start_view(request: HttpRequest) -> HttpResponse:
    """Start a simulation or backtest as a Celery task and show its progress page."""
    if not can_start_evaluation(request.user):
        raise PermissionDenied("Managers start simulations and backtests.")
    try:
        row = evaluation_job_start(
            kind=request.POST.get("kind", ""), data=request.POST.dict(), actor=request.user
        )
    except JobError as error:
        messages.error(request, str(error))
        return redirect("simulation_report_list")
    return redirect("simulation_report_detail", pk=row.pk)


@login_required
@require_GET
def simulation_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar (polled by htmx); once the report is complete the page moves on to it."""
    _require_viewer(request)
    row = simulation_report_get(pk=pk, user=request.user)
    if row.status == JobStatus.COMPLETE and getattr(request, "htmx", False):
        return HttpResponseClientRedirect(f"/simulation/{row.pk}/")
    return render(
        request, "replenish/simulation_progress.html#job-progress", {"row": row, "orphaned": is_orphaned(row)}
    )
