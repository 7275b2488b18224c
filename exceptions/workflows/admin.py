from django.contrib import admin

from .models import AllocationLine, CustomerServiceTask, DomainEvent, WorkflowTask


@admin.register(DomainEvent)
class DomainEventAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "source_ref", "duplicates", "received_at", "processed_at")
    list_filter = ("status", "kind")
    search_fields = ("source_ref", "dedupe_key", "reason")
    readonly_fields = [f.name for f in DomainEvent._meta.fields]


@admin.register(CustomerServiceTask)
class CustomerServiceTaskAdmin(admin.ModelAdmin):
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
class WorkflowTaskAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "title", "owner_team", "value_at_stake")
    list_filter = ("kind", "status", "owner_team")


@admin.register(AllocationLine)
class AllocationLineAdmin(admin.ModelAdmin):
    list_display = ("allocation_key", "item", "sales_order_line", "demanded", "allocated", "created_at")
