from django.contrib import admin

from .models import AuditEvent


class ReadOnlyMixin:
    """Visible in the admin, changed only through the audited screens and services (or their admin actions)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "created_at", "kind", "action", "actor_name", "subject_type", "subject_id"]
    list_filter = ["kind", "action"]
    search_fields = ["subject_id", "actor_name", "action"]
    show_full_result_count = False
