from django.contrib import admin

from . import models
from .routing import routing_rule_delete, routing_rule_save


@admin.register(models.RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Editable (also in the list), but every save and delete goes through the audited routing-rule writers."""

    list_display = ["priority", "type", "location", "supplier", "category", "team", "owner", "active", "note"]
    list_editable = ["type", "location", "supplier", "category", "team", "owner", "active"]
    list_display_links = ["priority"]
    list_filter = ["team", "type", "active"]
    raw_id_fields = ["supplier", "owner"]
    ordering = ["priority", "pk"]

    def save_model(self, request, obj, form, change) -> None:
        routing_rule_save(rule=obj, actor=request.user)

    def delete_model(self, request, obj) -> None:
        routing_rule_delete(rule=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for rule in queryset.order_by("pk"):
            routing_rule_delete(rule=rule, actor=request.user)


@admin.register(models.ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "applies_to", "active", "position"]
    list_editable = ["label", "applies_to", "active", "position"]
    list_filter = ["applies_to", "active"]


@admin.register(models.CategoryOwnership)
class CategoryOwnershipAdmin(admin.ModelAdmin):
    list_display = ["user", "category"]
    list_filter = ["category"]
    search_fields = ["user__username", "category"]


@admin.register(models.LocationUserObjectPermission)
class LocationUserObjectPermissionAdmin(admin.ModelAdmin):
    list_display = ["user", "content_object", "permission"]
    list_filter = ["content_object"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(models.SupplierUserObjectPermission)
class SupplierUserObjectPermissionAdmin(admin.ModelAdmin):
    list_display = ["user", "content_object", "permission"]
    search_fields = ["user__username", "content_object__code", "content_object__name"]
    raw_id_fields = ["user", "content_object"]


class DecisionInline(admin.TabularInline):
    model = models.Decision
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "action", "version", "reason_code", "comment", "value"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.PlanningException)
class PlanningExceptionAdmin(admin.ModelAdmin):
    """Read-only: exceptions change through the decision services (audited), never by editing rows."""

    list_display = [
        "pk",
        "type",
        "status",
        "item_location",
        "location",
        "supplier",
        "value_at_stake",
        "confidence",
        "owner_team",
        "owner",
        "due_by",
    ]
    list_filter = ["type", "status", "owner_team", "location"]
    search_fields = ["item_location__item__sku", "supplier__code"]
    list_select_related = ["item_location__item", "location", "supplier", "owner"]
    show_full_result_count = False
    inlines = [DecisionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "exception", "actor", "action", "version", "reason_code", "value"]
    list_filter = ["action", "reason_code"]
    raw_id_fields = ["exception", "recommendation", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
