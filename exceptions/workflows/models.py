"""Event-driven workflows: domain events from the inbox, and the queue items they produce.

DomainEvent: one per applied inbound message (dedupe key = "inbox:<message id>"), so the same message is never
processed twice; events that arrive twice, out of order, or name unknown orders/SKUs are kept with a visible reason.
CustomerServiceTask: an at-risk open sales-order line of a tiered customer (one live task per line).
WorkflowTask: the other human (or auto-executed) work items: buyer stockout tasks, expedites, transfers, sourcing
reviews, safety-stock policy proposals, labor resequencing.
AllocationLine: one allocated (or short) demand line of a constrained-supply allocation, with its rationale.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class DomainEvent(models.Model):
    class Kind(models.TextChoices):
        INBOUND_DELAY = "inbound_delay", "Inbound delay (ASN / acknowledgement moved a date)"
        ASN = "asn", "Ship notice"
        ACKNOWLEDGEMENT = "acknowledgement", "PO acknowledgement"
        ASN_MISSING = "asn_missing", "ASN did not arrive"
        RECEIPT = "receipt", "Receipt"
        NEW_ORDER = "new_order", "New sales order"
        WMS_CAPACITY = "wms_capacity", "WMS capacity / tasks"
        SUPPLIER_PERFORMANCE = "supplier_performance", "Supplier performance"
        DATA = "data", "Other inbound data"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSING = "processing", "Processing"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    source_ref = models.CharField(
        max_length=200, help_text="The inbound message it came from (source:external id)."
    )
    message_id = models.BigIntegerField(null=True, blank=True, help_text="integrations.InboxMessage id.")
    dedupe_key = models.CharField(max_length=200, unique=True)
    item_location_ids = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(help_text="When the sender says it happened (orders events).")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(
        blank=True, help_text="Why it was ignored or failed, or what it found, in words."
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0, help_text="How often the same event arrived again.")
    plan_run_id = models.BigIntegerField(null=True, blank=True)
    results = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"], name="wf_event_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_ref} ({self.status})"


class CustomerServiceTask(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONTACTED = "contacted", "Customer contacted"
        RESOLVED = "resolved", "Resolved (no longer at risk)"

    sales_order_line = models.ForeignKey(
        "replenish.SalesOrderLine", on_delete=models.CASCADE, related_name="service_tasks"
    )
    item_location = models.ForeignKey("replenish.ItemLocation", on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("replenish.Customer", on_delete=models.CASCADE, related_name="+")
    tier_rank = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    short_units = models.IntegerField()
    value_at_stake = models.DecimalField(max_digits=14, decimal_places=2)
    requested_date = models.DateField()
    new_promise_date = models.DateField(null=True, blank=True, help_text="Empty: no supply in sight.")
    reason = models.TextField()
    substitutes = models.JSONField(default=list, blank=True)
    allocated_units = models.IntegerField(default=0, help_text="From the constrained-supply allocation.")
    event = models.ForeignKey(DomainEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["tier_rank", "-value_at_stake", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["sales_order_line"],
                condition=~Q(status="resolved"),
                name="wf_cstask_one_live_per_line",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "tier_rank", "-value_at_stake"], name="wf_cstask_queue_idx")
        ]

    def __str__(self) -> str:
        return f"at-risk line {self.sales_order_line_id} ({self.status})"


class WorkflowTask(models.Model):
    class Kind(models.TextChoices):
        BUYER_STOCKOUT = "buyer_stockout", "Buyer task: projected stockout"
        EXPEDITE = "expedite", "Expedite a PO"
        TRANSFER = "transfer", "Branch transfer"
        SOURCING_REVIEW = "sourcing_review", "Sourcing review"
        SAFETY_STOCK_CHANGE = "safety_stock_change", "Safety-stock policy change"
        LABOR_RESEQUENCE = "labor_resequence", "Resequenced WMS work queue"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
        AUTO_EXECUTED = "auto_executed", "Auto-executed by policy"
        DONE = "done", "Done"
        CLOSED = "closed", "Closed"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    dedupe_key = models.CharField(max_length=200, help_text="One live task per subject and kind.")
    owner_team = models.CharField(max_length=32)
    required_role = models.CharField(max_length=32, blank=True)
    item_location = models.ForeignKey(
        "replenish.ItemLocation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    location = models.ForeignKey(
        "replenish.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    supplier = models.ForeignKey(
        "replenish.Supplier", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    value_at_stake = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    confidence = models.FloatField(default=0.5)
    title = models.CharField(max_length=200)
    payload = models.JSONField(default=dict, blank=True)
    automation_reason = models.TextField(blank=True)
    event = models.ForeignKey(DomainEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-value_at_stake", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(status__in=["open", "awaiting_approval"]),
                name="wf_task_one_live_per_key",
            ),
        ]
        indexes = [models.Index(fields=["kind", "status"], name="wf_task_kind_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class AllocationLine(models.Model):
    """One demand line of a constrained-supply allocation (branch or customer order line) and why it got what."""

    allocation_key = models.CharField(max_length=80, db_index=True, help_text="One allocation run (uuid).")
    item = models.ForeignKey("replenish.Item", on_delete=models.CASCADE, related_name="+")
    supply_location = models.ForeignKey("replenish.Location", on_delete=models.CASCADE, related_name="+")
    sales_order_line = models.ForeignKey(
        "replenish.SalesOrderLine", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    demand_location = models.ForeignKey(
        "replenish.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    demanded = models.IntegerField()
    contractual_minimum = models.IntegerField(default=0)
    allocated = models.IntegerField()
    rationale = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.allocation_key}: {self.allocated}/{self.demanded}"
