"""Download a blank file of an import format (CSV: the header row; Excel: the header and a sheet of columns)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from .files.templates import template_csv, template_xlsx
from .selectors import can_view_integrations

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_GET
def file_template_view(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if not can_view_integrations(request.user):
        raise PermissionDenied("The Integrations screen is for administrators and managers.")
    if fmt not in CONTENT_TYPES:
        raise Http404("Templates are CSV or Excel.")
    try:
        body = template_csv(kind) if fmt == "csv" else template_xlsx(kind)
    except KeyError as error:
        raise Http404(str(error)) from error
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="distops-{kind}-template.{fmt}"'
    return response
