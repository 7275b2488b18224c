"""Transactions mirrored from the ERP: sales and purchase orders, ASNs, transfers, receipts, demand history."""

from django.db import models
from django.db.models import F, Q

from .base import NON_NEGATIVE, POSITIVE, ErpSourced, non_negative
from .master import Customer, Item, ItemLocation, Location, Supplier


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
