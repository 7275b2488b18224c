"""Integration rows are read-only in the admin: a change goes through the audited service, offered as an action."""

from django.contrib import admin, messages

from replenish.core.admin import ReadOnlyAdmin

from .erp.breaker import breaker_reset
from .inbound import NotRetryable
from .inbox import inbox_retry
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
from .outbox import outbox_requeue
from .quality import data_quality_issue_resolve


def _each(modeladmin, request, queryset, service, verb: str, refusals: tuple[type[Exception], ...]) -> None:
    """Call an audited service per selected row (each in its own transaction) and report what it did."""
    done, refused = 0, []
    for obj in queryset.order_by("pk"):
        try:
            service(obj)
            done += 1
        except refusals as err:
            refused.append(f"#{obj.pk}: {err}")
    if done:
        modeladmin.message_user(request, f"{done} {verb}.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, "Not done: " + "; ".join(refused[:10]), messages.WARNING)


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "received_at", "source", "kind", "external_id", "status", "attempts", "replays"]
    list_filter = ["status", "kind"]
    search_fields = ["external_id", "reason"]
    show_full_result_count = False
    actions = ["retry"]

    @admin.action(description="Retry the selected dead letters (audited)")
    def retry(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda m: inbox_retry(message=m, actor=request.user),
            "message(s) processed again",
            (NotRetryable,),
        )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "idempotency_key", "status", "attempts", "erp_transaction_id"]
    list_filter = ["status", "kind"]
    search_fields = ["idempotency_key", "erp_transaction_id", "subject_id"]
    actions = ["requeue"]

    @admin.action(description="Requeue the selected dead-lettered messages (audited)")
    def requeue(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda m: outbox_requeue(message=m, actor=request.user),
            "message(s) requeued",
            (ValueError,),
        )


@admin.register(ConnectorState)
class ConnectorStateAdmin(ReadOnlyAdmin):
    actions = ["reset_breaker"]

    @admin.action(description="Close the circuit breaker of the selected connectors (audited)")
    def reset_breaker(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda s: breaker_reset(actor=request.user, name=s.name),
            "breaker(s) reset",
            (),
        )


@admin.register(DataQualityIssue)
class DataQualityIssueAdmin(ReadOnlyAdmin):
    list_filter = ["status", "code"]
    actions = ["resolve"]

    @admin.action(description="Mark the selected issues resolved (audited)")
    def resolve(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda i: data_quality_issue_resolve(issue=i, actor=request.user),
            "issue(s) resolved",
            (),
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["source", "active", "tolerance_seconds", "rotated_at", "previous_valid_until"]
    exclude = ["secret", "previous_secret"]  # rotate with `manage.py webhook_secret SOURCE`


# Configuration a person maintains (code mappings from partners' codes to ours) stays editable.
admin.site.register(CodeMapping)
for model in (EdiDocument, EdiTransaction, LaborCapacity, SupplierAvailability, WmsTask):
    admin.site.register(model, ReadOnlyAdmin)
