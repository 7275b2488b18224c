"""Screens of the governance app: approvals inbox, tier and policy editors, KPIs, drift, and the auditor's views.

Views are thin: permission check, parse, one service or selector call, render (a partial for HTMX). Writes refused
to a user (an auditor, a buyer on a manager's screen) answer 403 with the reason, and the attempt is audited.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from exceptions import selectors as exception_selectors
from exceptions import services as exception_services
from exceptions.models import ReasonCode
from replenish.core.audit import audit_refusal, verify_chain
from replenish.core.errors import InvalidInput, NotAllowed, ServiceError, StaleVersion
from replenish.core.models import AuditEvent
from replenish.core.roles import user_rank

from . import selectors
from .exports import csv_response, xlsx_response
from .forms import ApprovalDecisionForm, ApprovalTierForm, AutomationPolicyForm
from .kpis import KPI_DEFINITIONS, kpi_series
from .models import AcceptanceModel, ApprovalTier, AutomationPolicy, DriftFinding, DriftReport
from .policy import approval_requirement
from .services import can_edit_policy, drift_finding_close, policy_save, tier_save

PAGE_SIZE = 50


def _forbidden(request, message: str, *, status: int = 403) -> HttpResponse:
    response = render(request, "governance/refused.html", {"message": message}, status=status)
    if request.htmx:
        response = trigger_client_event(response, "governance-refused", {"message": message})
    return response


def _refuse_write(request, *, action: str, subject_type: str, subject_id, message: str) -> HttpResponse:
    """Log the refused write on the audit trail, then answer 403 with the reason."""
    audit_refusal(
        actor=request.user,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=message,
        payload={"path": request.path},
    )
    return _forbidden(request, message)


AUDITOR_WRITE = "Auditors have read-only access: this change was refused and logged."
MANAGER_ONLY = "Only a manager can change approval tiers and automation policies."


def _write_gate(request, *, action: str, subject_type: str, subject_id, need_manager: bool = True):
    """None when the user may write here, else the 403 response (the refusal is already logged)."""
    if selectors.is_auditor(request.user):
        return _refuse_write(
            request, action=action, subject_type=subject_type, subject_id=subject_id, message=AUDITOR_WRITE
        )
    if need_manager and not can_edit_policy(request.user):
        return _refuse_write(
            request, action=action, subject_type=subject_type, subject_id=subject_id, message=MANAGER_ONLY
        )
    return None


# --- approvals inbox -----------------------------------------------------------------------------------------------


def _inbox_context(request) -> dict:
    rows = list(selectors.approvals_inbox_list(user=request.user)[:200])
    for row in rows:
        row.made_by_me = row.maker_id == request.user.pk
    reasons = ReasonCode.objects.filter(active=True, applies_to__in=["any", "reject"])
    return {
        "rows": rows,
        "reasons": reasons,
        "currency": settings.DISTOPS_CURRENCY,
        "rank": user_rank(request.user),
    }


@login_required
@require_GET
def approvals_inbox_view(request) -> HttpResponse:
    if not selectors.can_approve_tiers(request.user):
        return _forbidden(request, "The approvals inbox is for managers and directors.")
    template = "governance/approvals.html"
    if request.htmx and request.htmx.target == "approvals-table":
        template += "#approvals-table"
    return render(request, template, _inbox_context(request))


def _decision_response(request, exception, message: str, *, status: int = 200) -> HttpResponse:
    if not request.htmx:
        if status != 200:
            return _forbidden(request, message, status=status)
        from django.contrib import messages

        messages.success(request, message)
        return redirect("governance:approvals")
    context = {"row": exception, "message": message, "done": status == 200}
    response = render(request, "governance/approvals.html#approval-result", context, status=status)
    waiting = selectors.approvals_waiting_count(request.user)
    return trigger_client_event(
        response, "approvals-changed", {"exception": exception.pk, "waiting": waiting}
    )


def _call_decision(request, pk: int, verb: str) -> HttpResponse:
    gate = _write_gate(
        request, action=f"exception_{verb}", subject_type="exception", subject_id=pk, need_manager=False
    )
    if gate:
        return gate
    # Scoped lookup: another team's id answers 404 like a missing one, so an id's existence is not revealed.
    exception = get_object_or_404(exception_selectors.exception_base(user=request.user), pk=pk)
    form = ApprovalDecisionForm(request.POST)
    if not form.is_valid():
        return _decision_response(
            request, exception, "Missing or bad field: " + ", ".join(form.errors), status=400
        )
    data = form.cleaned_data
    try:
        if verb == "approve":
            service = exception_services.exception_approve
            kwargs = {"exception": exception, "actor": request.user, "version": data["version"]}
            if "comment" in inspect.signature(service).parameters:
                kwargs["comment"] = data["comment"]
            service(**kwargs)
            message = f"Approved #{exception.pk}."
        else:
            if not data["reason_code"]:
                return _decision_response(request, exception, "Reason: choose why you reject it.", status=400)
            exception_services.exception_reject(
                exception=exception,
                actor=request.user,
                version=data["version"],
                reason_code=data["reason_code"],
                comment=data["comment"],
            )
            message = f"Rejected #{exception.pk}."
    except NotAllowed as err:
        return _decision_response(request, exception, str(err), status=403)
    except StaleVersion as err:
        return _decision_response(request, exception, str(err), status=409)
    except InvalidInput as err:
        return _decision_response(request, exception, str(err), status=400)
    exception.refresh_from_db()
    return _decision_response(request, exception, message)


@login_required
@require_POST
def approval_approve_view(request, pk: int) -> HttpResponse:
    return _call_decision(request, pk, "approve")


@login_required
@require_POST
def approval_reject_view(request, pk: int) -> HttpResponse:
    return _call_decision(request, pk, "reject")


# --- tier and policy editors ---------------------------------------------------------------------------------------


def _can_see_policies(user) -> bool:
    return can_edit_policy(user) or selectors.can_view_audit(user)


@login_required
@require_GET
def policy_list_view(request) -> HttpResponse:
    if not _can_see_policies(request.user):
        return _forbidden(request, "Approval tiers and automation policies are for managers and auditors.")
    show_all = request.GET.get("all") == "1"
    today = timezone.localdate()
    examples = [
        (value, approval_requirement(action="purchase_order", value=value, on=today))
        for value in (Decimal(1000), Decimal(20000), Decimal(80000))
    ]
    context = {
        "tiers": selectors.tier_list(include_inactive=show_all),
        "policies": selectors.policy_list(include_inactive=show_all),
        "show_all": show_all,
        "can_edit": can_edit_policy(request.user) and not selectors.is_auditor(request.user),
        "today": today,
        "examples": examples,
        "currency": settings.DISTOPS_CURRENCY,
    }
    return render(request, "governance/policies.html", context)


EDITORS: dict[str, tuple[Any, Any, Callable[..., Any], str, str]] = {
    "tier": (ApprovalTier, ApprovalTierForm, tier_save, "tier_id", "approval_tier"),
    "policy": (AutomationPolicy, AutomationPolicyForm, policy_save, "policy_id", "automation_policy"),
}


def _editor(request, kind: str, pk: int | None) -> HttpResponse:
    model, form_class, save, id_kwarg, subject_type = EDITORS[kind]
    instance = get_object_or_404(model, pk=pk) if pk else None
    if request.method == "POST":
        gate = _write_gate(
            request,
            action=f"{subject_type}_{'update' if pk else 'create'}",
            subject_type=subject_type,
            subject_id=pk or "new",
        )
        if gate:
            return gate
        form = form_class(request.POST, instance=instance)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                save(
                    actor=request.user, data=data, version=form.cleaned_data.get("version"), **{id_kwarg: pk}
                )
            except InvalidInput as err:
                for field, message in err.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            except ServiceError as err:
                form.add_error(None, str(err))
            else:
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = "/governance/policies/"
                    return response
                return redirect("governance:policies")
        status = 400
    else:
        if not can_edit_policy(request.user) or selectors.is_auditor(request.user):
            return _forbidden(request, MANAGER_ONLY)
        form = form_class(instance=instance, initial={"version": instance.version if instance else None})
        status = 200
    template = "governance/editor.html"
    if request.htmx:
        template += "#editor-form"
    return render(request, template, {"form": form, "kind": kind, "object": instance}, status=status)


@login_required
def tier_edit_view(request, pk: int | None = None) -> HttpResponse:
    return _editor(request, "tier", pk)


@login_required
def policy_edit_view(request, pk: int | None = None) -> HttpResponse:
    return _editor(request, "policy", pk)


@login_required
@require_POST
def policy_deactivate_view(request, kind: str, pk: int) -> HttpResponse:
    if kind not in EDITORS:
        return HttpResponseBadRequest("unknown kind")
    model, _form, save, id_kwarg, subject_type = EDITORS[kind]
    gate = _write_gate(request, action=f"{subject_type}_update", subject_type=subject_type, subject_id=pk)
    if gate:
        return gate
    obj = get_object_or_404(model, pk=pk)
    try:
        save(
            actor=request.user,
            data={"active": False},
            version=int(request.POST.get("version") or obj.version),
            **{id_kwarg: pk},
        )
    except ServiceError as err:
        return _forbidden(request, str(err), status=getattr(err, "status", 400))
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = "/governance/policies/"
        return response
    return redirect("governance:policies")


# --- KPIs, drift, acceptance model ---------------------------------------------------------------------------------


def _manager_screen(user) -> bool:
    return user_rank(user) >= 2 or user.has_perm("governance.edit_policy") or selectors.can_view_audit(user)


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
        from .tasks import drift_report_task

        drift_report_task.delay(actor_id=request.user.pk, force=True)
        from django.contrib import messages

        messages.success(request, "Drift checks started; findings appear below when they finish.")
        return redirect("governance:drift")
    if not _manager_screen(request.user):
        return _forbidden(request, "Drift findings are for managers.")
    status = request.GET.get("status", "open")
    context = {
        "findings": selectors.drift_finding_list(status=status)[:500],
        "status": status,
        "reports": DriftReport.objects.all()[:6],
        "can_edit": can_edit_policy(request.user) and not selectors.is_auditor(request.user),
    }
    template = "governance/drift.html"
    if request.htmx and request.htmx.target == "drift-table":
        template += "#drift-table"
    return render(request, template, context)


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


# --- auditor screens -----------------------------------------------------------------------------------------------

OVERRIDE_HEADER = [
    "When",
    "Decision",
    "By",
    "Exception",
    "Type",
    "Action",
    "SKU",
    "Location",
    "Reason",
    "Comment",
    "Value",
    "Confidence",
    "Before",
    "After",
]


def _override_rows(qs):
    for d in qs.iterator(2000):
        exc = d.exception
        il = exc.item_location
        yield [
            timezone.localtime(d.created_at).strftime("%Y-%m-%d %H:%M"),
            d.action,
            d.actor.username if d.actor else "system (policy)",
            exc.pk,
            exc.type,
            d.recommendation.action if d.recommendation else "",
            il.item.sku if il else "",
            exc.location.code if exc.location else "",
            d.reason_code,
            d.comment,
            d.value,
            d.confidence,
            json.dumps(d.before, sort_keys=True, default=str),
            json.dumps(d.after, sort_keys=True, default=str),
        ]


@login_required
@require_GET
def override_history_view(request) -> HttpResponse:
    if not selectors.can_view_audit(request.user):
        return _forbidden(request, "Override history is for auditors and managers.")
    filters, errors = selectors.OverrideFilters.from_query(request.GET)
    qs = selectors.override_history_list(user=request.user, filters=filters)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        if export == "csv":
            return csv_response(
                filename=f"override-history-{stamp}.csv", header=OVERRIDE_HEADER, rows=_override_rows(qs)
            )
        return xlsx_response(
            filename=f"override-history-{stamp}.xlsx",
            title="Override history",
            header=OVERRIDE_HEADER,
            rows=_override_rows(qs),
        )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
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
    page = Paginator(selectors.audit_event_list(**params), PAGE_SIZE).get_page(request.GET.get("page"))
    verification = None
    if request.GET.get("verify") == "1":
        checked, broken = verify_chain()
        verification = {"checked": checked, "broken": broken, "at": timezone.now()}
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
