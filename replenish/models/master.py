"""Master data mirrored from the ERP: locations, suppliers, items, SKU-locations, customers and their tiers."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from .base import NON_NEGATIVE, POSITIVE, ErpSourced, non_negative


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
        # The queue's SKU search (sku__istartswith: UPPER(sku) LIKE 'SKU-00%'): a prefix range scan, and statistics
        # on UPPER(sku) so the planner knows how many SKUs a prefix matches (without them it guessed 0.5% for a
        # prefix matching every SKU and read the queue item by item: 3.5 s at 300,000 exceptions).
        indexes = [models.Index(Upper("sku"), name="item_sku_upper_idx")]

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
