"""The approvals inbox: exceptions awaiting a manager's or director's decision, approve and reject."""

from __future__ import annotations

import inspect

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from exceptions import selectors as exception_selectors
from exceptions import services as exception_services
from exceptions.models import ReasonCode
from replenish.core.errors import InvalidInput, NotAllowed, StaleVersion
from replenish.core.roles import user_rank

from .. import selectors
from ..forms import ApprovalDecisionForm
from .common import _forbidden, _write_gate

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
