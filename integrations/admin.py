from django.contrib import admin

from .models import (
    CodeMapping,
    ConnectorState,
    DataQualityIssue,
    EdiDocument,
    EdiTransaction,
    InboxMessage,
    LaborCapacity,
    OutboxMessage,
    SupplierAvailability,
    WebhookEndpoint,
    WmsTask,
)


@admin.register(InboxMessage)
class InboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "received_at", "source", "kind", "external_id", "status", "attempts", "replays"]
    list_filter = ["status", "kind"]
    search_fields = ["external_id", "reason"]
    show_full_result_count = False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "kind", "idempotency_key", "status", "attempts", "erp_transaction_id"]
    list_filter = ["status", "kind"]
    search_fields = ["idempotency_key", "erp_transaction_id", "subject_id"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["source", "active", "tolerance_seconds", "rotated_at", "previous_valid_until"]
    exclude = ["secret", "previous_secret"]  # rotate with `manage.py webhook_secret SOURCE`


admin.site.register(
    [
        CodeMapping,
        ConnectorState,
        DataQualityIssue,
        EdiDocument,
        EdiTransaction,
        LaborCapacity,
        SupplierAvailability,
        WmsTask,
    ]
)
