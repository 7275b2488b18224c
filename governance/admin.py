from django.contrib import admin

from replenish.core.admin import ReadOnlyAdmin

from .models import AcceptanceModel, ApprovalTier, AutomationPolicy, DriftFinding, KpiSnapshot


@admin.register(ApprovalTier)
class ApprovalTierAdmin(ReadOnlyAdmin):
    list_display = [
        "action",
        "value_above",
        "value_up_to",
        "required_role",
        "effective_from",
        "effective_to",
        "active",
    ]
    list_filter = ["action", "required_role", "active"]


@admin.register(AutomationPolicy)
class AutomationPolicyAdmin(ReadOnlyAdmin):
    list_display = ["name", "action", "abc_classes", "xyz_classes", "max_value", "min_confidence", "active"]


@admin.register(AcceptanceModel)
class AcceptanceModelAdmin(ReadOnlyAdmin):
    list_display = ["version", "trained_at", "n_samples", "validation_auc", "validation_log_loss", "active"]
    exclude = ["blob"]


@admin.register(DriftFinding)
class DriftFindingAdmin(ReadOnlyAdmin):
    list_display = ["kind", "category", "supplier", "score", "status", "created_at"]
    list_filter = ["kind", "status"]


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["on", "kpi", "dimension", "value", "is_proxy"]
    list_filter = ["kpi", "is_proxy"]
