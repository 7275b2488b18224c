from django.contrib import admin

from .models import AcceptanceModel, ApprovalTier, AuditEvent, AutomationPolicy, DriftFinding, KpiSnapshot


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["sequence", "created_at", "kind", "action", "actor_name", "subject_type", "subject_id"]
    list_filter = ["kind", "action"]
    search_fields = ["subject_id", "actor_name", "action"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible in the admin, changed only through the audited screens and services."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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
