"""What every governance screen shares: refusals (403, audited), the write gate, who sees which screen."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django_htmx.http import trigger_client_event

from replenish.core.audit import audit_refusal
from replenish.core.roles import user_rank

from .. import selectors
from ..services import can_edit_policy

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


def _can_see_policies(user) -> bool:
    return can_edit_policy(user) or selectors.can_view_audit(user)


def _manager_screen(user) -> bool:
    return user_rank(user) >= 2 or user.has_perm("governance.edit_policy") or selectors.can_view_audit(user)
