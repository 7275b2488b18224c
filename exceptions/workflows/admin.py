"""Workflow rows are read-only in the admin: they change through the workflow services (audited)."""

from django.contrib import admin

from replenish.core.admin import ReadOnlyAdmin

from .models import AllocationLine, CustomerServiceTask, DomainEvent, WorkflowTask


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "status", "source_ref", "duplicates", "received_at", "processed_at")
    list_filter = ("status", "kind")
    search_fields = ("source_ref", "dedupe_key", "reason")


@admin.register(CustomerServiceTask)
class CustomerServiceTaskAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "sales_order_line",
        "customer",
        "status",
        "short_units",
        "value_at_stake",
        "new_promise_date",
    )
    list_filter = ("status", "tier_rank")


@admin.register(WorkflowTask)
class WorkflowTaskAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "status", "title", "owner_team", "value_at_stake")
    list_filter = ("kind", "status", "owner_team")


@admin.register(AllocationLine)
class AllocationLineAdmin(ReadOnlyAdmin):
    list_display = ("allocation_key", "item", "sales_order_line", "demanded", "allocated", "created_at")
