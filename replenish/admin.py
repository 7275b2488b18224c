"""The network mirrors the ERP (the system of record): read-only here, changed by syncs, imports and services."""

from django.contrib import admin

from . import models
from .core.admin import ReadOnlyAdmin, ReadOnlyTabularInline


class ErpSourcedAdmin(ReadOnlyAdmin):
    list_per_page = 50
    show_full_result_count = False  # a COUNT(*) over 900,000 SKU-locations per page view is wasted work


@admin.register(models.Location)
class LocationAdmin(ErpSourcedAdmin):
    list_display = ["code", "name", "kind", "region", "time_zone", "shipping_cutoff"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "name", "external_id"]


@admin.register(models.Supplier)
class SupplierAdmin(ErpSourcedAdmin):
    list_display = ["code", "name", "currency", "edi_interchange_id", "contracted_lead_time_days", "active"]
    list_filter = ["currency", "active"]
    search_fields = ["code", "name", "edi_interchange_id", "external_id"]


class UomConversionInline(ReadOnlyTabularInline):
    model = models.UomConversion


@admin.register(models.Item)
class ItemAdmin(ErpSourcedAdmin):
    list_display = [
        "sku",
        "description",
        "family",
        "category",
        "base_uom",
        "unit_cost",
        "unit_price",
        "active",
    ]
    list_filter = ["category", "active"]
    search_fields = ["sku", "description", "family", "external_id"]
    raw_id_fields = ["substitutes"]
    inlines = [UomConversionInline]


@admin.register(models.UomConversion)
class UomConversionAdmin(ReadOnlyAdmin):
    list_display = ["item", "uom", "factor"]
    search_fields = ["item__sku", "uom"]
    raw_id_fields = ["item"]


@admin.register(models.SupplierItem)
class SupplierItemAdmin(ErpSourcedAdmin):
    list_display = [
        "supplier",
        "item",
        "supplier_part_number",
        "purchase_uom",
        "pack_size",
        "moq",
        "unit_cost",
        "contracted_lead_time_days",
        "is_primary",
    ]
    list_filter = ["is_primary", "supplier"]
    search_fields = ["item__sku", "supplier__code", "supplier_part_number"]
    list_select_related = ["supplier", "item"]
    raw_id_fields = ["item", "supplier"]


@admin.register(models.ItemLocation)
class ItemLocationAdmin(ErpSourcedAdmin):
    list_display = [
        "item",
        "location",
        "on_hand",
        "allocated",
        "backordered",
        "static_min",
        "static_max",
        "buyer",
    ]
    list_filter = ["location", "buyer"]
    search_fields = ["item__sku", "item__description"]
    list_select_related = ["item", "location", "buyer"]
    raw_id_fields = ["item", "location", "buyer"]


@admin.register(models.ServiceTier)
class ServiceTierAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "rank", "fill_promise", "penalty_per_late_line", "penalty_rate"]


@admin.register(models.Customer)
class CustomerAdmin(ErpSourcedAdmin):
    list_display = ["code", "name", "service_tier", "region"]
    list_filter = ["service_tier", "region"]
    search_fields = ["code", "name"]


class SalesOrderLineInline(ReadOnlyTabularInline):
    model = models.SalesOrderLine
    extra = 0
    raw_id_fields = ["item"]
    exclude = ["source", "external_id"]


@admin.register(models.SalesOrder)
class SalesOrderAdmin(ErpSourcedAdmin):
    list_display = ["number", "customer", "location", "order_date", "status"]
    list_filter = ["status", "location"]
    search_fields = ["number", "customer__code", "customer__name"]
    list_select_related = ["customer", "location"]
    raw_id_fields = ["customer"]
    inlines = [SalesOrderLineInline]
    date_hierarchy = "order_date"


@admin.register(models.SalesOrderLine)
class SalesOrderLineAdmin(ErpSourcedAdmin):
    list_display = [
        "order",
        "line_number",
        "item",
        "quantity_ordered",
        "quantity_shipped",
        "requested_ship_date",
        "status",
    ]
    list_filter = ["status"]
    search_fields = ["order__number", "item__sku"]
    list_select_related = ["order", "item"]
    raw_id_fields = ["order", "item"]


class PurchaseOrderLineInline(ReadOnlyTabularInline):
    model = models.PurchaseOrderLine
    extra = 0
    raw_id_fields = ["item"]
    exclude = ["source", "external_id"]


@admin.register(models.PurchaseOrder)
class PurchaseOrderAdmin(ErpSourcedAdmin):
    list_display = ["number", "supplier", "location", "order_date", "status"]
    list_filter = ["status", "location"]
    search_fields = ["number", "supplier__code", "supplier__name"]
    list_select_related = ["supplier", "location"]
    raw_id_fields = ["supplier"]
    inlines = [PurchaseOrderLineInline]
    date_hierarchy = "order_date"


@admin.register(models.PurchaseOrderLine)
class PurchaseOrderLineAdmin(ErpSourcedAdmin):
    list_display = [
        "order",
        "line_number",
        "item",
        "quantity_ordered",
        "quantity_received",
        "promised_date",
        "status",
    ]
    list_filter = ["status"]
    search_fields = ["order__number", "item__sku"]
    list_select_related = ["order", "item"]
    raw_id_fields = ["order", "item"]


class ShipmentLineInline(ReadOnlyTabularInline):
    model = models.ShipmentLine
    extra = 0
    raw_id_fields = ["po_line"]
    exclude = ["source", "external_id"]


@admin.register(models.Shipment)
class ShipmentAdmin(ErpSourcedAdmin):
    list_display = ["number", "supplier", "location", "ship_date", "expected_arrival", "status"]
    list_filter = ["status", "location"]
    search_fields = ["number", "supplier__code"]
    list_select_related = ["supplier", "location"]
    inlines = [ShipmentLineInline]


@admin.register(models.TransferOrder)
class TransferOrderAdmin(ErpSourcedAdmin):
    list_display = [
        "number",
        "item",
        "from_location",
        "to_location",
        "quantity",
        "expected_arrival",
        "status",
    ]
    list_filter = ["status", "from_location", "to_location"]
    search_fields = ["number", "item__sku"]
    raw_id_fields = ["item"]


@admin.register(models.Receipt)
class ReceiptAdmin(ErpSourcedAdmin):
    list_display = ["supplier", "item", "location", "quantity", "order_date", "received_date"]
    list_filter = ["location"]
    search_fields = ["item__sku", "supplier__code"]
    list_select_related = ["supplier", "item", "location"]
    raw_id_fields = ["po_line", "supplier", "item"]


@admin.register(models.DemandHistory)
class DemandHistoryAdmin(ReadOnlyAdmin):
    list_display = ["item_location", "period_start", "quantity", "promotion"]
    list_filter = ["promotion"]
    search_fields = ["item_location__item__sku"]
    raw_id_fields = ["item_location"]
    show_full_result_count = False
