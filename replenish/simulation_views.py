"""The policy simulation and backtest reports: list, report page (trade-off chart and tables), exports."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .evaluation.charts import chart_data, forecast_table, report_html, report_tables, tradeoff_png
from .evaluation.selectors import can_view_simulations, simulation_report_get, simulation_report_list
from .models import SimulationReport

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
    context = {"reports": reports, "kind": kind, "kinds": SimulationReport.Kind.choices}
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
