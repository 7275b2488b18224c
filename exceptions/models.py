"""Exceptions: what needs a person's attention, scored in money, routed to an owner, decided in a work queue.

A PlanningException is found by a detector over the current plan (see `detectors.py`), carries its value at stake
and every part of it (`value_parts`, see replenish/engine/value.py), the source figures behind it (`explanation`), and the
proposed action (`proposal`, from the linked engine Recommendation until a person overrides it). There is at most one
live (not closed) exception per type and SKU-location (supplier-level types: per type and supplier); a refresh
updates it in place and closes what no longer holds.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from replenish.engine.attention import MAX_WAIT_DAYS
from replenish.models import Location, Supplier


class ExceptionType(models.TextChoices):
    # Extensible: labor_bottleneck and allocation come with the workflows issue (a choices change, no schema change).
    STOCKOUT_RISK = "stockout_risk", "Stockout within lead time"
    REORDER_DUE = "reorder_due", "Reorder point reached"
    INBOUND_LATE = "inbound_late", "Inbound late"
    ORDER_AT_RISK = "order_at_risk", "Customer order at risk"
    EXCESS = "excess", "Excess stock"
    SUPPLIER_DECLINE = "supplier_decline", "Supplier decline"
    MASTER_DATA = "master_data", "Master-data fault"
    DRAFT_PO = "draft_po", "Draft purchase order"


# Types keyed by supplier rather than SKU-location (item_location is null).
SUPPLIER_LEVEL_TYPES = frozenset({ExceptionType.SUPPLIER_DECLINE})
# The signals about one SKU-location that are one procurement decision: one task, the best action, the rest context.
SKU_TASK_TYPES = frozenset(
    {ExceptionType.STOCKOUT_RISK, ExceptionType.REORDER_DUE, ExceptionType.INBOUND_LATE, ExceptionType.EXCESS}
)


class Status(models.TextChoices):
    OPEN = "open", "Open"
    IN_REVIEW = "in_review", "In review"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    OVERRIDDEN = "overridden", "Overridden"
    REJECTED = "rejected", "Rejected"
    SNOOZED = "snoozed", "Snoozed"
    AUTO_EXECUTED = "auto_executed", "Auto-executed"
    POSTED = "posted", "Posted"
    CLOSED = "closed", "Closed"
    IN_DRAFT = "in_draft", "Line of a draft PO"


# Undecided: the engine may still update the proposal in place at a refresh (awaiting approval is frozen).
UNDECIDED = (Status.OPEN, Status.IN_REVIEW, Status.SNOOZED, Status.AWAITING_APPROVAL, Status.IN_DRAFT)
# Updated in place by a refresh while it still holds (a person may still be about to decide it).
REFRESHABLE = (Status.OPEN, Status.IN_REVIEW, Status.SNOOZED, Status.IN_DRAFT)
# The work queue ("To do"): what a planner should act on now. A snooze that ran out is reopened by the refresh and
# by exceptions_wake_task, so this is a plain status list and the partial indexes below match it exactly.
TODO = (Status.OPEN, Status.IN_REVIEW)
# Work a planner can act on (approve / override / reject / snooze).
DECIDABLE = (Status.OPEN, Status.IN_REVIEW, Status.SNOOZED)
# Decided, waiting for the ERP posting (left alone by a refresh).
AWAITING_POSTING = (Status.APPROVED, Status.OVERRIDDEN, Status.AUTO_EXECUTED)
# What the system may still execute at a refresh (with no maker and no decision): an open task, a draft PO's line.
AUTOMATABLE = (Status.OPEN, Status.IN_DRAFT)
DECIDED = (Status.APPROVED, Status.OVERRIDDEN, Status.REJECTED, Status.AUTO_EXECUTED, Status.POSTED)
# The queue's tabs before a decision (To do, Later, Low value, Snoozed, Awaiting approval): what the tab counts count.
IN_QUEUE = (*TODO, Status.SNOOZED, Status.AWAITING_APPROVAL)
LIVE = tuple(s for s in Status.values if s != Status.CLOSED)


class Team(models.TextChoices):
    PROCUREMENT = "procurement", "Procurement"
    WAREHOUSE_CONTROL = "warehouse_control", "Warehouse control"
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    TRANSPORTATION_PLANNING = "transportation_planning", "Transportation planning"


# The columns of the queue's WHERE besides status, value and id: who may see a row, its team's value floor, and the
# filters (exceptions.selectors.visibility_q, exceptions.attention, exceptions.filters; a SKU search reads the copied
# `sku`, a word search still joins through the SKU-location to the description).
def default_work_by():
    """A task's work-by day when nothing projects its stockout: MAX_WAIT_DAYS after today (its first day)."""
    return timezone.localdate() + timedelta(days=MAX_WAIT_DAYS)


QUEUE_COLUMNS = (
    "owner_team",
    "owner",
    "buyer",
    "supplier",
    "category",
    "location",
    "type",
    "item_location",
    "sku",
)


# The queue's rank (replenish.engine.attention.rank_order): value at stake, largest first; of equal value the delay
# rate, largest first; then the work-by day, earliest first; then the id. Every place that orders the queue uses it.
RANK = ("-value_at_stake", "-delay_rate", "work_by", "pk")


class PlanningException(models.Model):
    """One task: one decision a person (or the automation policy) takes.

    `subject_key` names what it is about, one live row per key: "sku:<SKU-location>" for the procurement signals of
    a SKU-location (stockout risk, reorder point, late inbound, excess: the best action, the others in
    explanation["signals"]), "orders:<SKU-location>", "data:<SKU-location>", "supplier:<id>", "asn:<shipment>" (a
    late inbound shipment, for transportation), "po:<supplier>:<location>" (a draft PO: its lines are the
    SKU-location tasks whose best action is a purchase order, in status in_draft with `parent` set)."""

    type = models.CharField(max_length=32, choices=ExceptionType.choices)
    subject_key = models.CharField(
        max_length=64, default="", help_text="What it is about (one live row per key)."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lines",
        help_text="The draft PO this line belongs to.",
        db_index=False,  # exc_parent_idx
    )
    shipment = models.ForeignKey(
        "replenish.Shipment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # exc_shipment_idx
    )
    item_location = models.ForeignKey(
        "replenish.ItemLocation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exceptions",
        help_text="Empty for supplier-level exceptions.",
    )
    recommendation = models.ForeignKey(
        "replenish.Recommendation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exceptions",
    )
    run = models.ForeignKey(
        "replenish.PlanRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The plan run that last confirmed it.",
    )
    # Denormalised from the SKU-location at each refresh, so queue filters and permissions are one-table predicates.
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=60, blank=True)
    sku = models.CharField(
        max_length=40,
        blank=True,
        default="",
        help_text="The item's SKU code, copied at each write (empty without a SKU-location): the queue's SKU search.",
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    owner_team = models.CharField(max_length=32, choices=Team.choices, default=Team.PROCUREMENT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_exceptions",
    )
    due_by = models.DateField(null=True, blank=True)
    stockout_date = models.DateField(null=True, blank=True, help_text="Projected stockout date of the plan.")
    value_at_stake = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    work_by = models.DateField(
        default=default_work_by,
        help_text="Rank among tasks of equal value (earliest first): the last day to act before the projected "
        "stockout, at most 28 days after the task first appeared (replenish.engine.attention).",
    )
    delay_rate = models.FloatField(
        default=0.0,
        help_text="Expected units short per day the task waits (its daily demand x the chance its action lands "
        "after the projected stockout): rank among tasks of equal value, largest first (replenish.engine.attention).",
    )
    value_parts = models.JSONField(
        default=dict, blank=True, help_text="Every part of the value (see scoring.py)."
    )
    confidence = models.FloatField(default=0.5)
    explanation = models.JSONField(default=dict, blank=True, help_text="Summary sentence and source figures.")
    proposal = models.JSONField(
        default=dict,
        blank=True,
        help_text="The proposed action: the recommendation's, or a person's override.",
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock: every change increments it.")
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who last created or changed the proposed values (empty = the engine).",
        db_index=False,  # exc_maker_idx
    )
    required_role = models.CharField(max_length=32, blank=True, help_text="Set while awaiting approval.")
    snoozed_until = models.DateField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True, help_text="The ERP posting outcome.")
    creation_audited = models.BooleanField(
        default=True,
        help_text="False when the refresh audited it in a batch event (audited again on first view).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = list(RANK)
        permissions = [
            ("decide_exception", "Can approve, override, reject and snooze exceptions"),
            ("view_all_exceptions", "Can see every exception (managers, auditors)"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key"],
                condition=~Q(status="closed") & ~Q(subject_key=""),
                name="exception_one_live_per_subject",
                violation_error_message="There is already a live task for this subject.",
            ),
            models.CheckConstraint(
                condition=Q(value_at_stake__gte=0),
                name="exception_value_non_negative",
                violation_error_message="value at stake cannot be negative.",
            ),
        ]
        # The queue's reads stay index scans at 900,000 SKU-locations (bench/bench_queue.py):
        # - the tabs before a decision in rank order (exception_list's ORDER BY -value_at_stake, -delay_rate, work_by, id exactly), the
        #   key holding every other column the queue's WHERE reads (status, visibility, team floors, filters), so
        #   the grid's COUNT over any filter and the tab counts are index-only scans (the refresh VACUUMs the table:
        #   exceptions.refresh.jobs);
        # - the Decided tab newest first, the same way;
        # - each sortable column's first-click direction (exceptions.filters.SORTS), tie-broken by the id.
        indexes = [
            models.Index(
                fields=[
                    "-value_at_stake",
                    "-delay_rate",
                    "work_by",
                    "id",
                    "status",
                    *QUEUE_COLUMNS,
                    "snoozed_until",
                ],
                condition=Q(status__in=IN_QUEUE),
                name="exc_queue_cover_idx",
            ),
            models.Index(
                fields=["-decided_at", "-id", *QUEUE_COLUMNS],
                condition=Q(status__in=DECIDED),
                name="exc_decided_cover_idx",
            ),
            models.Index(fields=["due_by", "id"], condition=Q(status__in=TODO), name="exc_todo_due_idx"),
            models.Index(
                fields=["stockout_date", "id"], condition=Q(status__in=TODO), name="exc_todo_stockout_idx"
            ),
            models.Index(
                fields=["-confidence", "id"], condition=Q(status__in=TODO), name="exc_todo_confidence_idx"
            ),
            models.Index(
                fields=["buyer", "-value_at_stake"], condition=Q(status__in=TODO), name="exc_todo_buyer_idx"
            ),
            models.Index(
                fields=["location", "-value_at_stake"],
                condition=Q(status__in=TODO),
                name="exc_todo_location_idx",
            ),
            models.Index(
                fields=["supplier", "-value_at_stake"],
                condition=Q(status__in=TODO),
                name="exc_todo_supplier_idx",
            ),
            models.Index(
                fields=["owner", "-value_at_stake"], condition=Q(status__in=TODO), name="exc_todo_owner_idx"
            ),
            models.Index(fields=["status", "decided_at"], name="exc_status_decided_idx"),
            models.Index(
                fields=["status", "snoozed_until"], condition=Q(status="snoozed"), name="exc_snoozed_idx"
            ),
            # Three foreign keys that are empty on most rows (a draft PO's line, a shipment's task, a person's
            # proposal): every read of them asks for a value (a draft's lines, a shipment's task, the rows a deleted
            # user or shipment leaves, PostgreSQL's foreign-key checks), never for the empty ones, so their
            # indexes leave the empty rows out (a refresh writes ~300,000 rows, ~20,000 with a parent or shipment)
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"exc_{name}_idx")
                for name in ("parent", "shipment", "maker")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} #{self.pk} ({self.status})"

    @property
    def is_decidable(self) -> bool:
        return self.status in DECIDABLE


class Decision(models.Model):
    class Action(models.TextChoices):
        APPROVE = "approve", "Approve"
        OVERRIDE = "override", "Override"
        REJECT = "reject", "Reject"
        SNOOZE = "snooze", "Snooze"
        REQUEST_APPROVAL = "request_approval", "Request approval"
        AUTO_EXECUTE = "auto_execute", "Auto-execute"

    exception = models.ForeignKey(PlanningException, on_delete=models.CASCADE, related_name="decisions")
    recommendation = models.ForeignKey(
        "replenish.Recommendation", null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty = the automation policy.",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    version = models.PositiveIntegerField(help_text="The exception version the decision was made on.")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason_code = models.CharField(max_length=40, blank=True)
    comment = models.TextField(blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    confidence = models.FloatField(default=0.5)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One decision per version: a double-submitted action cannot be applied twice, even in a race.
            models.UniqueConstraint(fields=["exception", "version"], name="decision_one_per_version"),
        ]
        indexes = [models.Index(fields=["actor", "created_at"], name="decision_actor_time_idx")]

    def __str__(self) -> str:
        return f"{self.action} on #{self.exception_id} v{self.version}"


class ReasonCode(models.Model):
    class AppliesTo(models.TextChoices):
        ANY = "any", "Override and reject"
        OVERRIDE = "override", "Override"
        REJECT = "reject", "Reject"

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    applies_to = models.CharField(max_length=16, choices=AppliesTo.choices, default=AppliesTo.ANY)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class RoutingRule(models.Model):
    """Which team (and optionally which person) owns an exception: the first active matching rule by priority.

    Empty criteria match anything. Data, edited in the admin; a refresh applies the rules to what it touches.
    """

    priority = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    type = models.CharField(max_length=32, choices=ExceptionType.choices, blank=True)
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=60, blank=True)
    team = models.CharField(max_length=32, choices=Team.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the SKU-location's buyer for procurement, else the team at large.",
    )
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        criteria = [
            self.get_type_display() if self.type else "",
            f"at {self.location.code}" if self.location_id else "",
            f"from {self.supplier.code}" if self.supplier_id else "",
            self.category,
        ]
        return f"#{self.priority} {' '.join(c for c in criteria if c) or 'anything'} -> {self.get_team_display()}"


class CategoryOwnership(models.Model):
    """A buyer's product categories (categories are not rows, so they cannot carry guardian object permissions)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_categories"
    )
    category = models.CharField(max_length=60)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="categoryownership_uniq")]

    def __str__(self) -> str:
        return f"{self.user} owns {self.category}"


# django-guardian direct foreign-key object permissions: a typed, indexed join for the queue selector instead of the
# generic table's text object_pk. A supervisor holds replenish.view_location on their warehouse; a buyer may hold
# replenish.view_supplier on the suppliers they manage (besides the SKU-locations whose buyer they are).
class LocationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Location, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "location permission of a user"


class SupplierUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Supplier, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "supplier permission of a user"


class TeamSetting(models.Model):
    """Per team: the value floor below which a task goes to the "Low value" tab (human review only where it pays).

    Data, edited by managers on the capacity screen (exceptions.services.team_floor_set, audited)."""

    team = models.CharField(max_length=32, choices=Team.choices, unique=True)
    value_floor = models.DecimalField(max_digits=14, decimal_places=2, default=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(value_floor__gte=0),
                name="teamsetting_floor_non_negative",
                violation_error_message="the value floor cannot be negative.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_team_display()}: floor {self.value_floor}"


class WorkCapacity(models.Model):
    """A person's daily capacity in decisions: To do shows today's work sized to it, the rest waits under "Later".

    Without a row a person has DEFAULT_DAILY_DECISIONS; a manager edits it (exceptions.services.capacity_set)."""

    DEFAULT_DAILY_DECISIONS = 60

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_capacity"
    )
    daily_decisions = models.PositiveIntegerField(default=DEFAULT_DAILY_DECISIONS)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.daily_decisions} a day"


class RefreshChunk(models.Model):
    """One chunk of an exceptions refresh (a range of items or a list of SKU-locations), computed by any worker in
    its own transaction; number 0 is the refresh itself (its shared inputs, then the finish). The chunk that completes
    the set runs the finish (supplier-level tasks, draft POs, shipments, ANALYZE) exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (a newer plan run is current)"

    batch = models.CharField(max_length=32, help_text="One refresh (uuid hex).")
    number = models.PositiveIntegerField()
    run = models.ForeignKey("replenish.PlanRun", on_delete=models.CASCADE, related_name="+")
    item_lo = models.BigIntegerField(null=True, blank=True)
    item_hi = models.BigIntegerField(null=True, blank=True)
    ids = models.JSONField(null=True, blank=True, help_text="Explicit SKU-location ids (a partial refresh).")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    result = models.JSONField(default=dict, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="refreshchunk_batch_number")]

    def __str__(self) -> str:
        return f"refresh {self.batch[:8]} chunk {self.number} ({self.status})"


class SavedView(models.Model):
    """A person's named view of the queue: the query string of the screen (tab, filters, sort), applied as a link."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="savedview_user_name")]

    def __str__(self) -> str:
        return f"{self.user}: {self.name}"
