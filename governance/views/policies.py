"""Approval tiers and automation policies: the list and the editors (every change audited by the services)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from replenish.core.errors import InvalidInput, ServiceError

from .. import selectors
from ..forms import ApprovalTierForm, AutomationPolicyForm
from ..models import ApprovalTier, AutomationPolicy
from ..policy import approval_requirement
from ..services import can_edit_policy, policy_save, tier_save
from .common import MANAGER_ONLY, _can_see_policies, _forbidden, _write_gate

# --- tier and policy editors ---------------------------------------------------------------------------------------


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
