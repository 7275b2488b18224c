"""Screens of the governance app, one module per screen: approvals inbox, tier and policy editors, monitoring (KPIs,
drift), and the auditor's views.

Views are thin: permission check, parse, one service or selector call, render (a partial for HTMX). Writes refused
to a user (an auditor, a buyer on a manager's screen) answer 403 with the reason, and the attempt is audited.
"""

from .approvals import approval_approve_view, approval_reject_view, approvals_inbox_view
from .audit import audit_trail_view, override_history_view, timeline_view
from .monitoring import drift_finding_close_view, drift_view, kpi_dashboard_view
from .policies import policy_deactivate_view, policy_edit_view, policy_list_view, tier_edit_view

__all__ = [
    "approval_approve_view",
    "approval_reject_view",
    "approvals_inbox_view",
    "audit_trail_view",
    "drift_finding_close_view",
    "drift_view",
    "kpi_dashboard_view",
    "override_history_view",
    "policy_deactivate_view",
    "policy_edit_view",
    "policy_list_view",
    "tier_edit_view",
    "timeline_view",
]
