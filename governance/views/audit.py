"""The auditor's screens: override history (with exports), the audit trail and its verification, timelines."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from replenish.core.audit import verify_chain
from replenish.core.checkpoints import verify_checkpoints
from replenish.core.models import AuditEvent
from replenish.core.paging import paginate

from .. import audit_exports, selectors
from .common import PAGE_SIZE, _forbidden

# --- auditor screens -----------------------------------------------------------------------------------------------


@login_required
@require_GET
def override_history_view(request) -> HttpResponse:
    if not selectors.can_view_audit(request.user):
        return _forbidden(request, "Override history is for auditors and managers.")
    filters, errors = selectors.OverrideFilters.from_query(request.GET)
    qs = selectors.override_history_list(user=request.user, filters=filters)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        return audit_exports.export_response(
            fmt=export,
            name="override-history",
            title="Override history",
            header=audit_exports.OVERRIDE_HEADER,
            rows=audit_exports.override_rows(qs),
        )
    page = paginate(qs, request.GET.get("page"), size=PAGE_SIZE, count=True)
    query = filters.as_query()
    context = {
        "page": page,
        "filters": filters,
        "errors": errors,
        "choices": selectors.override_filter_choices(),
        "query": urlencode(query),
        "currency": settings.DISTOPS_CURRENCY,
    }
    template = "governance/overrides.html"
    if request.htmx and request.htmx.target == "override-table":
        template += "#override-table"
    return render(request, template, context)


@login_required
@require_GET
def audit_trail_view(request) -> HttpResponse:
    if not selectors.can_view_audit(request.user):
        return _forbidden(request, "The audit trail is for auditors and managers.")
    params = {k: request.GET.get(k, "").strip() for k in ("kind", "subject_type", "subject_id", "actor")}
    if request.GET.get("export") in ("csv", "xlsx"):
        return audit_exports.export_response(
            fmt=request.GET["export"],
            name="audit-trail",
            title="Audit trail",
            header=audit_exports.AUDIT_HEADER,
            rows=audit_exports.audit_rows(selectors.audit_event_list(**params)),
        )
    page = paginate(selectors.audit_event_list(**params), request.GET.get("page"), size=PAGE_SIZE, count=True)
    verification = None
    if request.GET.get("verify") == "1":
        checked, broken = verify_chain()
        report = verify_checkpoints(events=checked) if broken is None else None
        verification = {
            "checked": checked,
            "broken": broken or (report.problem if report else None),
            "checkpoint": report.last if report else None,
            "at": timezone.now(),
        }
    context = {
        "page": page,
        "params": params,
        "kinds": AuditEvent.Kind.choices,
        "verification": verification,
        "query": urlencode({k: v for k, v in params.items() if v}),
    }
    template = "governance/audit_trail.html"
    if request.htmx and request.htmx.target == "chain-status":
        template += "#chain-status"
    elif request.htmx and request.htmx.target == "audit-table":
        template += "#audit-table"
    return render(request, template, context)


@login_required
@require_GET
def timeline_view(request, subject_type: str, pk: int) -> HttpResponse:
    if not selectors.can_view_audit(request.user):
        return _forbidden(request, "Timelines are for auditors and managers.")
    if subject_type not in ("exception", "recommendation"):
        return _forbidden(request, "A timeline is of an exception or a recommendation.", status=404)
    context = selectors.recommendation_timeline(subject_type=subject_type, subject_id=pk)
    context |= {"subject_type": subject_type, "subject_id": pk}
    return render(request, "governance/timeline.html", context)
