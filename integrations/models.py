"""Integrations: the inbox of inbound messages, the outbox of approved actions, and what they feed.

Inbound (ERP pages, webhook events, files, EDI interchanges) lands in `InboxMessage` first, keyed by (source,
external_id): a replay is a no-op, a rejection is a dead letter with its reason that can be fixed and retried.
Outbound actions live in `OutboxMessage`, written in the decision's transaction and relayed by a worker.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class InboxMessage(models.Model):
    """One inbound unit as received (an ERP page, a webhook event, a file, an EDI interchange file)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        APPLIED = "applied", "Applied"
        PARTIAL = "partial", "Partly applied (some parts rejected)"
        REJECTED = "rejected", "Rejected (dead letter)"
        IGNORED = "ignored", "Ignored (stale or nothing to apply)"

    DEAD_LETTER_STATUSES = (Status.REJECTED, Status.PARTIAL)

    source = models.CharField(max_length=64, help_text="erp, edi, file, webhook:<source>")
    external_id = models.CharField(
        max_length=200, help_text="The sender's id (event id, ISA13, content hash)."
    )
    kind = models.CharField(
        max_length=48, help_text="Handler: erp.items, edi.x12, file.balances, webhook.event"
    )
    payload = models.TextField(help_text="The raw message as received (text).")
    payload_hash = models.CharField(max_length=64)
    meta = models.JSONField(default=dict, blank=True, help_text="File name, import options, page cursors.")
    received_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    reason = models.TextField(blank=True, help_text="Why it was rejected or ignored, in one sentence.")
    errors = models.JSONField(default=list, blank=True, help_text="Every problem found (row, column, cell).")
    summary = models.JSONField(default=dict, blank=True, help_text="What was applied (counts).")
    attempts = models.PositiveIntegerField(default=0)
    replays = models.PositiveIntegerField(default=0, help_text="How often the same message arrived again.")
    processed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="inbox_source_ext_uniq"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbox_status_received_idx"),
            models.Index(fields=["kind", "received_at"], name="inbox_kind_received_idx"),
        ]
        permissions = [("retry_inboxmessage", "Can fix and retry a dead-lettered inbound message")]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} ({self.status})"

    @property
    def is_dead_letter(self) -> bool:
        return self.status in self.DEAD_LETTER_STATUSES


class EntityVersion(models.Model):
    """The highest version of one entity applied from one source: an older event is recorded and ignored."""

    source = models.CharField(max_length=64)
    entity_type = models.CharField(max_length=48)
    entity_key = models.CharField(max_length=200)
    version = models.BigIntegerField()
    message = models.ForeignKey(
        InboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "entity_type", "entity_key"], name="entityversion_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.entity_type}:{self.entity_key} v{self.version}"


class WebhookEndpoint(models.Model):
    """Shared secrets of one webhook source. Rotation keeps the previous secret valid until a deadline."""

    source = models.SlugField(max_length=48, unique=True)
    secret = models.CharField(max_length=200)
    previous_secret = models.CharField(max_length=200, blank=True)
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    tolerance_seconds = models.PositiveIntegerField(
        default=300, help_text="Accepted clock difference, both directions (stale or from the future)."
    )
    active = models.BooleanField(default=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source"]

    def __str__(self) -> str:
        return self.source


class CodeMapping(models.Model):
    """A sender's code for one of ours (their item, location, supplier, customer or unit of measure code)."""

    class Kind(models.TextChoices):
        ITEM = "item", "Item (SKU)"
        LOCATION = "location", "Location"
        SUPPLIER = "supplier", "Supplier"
        CUSTOMER = "customer", "Customer"
        UOM = "uom", "Unit of measure"

    source = models.CharField(max_length=64, help_text="file, erp, webhook:wms, edi:<sender id> ...")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    external_code = models.CharField(max_length=64)
    internal_code = models.CharField(max_length=64, help_text="Our SKU, location code, supplier code or UoM.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "external_code"], name="codemapping_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_code} -> {self.internal_code}"


class ConnectorState(models.Model):
    """Health of an outside system's connector: circuit breaker and pull cursors (shared by all workers)."""

    class Breaker(models.TextChoices):
        CLOSED = "closed", "Closed (calls go through)"
        OPEN = "open", "Open (calls refused until the cool-down ends)"
        HALF_OPEN = "half_open", "Half-open (one trial call)"

    name = models.CharField(max_length=32, unique=True)
    breaker_state = models.CharField(max_length=16, choices=Breaker.choices, default=Breaker.CLOSED)
    consecutive_failures = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    trial_started_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    cursors = models.JSONField(default=dict, blank=True, help_text="Entity -> updated-since cursor.")
    last_pull_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.breaker_state})"


class OutboxMessage(models.Model):
    """An action to post to the ERP, written in the same transaction as the decision that caused it.

    A relay task delivers it with its idempotency key; nothing is lost if the worker or broker dies in between,
    because the row is the source of truth and the relay picks up whatever is still pending. A claim is a lease
    (`claimed_until`): a worker that dies mid-posting leaves a lease that expires, and the next relay re-posts
    with the same key, which the ERP deduplicates.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead-lettered"

    kind = models.CharField(
        max_length=32, help_text="create_po, change_po, expedite_request, transfer_order, ..."
    )
    # unique through Meta.constraints, not unique=True: on PostgreSQL that adds a second, varchar_pattern_ops index
    # for LIKE prefixes, which no query of the key uses (equality and ON CONFLICT use the unique index)
    idempotency_key = models.CharField(max_length=80)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    erp_transaction_id = models.CharField(max_length=80, blank=True)
    subject_type = models.CharField(max_length=48, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="Lease of the worker posting it.")
    claimed_by = models.CharField(max_length=200, blank=True)
    outcome = models.JSONField(default=dict, blank=True, help_text="The ERP's answer (or the final error).")

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_idx")]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="outbox_idempotency_key_uniq")
        ]
        permissions = [("retry_outboxmessage", "Can requeue a dead-lettered outbound message")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} ({self.status})"


class PostingAttempt(models.Model):
    """One call to the ERP for an outbox message (the history behind `attempts`)."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="posting_attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    retryable = models.BooleanField(default=True)
    http_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    transaction_id = models.CharField(max_length=80, blank=True)
    duplicate = models.BooleanField(default=False, help_text="The ERP had already seen this idempotency key.")
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number} ({'ok' if self.ok else 'failed'})"


class EdiTransaction(models.Model):
    """One received X12 transaction set and what became of it (idempotent by partner and control numbers)."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected"
        IGNORED = "ignored", "Nothing to apply"

    message = models.ForeignKey(InboxMessage, on_delete=models.CASCADE, related_name="edi_transactions")
    partner = models.CharField(max_length=40, help_text="ISA05:ISA06 of the sender.")
    interchange_control_number = models.CharField(max_length=16)
    group_control_number = models.CharField(max_length=16)
    transaction_set_id = models.CharField(max_length=3)
    control_number = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices)
    reason = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "interchange_control_number", "group_control_number", "control_number"],
                name="editransaction_control_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.transaction_set_id} {self.control_number} from {self.partner} ({self.status})"


class EdiDocument(models.Model):
    """An X12 document we wrote (997 acknowledgements of what we received, 850 purchase orders we send)."""

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.OUTBOUND)
    transaction_set_id = models.CharField(max_length=3)
    partner = models.CharField(max_length=40)
    interchange_control_number = models.CharField(max_length=16)
    group_control_number = models.CharField(max_length=16)
    reference = models.CharField(max_length=80, blank=True, help_text="PO number, or the acknowledged group.")
    status = models.CharField(max_length=16, blank=True, help_text="997: A, E, P, R. 850: generated, A, R.")
    text = models.TextField()
    message = models.ForeignKey(
        InboxMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="edi_documents"
    )
    outbox = models.ForeignKey(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="edi_documents"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["transaction_set_id", "partner", "group_control_number"],
                name="edidoc_set_partner_gcn_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.transaction_set_id} {self.reference}"


class EdiControlCounter(models.Model):
    """Outbound control numbers (ISA13, GS06, ST02), incremented under a row lock."""

    name = models.CharField(max_length=16, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SupplierAvailability(models.Model):
    """What a supplier says it can ship (EDI 846), by its part number; item is empty when the part is unmapped."""

    supplier = models.ForeignKey("replenish.Supplier", on_delete=models.CASCADE, related_name="availability")
    supplier_part_number = models.CharField(max_length=48)
    item = models.ForeignKey(
        "replenish.Item",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="supplier_availability",
    )
    quantity_qualifier = models.CharField(max_length=3, default="33", help_text="X12 QTY01: 33 available ...")
    quantity = models.IntegerField(help_text="In the item's base unit when mapped, else as sent.")
    uom = models.CharField(max_length=8, blank=True, help_text="The unit the supplier sent.")
    available_date = models.DateField(null=True, blank=True)
    report_date = models.DateField()
    source = models.CharField(max_length=64, default="edi")
    message = models.ForeignKey(
        InboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier", "supplier_part_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "supplier_part_number", "quantity_qualifier"], name="supplieravail_uniq"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="supplieravail_quantity_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.supplier_part_number} = {self.quantity}"


class WmsTask(models.Model):
    """A warehouse task from the WMS (pick, replenishment, putaway): feeds the labor-bottleneck workflow."""

    class Kind(models.TextChoices):
        PICK = "pick", "Pick"
        REPLENISHMENT = "replenishment", "Replenishment"
        PUTAWAY = "putaway", "Putaway"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RELEASED = "released", "Released"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    source = models.CharField(max_length=64, default="wms")
    external_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    location = models.ForeignKey("replenish.Location", on_delete=models.CASCADE, related_name="wms_tasks")
    item = models.ForeignKey("replenish.Item", on_delete=models.CASCADE, related_name="wms_tasks")
    quantity = models.IntegerField(validators=[MinValueValidator(1)])
    due_at = models.DateTimeField()
    wave = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(default=5, help_text="1 = most urgent.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="wmstask_source_ext_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="wmstask_quantity_positive"),
        ]
        indexes = [models.Index(fields=["location", "status", "due_at"], name="wmstask_loc_status_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class LaborCapacity(models.Model):
    """Available labor hours of one location, date and shift."""

    location = models.ForeignKey(
        "replenish.Location", on_delete=models.CASCADE, related_name="labor_capacity"
    )
    date = models.DateField()
    shift = models.CharField(max_length=16)
    available_hours = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    source = models.CharField(max_length=64, default="wms")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location", "date", "shift"]
        constraints = [
            models.UniqueConstraint(fields=["location", "date", "shift"], name="labor_loc_date_shift_uniq"),
            models.CheckConstraint(condition=Q(available_hours__gte=0), name="labor_hours_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.date} {self.shift}: {self.available_hours} h"


class DataQualityIssue(models.Model):
    """A master-data fault found by a quality gate: its SKU-locations are kept out of auto-execution until fixed.

    The exceptions app reads open issues (a master-data exception); `integrations.selectors.quality_flags_for`
    says which SKU-locations are affected.
    """

    class Code(models.TextChoices):
        UNMAPPED_CODE = "unmapped_code", "Unmapped code"
        CONTRADICTORY_UOM = "contradictory_uom", "Contradictory unit of measure"
        ZERO_COST = "zero_cost", "Zero cost"
        LEAD_TIME_OUTLIER = "lead_time_outlier", "Lead-time outlier"
        MISSING_SUPPLIER = "missing_supplier", "Purchasable item without a supplier"
        NO_UOM_CONVERSION = "no_uom_conversion", "Unit of measure without a conversion"
        NEGATIVE_QUANTITY = "negative_quantity", "Negative quantity"
        UNKNOWN_STATE = "unknown_state", "Document in an unknown state"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    code = models.CharField(max_length=24, choices=Code.choices)
    message = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    item = models.ForeignKey(
        "replenish.Item", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    location = models.ForeignKey(
        "replenish.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    supplier = models.ForeignKey(
        "replenish.Supplier", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    item_location = models.ForeignKey(
        "replenish.ItemLocation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=200, help_text="Same fault, same fingerprint: one open issue.")
    inbox_message = models.ForeignKey(
        InboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="quality_issues"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"], condition=Q(status="open"), name="dqissue_one_open_per_fingerprint"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "item"], name="dqissue_status_item_idx"),
            models.Index(fields=["status", "supplier"], name="dqissue_status_supplier_idx"),
            models.Index(fields=["status", "item_location"], name="dqissue_status_il_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
