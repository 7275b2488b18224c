"""URLs of the governance app (included at the site root: each pattern carries its own prefix)."""

from django.urls import path

from . import views

app_name = "governance"
urlpatterns = [
    path("governance/approvals/", views.approvals_inbox_view, name="approvals"),
    path("governance/approvals/<int:pk>/approve/", views.approval_approve_view, name="approval_approve"),
    path("governance/approvals/<int:pk>/reject/", views.approval_reject_view, name="approval_reject"),
    path("governance/policies/", views.policy_list_view, name="policies"),
    path("governance/policies/tiers/new/", views.tier_edit_view, name="tier_new"),
    path("governance/policies/tiers/<int:pk>/", views.tier_edit_view, name="tier_edit"),
    path("governance/policies/automation/new/", views.policy_edit_view, name="policy_new"),
    path("governance/policies/automation/<int:pk>/", views.policy_edit_view, name="policy_edit"),
    path(
        "governance/policies/<str:kind>/<int:pk>/deactivate/",
        views.policy_deactivate_view,
        name="policy_deactivate",
    ),
    path("governance/kpis/", views.kpi_dashboard_view, name="kpis"),
    path("governance/drift/", views.drift_view, name="drift"),
    path("governance/drift/<int:pk>/close/", views.drift_finding_close_view, name="drift_close"),
    path("governance/overrides/", views.override_history_view, name="overrides"),
    path("governance/audit/", views.audit_trail_view, name="audit_trail"),
    path("governance/timeline/<str:subject_type>/<int:pk>/", views.timeline_view, name="timeline"),
]
