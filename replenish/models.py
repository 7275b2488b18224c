"""The distribution network, mirrored from the ERP (the system of record).

Every ERP-sourced row carries `source` + `external_id`, unique together, so re-running a sync is a no-op.
Quantities are whole units of the item's base unit of measure. Money is Decimal in the company currency.
Demand history is stored sparsely: a row per SKU-location and week with non-zero demand or a promotion;
weeks between ItemLocation.history_start and the last loaded week without a row had zero demand.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

NON_NEGATIVE = [MinValueValidator(0)]
POSITIVE = [MinValueValidator(1)]


def non_negative(*fields: str, name: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__gte": 0}),
            name=f"{name}_{field}_non_negative",
            violation_error_message=f"{field.replace('_', ' ')} cannot be negative.",
        )
        for field in fields
    ]


class ErpSourced(models.Model):
    source = models.CharField(max_length=32, default="erp", db_index=False)
    external_id = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="%(app_label)s_%(class)s_source_ext_uniq"
            )
        ]


class Location(ErpSourced):
    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", "Warehouse"
        BRANCH = "branch", "Branch"

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.WAREHOUSE)
    region = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, default="America/Chicago")
    shipping_cutoff = models.TimeField(help_text="Local time after which orders ship the next working day.")

    class Meta(ErpSourced.Meta):
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Supplier(ErpSourced):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=160)
    currency = models.CharField(max_length=3, default="USD")
    edi_qualifier = models.CharField(max_length=2, blank=True, help_text="ISA05/07 interchange id qualifier")
    edi_interchange_id = models.CharField(max_length=15, blank=True, help_text="ISA06/08 interchange id")
    edi_group_id = models.CharField(max_length=15, blank=True, help_text="GS02/03 application code")
    contracted_lead_time_days = models.PositiveIntegerField(default=14)
    minimum_order_value = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="Smallest PO the supplier accepts (0 = none)."
    )
    active = models.BooleanField(default=True)

    class Meta(ErpSourced.Meta):
        ordering = ["code"]
        indexes = [models.Index(fields=["edi_qualifier", "edi_interchange_id"], name="supplier_edi_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Item(ErpSourced):
    sku = models.CharField(max_length=40, unique=True)
    description = models.CharField(max_length=200)
    family = models.CharField(max_length=60, db_index=True)
    category = models.CharField(max_length=60, db_index=True)
    base_uom = models.CharField(max_length=8, default="EA")
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, validators=NON_NEGATIVE)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, validators=NON_NEGATIVE)
    attributes = models.JSONField(default=dict, blank=True)
    substitutes = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="substitute_for")
    active = models.BooleanField(default=True)

    class Meta(ErpSourced.Meta):
        ordering = ["sku"]
        constraints = [
            *ErpSourced.Meta.constraints,
            *non_negative("unit_cost", "unit_price", name="item"),
        ]

    def __str__(self) -> str:
        return self.sku


class UomConversion(models.Model):
    """How many base units one `uom` holds for an item (a CASE of 12 -> factor 12)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="uom_conversions")
    uom = models.CharField(max_length=8)
    factor = models.DecimalField(max_digits=12, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "uom"], name="uom_item_uom_uniq"),
            models.CheckConstraint(
                condition=Q(factor__gt=0),
                name="uom_factor_positive",
                violation_error_message="factor must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.uom} = {self.factor}"


class SupplierItem(ErpSourced):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="supplier_items")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="supplier_items")
    supplier_part_number = models.CharField(max_length=48)
    purchase_uom = models.CharField(max_length=8, default="EA")
    pack_size = models.PositiveIntegerField(default=1, validators=POSITIVE)
    moq = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, validators=NON_NEGATIVE)
    contracted_lead_time_days = models.PositiveIntegerField(null=True, blank=True)
    is_primary = models.BooleanField(default=False)

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.UniqueConstraint(fields=["supplier", "item"], name="supplieritem_supplier_item_uniq"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(is_primary=True), name="supplieritem_one_primary_per_item"
            ),
            models.CheckConstraint(
                condition=Q(pack_size__gte=1),
                name="supplieritem_pack_size_positive",
                violation_error_message="pack size must be at least 1.",
            ),
            *non_negative("moq", "unit_cost", name="supplieritem"),
        ]
        indexes = [models.Index(fields=["supplier", "supplier_part_number"], name="supplieritem_part_idx")]

    def __str__(self) -> str:
        return f"{self.supplier_id}:{self.supplier_part_number}"


class ItemLocation(ErpSourced):
    """A SKU-location: the unit of planning."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="item_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="item_locations")
    on_hand = models.IntegerField(default=0, validators=NON_NEGATIVE)
    allocated = models.IntegerField(default=0, validators=NON_NEGATIVE)
    backordered = models.IntegerField(default=0, validators=NON_NEGATIVE)
    static_min = models.IntegerField(
        default=0, validators=NON_NEGATIVE, help_text="The ERP's min (reorder point)."
    )
    static_max = models.IntegerField(
        default=0, validators=NON_NEGATIVE, help_text="The ERP's max (order-up-to)."
    )
    capacity = models.IntegerField(
        null=True, blank=True, validators=NON_NEGATIVE, help_text="Bin capacity in units."
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="item_locations",
    )
    history_start = models.DateField(
        null=True, blank=True, help_text="First week of demand history; none = new."
    )
    safety_stock_floor = models.FloatField(
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="An approved minimum safety stock in units (e.g. after a supplier decline); plans never go below it.",
    )

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.UniqueConstraint(fields=["item", "location"], name="itemlocation_item_location_uniq"),
            *non_negative(
                "on_hand",
                "allocated",
                "backordered",
                "static_min",
                "static_max",
                "capacity",
                "safety_stock_floor",
                name="itemlocation",
            ),
            models.CheckConstraint(
                condition=Q(static_max__gte=F("static_min")),
                name="itemlocation_max_ge_min",
                violation_error_message="static max cannot be below static min.",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "item"], name="itemlocation_loc_item_idx"),
            models.Index(fields=["buyer", "location"], name="itemlocation_buyer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id}"


class ServiceTier(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=60)
    rank = models.PositiveSmallIntegerField(help_text="1 = highest priority.")
    fill_promise = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="Contracted line fill rate, 0-1."
    )
    penalty_per_late_line = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    penalty_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0"),
        help_text="Share of the late line's value charged.",
    )

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fill_promise__gte=0, fill_promise__lte=1),
                name="servicetier_fill_promise_range",
                violation_error_message="fill promise must be between 0 and 1.",
            ),
            *non_negative("penalty_per_late_line", "penalty_rate", name="servicetier"),
        ]

    def __str__(self) -> str:
        return self.name


class Customer(ErpSourced):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=160)
    service_tier = models.ForeignKey(ServiceTier, on_delete=models.PROTECT, related_name="customers")
    region = models.CharField(max_length=32, blank=True)

    class Meta(ErpSourced.Meta):
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SalesOrder(ErpSourced):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PARTIAL = "partial", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=32, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="sales_orders")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="sales_orders")
    order_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)

    class Meta(ErpSourced.Meta):
        indexes = [models.Index(fields=["status", "location"], name="salesorder_status_loc_idx")]

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(ErpSourced):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        BACKORDERED = "backordered", "Backordered"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="sales_order_lines")
    quantity_ordered = models.IntegerField(validators=POSITIVE)
    quantity_allocated = models.IntegerField(default=0, validators=NON_NEGATIVE)
    quantity_shipped = models.IntegerField(default=0, validators=NON_NEGATIVE)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, validators=NON_NEGATIVE)
    requested_ship_date = models.DateField()
    promised_ship_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.UniqueConstraint(fields=["order", "line_number"], name="sol_order_line_uniq"),
            models.CheckConstraint(
                condition=Q(quantity_ordered__gt=0),
                name="sol_quantity_ordered_positive",
                violation_error_message="ordered quantity must be positive.",
            ),
            *non_negative("quantity_allocated", "quantity_shipped", name="sol"),
        ]
        indexes = [models.Index(fields=["item", "status", "requested_ship_date"], name="sol_item_status_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_number}"

    @property
    def quantity_open(self) -> int:
        return max(self.quantity_ordered - self.quantity_shipped, 0)


class PurchaseOrder(ErpSourced):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        PARTIAL = "partial", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=32, unique=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="purchase_orders")
    order_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)

    class Meta(ErpSourced.Meta):
        indexes = [models.Index(fields=["status", "supplier"], name="po_status_supplier_idx")]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(ErpSourced):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        CHANGED = "changed", "Accepted with changes"
        REJECTED = "rejected", "Rejected"
        PARTIAL = "partial", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveIntegerField()
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="purchase_order_lines")
    quantity_ordered = models.IntegerField(validators=POSITIVE)
    quantity_received = models.IntegerField(default=0, validators=NON_NEGATIVE)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, validators=NON_NEGATIVE)
    promised_date = models.DateField(help_text="Arrival date the supplier promised (or acknowledged).")
    acknowledged_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.UniqueConstraint(fields=["order", "line_number"], name="pol_order_line_uniq"),
            models.CheckConstraint(
                condition=Q(quantity_ordered__gt=0),
                name="pol_quantity_ordered_positive",
                violation_error_message="ordered quantity must be positive.",
            ),
            *non_negative("quantity_received", name="pol"),
        ]
        indexes = [models.Index(fields=["item", "status"], name="pol_item_status_idx")]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_number}"

    @property
    def quantity_open(self) -> int:
        return max(self.quantity_ordered - self.quantity_received, 0)


class Shipment(ErpSourced):
    """An advance ship notice (EDI 856) from a supplier."""

    class Status(models.TextChoices):
        IN_TRANSIT = "in_transit", "In transit"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=40)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="shipments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="inbound_shipments")
    ship_date = models.DateField()
    expected_arrival = models.DateField()
    carrier = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_TRANSIT)

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.UniqueConstraint(fields=["supplier", "number"], name="shipment_supplier_number_uniq"),
        ]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(ErpSourced):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity_shipped = models.IntegerField(validators=POSITIVE)

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.CheckConstraint(
                condition=Q(quantity_shipped__gt=0),
                name="shipmentline_quantity_positive",
                violation_error_message="shipped quantity must be positive.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}:{self.po_line_id}"


class TransferOrder(ErpSourced):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_TRANSIT = "in_transit", "In transit"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField(max_length=32, unique=True)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="transfer_orders")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_out")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="transfers_in")
    quantity = models.IntegerField(validators=POSITIVE)
    ship_date = models.DateField()
    expected_arrival = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="transfer_quantity_positive",
                violation_error_message="transfer quantity must be positive.",
            ),
            models.CheckConstraint(
                condition=~Q(from_location=F("to_location")),
                name="transfer_distinct_locations",
                violation_error_message="a transfer needs two different locations.",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Receipt(ErpSourced):
    """Goods received against a PO line: the raw material of lead-time learning."""

    po_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="receipts"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="receipts")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="receipts")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="receipts")
    quantity = models.IntegerField(validators=POSITIVE)
    order_date = models.DateField()
    received_date = models.DateField()

    class Meta(ErpSourced.Meta):
        constraints = [
            *ErpSourced.Meta.constraints,
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="receipt_quantity_positive",
                violation_error_message="received quantity must be positive.",
            ),
            models.CheckConstraint(
                condition=Q(received_date__gte=F("order_date")),
                name="receipt_received_after_order",
                violation_error_message="received date cannot precede the order date.",
            ),
        ]
        indexes = [
            models.Index(fields=["supplier", "item", "received_date"], name="receipt_supplier_item_idx")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}@{self.location_id} {self.received_date}"


class DemandHistory(models.Model):
    """Demand of one SKU-location in one week (sparse: weeks with no row had zero demand)."""

    # No separate index: the unique (item_location, period_start) constraint serves lookups by SKU-location.
    item_location = models.ForeignKey(
        ItemLocation, on_delete=models.CASCADE, related_name="demand_history", db_index=False
    )
    period_start = models.DateField(help_text="Monday of the week.")
    quantity = models.IntegerField(validators=NON_NEGATIVE)
    promotion = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item_location", "period_start"], name="demand_itemloc_period_uniq"
            ),
            *non_negative("quantity", name="demand"),
        ]

    def __str__(self) -> str:
        return f"{self.item_location_id} {self.period_start}: {self.quantity}"


class ScenarioRun(models.Model):
    """Which generated scenario the database holds (the simulator regenerates its demand process from this)."""

    seed = models.PositiveIntegerField()
    skus = models.PositiveIntegerField()
    locations = models.PositiveSmallIntegerField()
    weeks = models.PositiveSmallIntegerField()
    as_of = models.DateField()
    counts = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.skus} x {self.locations} x {self.weeks}"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task (ops health, shown to administrators)."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()
    tasks_seen = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.hostname


class PlanRun(models.Model):
    """One plan refresh. Readers see only the current complete run, so a refresh never shows half old, half new."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETE = "complete", "Complete"
        FAILED = "failed", "Failed"

    class Scope(models.TextChoices):
        FULL = "full", "Full network"
        PARTIAL = "partial", "Touched SKU-locations"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.FULL)
    filters = models.JSONField(
        default=dict, blank=True, help_text="--location / --items of a partial refresh."
    )
    is_current = models.BooleanField(default=False)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    series_count = models.PositiveIntegerField(default=0)
    recommendation_count = models.PositiveIntegerField(default=0)
    model_version = models.CharField(
        max_length=40, blank=True, help_text="Engine version and parameters hash."
    )
    input_snapshot = models.JSONField(
        default=dict, blank=True, help_text="Counts and checksums of the inputs."
    )
    timings = models.JSONField(default=dict, blank=True)
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="The engine settings the run planned with (policy, forecast methods).",
    )
    # Service calibration (replenish/planning/calibration.py): the per-group factors this run planned with
    # ({"factors": {"AX|own": 0.8, ...}, "learned_by_run": id}) and those its replay learned for the next run.
    calibration_applied = models.JSONField(default=dict, blank=True)
    calibration_learned = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        permissions = [("refresh_plan", "Can start a plan refresh")]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="planrun_one_current"
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        return 100.0 * self.chunks_done / self.chunks_total if self.chunks_total else 0.0


class SkuPlan(models.Model):
    """The plan of one SKU-location in one run (engine statistics are floats; money stays in Decimal elsewhere)."""

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="plans")
    item_location = models.ForeignKey(ItemLocation, on_delete=models.CASCADE, related_name="plans")
    demand_class = models.CharField(max_length=16)
    abc = models.CharField(max_length=1)
    xyz = models.CharField(max_length=1)
    method = models.CharField(max_length=24)
    forecast_weekly = models.FloatField()
    forecast_sd_weekly = models.FloatField()
    mase = models.FloatField(null=True)
    bias = models.FloatField(null=True)
    lead_time_mean = models.FloatField()
    lead_time_sd = models.FloatField()
    lead_time_source = models.CharField(max_length=16)
    lead_time_unstable = models.BooleanField(default=False)
    target_type = models.CharField(max_length=16)
    service_target = models.FloatField()
    # the target the policy was computed for: 1 - (1 - service_target) x calibration_factor (engine/calibration.py)
    planning_target = models.FloatField(null=True)
    calibration_factor = models.FloatField(default=1.0)
    calibration_group = models.CharField(max_length=24, blank=True)
    safety_stock = models.FloatField()
    reorder_point = models.FloatField()
    order_up_to = models.FloatField()
    order_quantity = models.FloatField()
    inventory_position = models.FloatField()
    stockout_probability = models.FloatField()
    projected_stockout_date = models.DateField(null=True)
    flags = models.JSONField(default=list, blank=True, help_text="Data-quality fallbacks applied, by name.")
    # Every input the policy computed this row from, as it used them (a pooled hub's network demand, a branch's
    # transfer lead time), so that its figures can be re-derived from the stored row (governance/explain).
    # Null on rows planned before these were kept.
    forecast_sd_planning = models.FloatField(null=True, help_text="Weekly sd after pooling with the segment.")
    backtest = models.JSONField(
        default=dict,
        blank=True,
        help_text="Per-method rmse/mase/bias (run.options methods order), fit, path.",
    )
    lead_time_long_run_mean = models.FloatField(null=True)
    lead_time_recent_mean = models.FloatField(null=True)
    lead_time_n_samples = models.IntegerField(null=True)
    policy_forecast_weekly = models.FloatField(null=True)
    policy_forecast_sd_weekly = models.FloatField(null=True)
    policy_lead_time_days = models.FloatField(null=True)
    policy_lead_time_sd_days = models.FloatField(null=True)
    policy_target = models.FloatField(null=True)
    error_growth = models.FloatField(
        null=True, help_text="Forecast error growth over L + R (x the weekly sd)."
    )
    demand_size_mean = models.FloatField(null=True)
    demand_size_cv2 = models.FloatField(null=True)
    undershoot = models.FloatField(null=True, help_text="Expected undershoot of the reorder point (units).")
    lead_time_demand_mean = models.FloatField(null=True, help_text="Mean demand over L + R (units).")
    lead_time_demand_sd = models.FloatField(null=True)
    lead_time_demand_distribution = models.CharField(max_length=24, blank=True)
    safety_factor = models.FloatField(null=True)
    eoq = models.FloatField(null=True, help_text="EOQ within its weeks-of-cover bounds, before MOQ and pack.")
    unit_cost = models.FloatField(null=True)
    ordering_cost = models.FloatField(null=True)
    holding_rate = models.FloatField(null=True)
    moq = models.FloatField(null=True)
    pack_size = models.FloatField(null=True)
    capacity = models.FloatField(null=True)
    safety_stock_floor = models.FloatField(null=True)
    supply_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "item_location"], name="skuplan_run_itemloc_uniq"),
        ]
        indexes = [models.Index(fields=["item_location", "run"], name="skuplan_itemloc_run_idx")]

    def __str__(self) -> str:
        return f"plan {self.item_location_id} run {self.run_id}"


class Recommendation(models.Model):
    """A proposed action: generated by the engine, never posted by it."""

    class Action(models.TextChoices):
        PURCHASE_ORDER = "purchase_order", "New purchase order"
        EXPEDITE = "expedite", "Expedite an open PO"
        DEFER = "defer", "Defer an open PO"
        CANCEL = "cancel", "Cancel an open PO"
        TRANSFER = "transfer", "Inter-warehouse transfer"
        REALLOCATE = "reallocate", "Reallocate constrained stock"

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="recommendations")
    item_location = models.ForeignKey(ItemLocation, on_delete=models.CASCADE, related_name="recommendations")
    action = models.CharField(max_length=16, choices=Action.choices)
    quantity = models.IntegerField(validators=NON_NEGATIVE)
    due_date = models.DateField()
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Where a transfer ships from.",
    )
    po_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    new_date = models.DateField(null=True, blank=True, help_text="Target arrival of an expedite or deferral.")
    factors = models.JSONField(default=dict, help_text="The numbers behind it, machine-readable.")
    reason = models.TextField(help_text="One plain sentence.")
    confidence = models.FloatField(default=0.5)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [*non_negative("quantity", name="recommendation")]
        indexes = [models.Index(fields=["run", "action"], name="rec_run_action_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.quantity} for {self.item_location_id}"


class PlanChunk(models.Model):
    """One idempotent slice of a plan run (whole items, all their locations), computed by any worker."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    item_id_low = models.BigIntegerField()
    item_id_high = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    series_count = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="planchunk_run_index_uniq")]

    def __str__(self) -> str:
        return f"run {self.run_id} chunk {self.index}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


class SimulationReport(models.Model):
    """A policy simulation or backtest report (replenish.evaluation): what was run and its results, as JSON."""

    class Kind(models.TextChoices):
        SIMULATION = "simulation", "Policy simulation"
        BACKTEST = "backtest", "Backtest"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SIMULATION)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=32, default="command", help_text="command, web or test")
    parameters = models.JSONField(default=dict)
    results = models.JSONField(default=dict)
    # a run started from the screen is a Celery task: the row exists from the start and shows its progress
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.COMPLETE)
    progress = models.PositiveSmallIntegerField(default=100, help_text="percent done")
    message = models.CharField(max_length=200, blank=True, help_text="the step it is on")
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(null=True, blank=True, help_text="The last progress a run reported.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
