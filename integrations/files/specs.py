"""The column formats of every importable kind (documented for people in integrations/files/FORMATS.md).

The same formats are the record shapes of ERP pages (integrations/erp/CONTRACT.md) and webhook events: one
normalized form, whatever the channel.
"""

from __future__ import annotations

from .validate import Column, Spec

CODE = 32
EXT = Column("external_id", max_length=64, help="The sender's id of the row (optional; default: the key).")

LOCATIONS = Spec(
    "locations",
    "locations",
    (
        Column("code", required=True, max_length=16, help="Location code, e.g. DC1."),
        Column("name", required=True, max_length=120),
        Column("kind", type="choice", choices=("warehouse", "branch"), default="warehouse"),
        Column("region", max_length=32),
        Column(
            "time_zone", type="timezone", help="IANA name, e.g. America/Chicago (default: the company's)."
        ),
        Column(
            "shipping_cutoff",
            type="time",
            default="15:00",
            help="Local HH:MM after which orders ship next day.",
        ),
        EXT,
    ),
    key=("code",),
)

SUPPLIERS = Spec(
    "suppliers",
    "suppliers",
    (
        Column("code", required=True, max_length=CODE),
        Column("name", required=True, max_length=160),
        Column("currency", max_length=3, default="USD"),
        Column("contracted_lead_time_days", type="int", default="14", maximum=3650),
        Column("edi_qualifier", max_length=2, help="ISA05/07 qualifier of the supplier's EDI id."),
        Column("edi_interchange_id", max_length=15, help="ISA06/08 id the supplier sends EDI with."),
        Column("edi_group_id", max_length=15, help="GS02/03 application code."),
        Column("active", type="bool", default="true"),
        EXT,
    ),
    key=("code",),
)

SERVICE_TIERS = Spec(
    "service_tiers",
    "service tiers",
    (
        Column("code", required=True, max_length=16),
        Column("name", required=True, max_length=60),
        Column("rank", type="int", required=True, minimum=1, maximum=99, help="1 = highest priority."),
        Column(
            "fill_promise", type="decimal", required=True, maximum=1, help="Contracted line fill rate, 0-1."
        ),
        Column("penalty_per_late_line", type="decimal", default="0", maximum=1e9),
        Column("penalty_rate", type="decimal", default="0", maximum=1, help="Share of a late line's value."),
    ),
    key=("code",),
)

CUSTOMERS = Spec(
    "customers",
    "customers",
    (
        Column("code", required=True, max_length=CODE),
        Column("name", required=True, max_length=160),
        Column("service_tier", required=True, max_length=16, help="Code of a service tier."),
        Column("region", max_length=32),
        EXT,
    ),
    key=("code",),
)

ITEMS = Spec(
    "items",
    "items",
    (
        Column("sku", required=True, max_length=40),
        Column("description", required=True, max_length=200),
        Column("family", max_length=60, default=""),
        Column("category", max_length=60, default=""),
        Column("base_uom", max_length=8, default="EA"),
        Column("unit_cost", type="decimal", required=True, maximum=1e8),
        Column("unit_price", type="decimal", required=True, maximum=1e8),
        Column("active", type="bool", default="true"),
        EXT,
    ),
    key=("sku",),
)

UOM_CONVERSIONS = Spec(
    "uom_conversions",
    "unit-of-measure conversions",
    (
        Column("sku", required=True, max_length=40),
        Column("uom", required=True, max_length=8),
        Column(
            "factor",
            type="decimal",
            required=True,
            minimum=0.0001,
            maximum=1e6,
            help="Base units in one of this unit (a case of 12: 12).",
        ),
    ),
    key=("sku", "uom"),
)

SUPPLIER_ITEMS = Spec(
    "supplier_items",
    "supplier items",
    (
        Column("supplier", required=True, max_length=CODE),
        Column("sku", required=True, max_length=40),
        Column("supplier_part_number", required=True, max_length=48),
        Column("purchase_uom", max_length=8, default="EA"),
        Column("pack_size", type="int", default="1", minimum=1),
        Column("moq", type="int", default="0"),
        Column("unit_cost", type="decimal", required=True, maximum=1e8),
        Column(
            "lead_time_days", type="int", maximum=3650, help="Contracted lead time of this item (optional)."
        ),
        Column("primary", type="bool", default="false", help="The item's main supplier (one per item)."),
        EXT,
    ),
    key=("supplier", "sku"),
)

BALANCES = Spec(
    "balances",
    "balances",
    (
        Column("sku", required=True, max_length=40),
        Column("location", required=True, max_length=16),
        Column("on_hand", type="int", required=True),
        Column("allocated", type="int"),
        Column("backordered", type="int"),
        Column("uom", max_length=8, help="Unit of the quantities (default: the item's base unit)."),
    ),
    key=("sku", "location"),
)

PO_LINE_STATUSES = ("open", "accepted", "changed", "rejected", "partial", "received", "cancelled")
OPEN_PURCHASE_ORDERS = Spec(
    "open_purchase_orders",
    "open purchase orders",
    (
        Column("po_number", required=True, max_length=32),
        Column("line", type="int", required=True, minimum=1, maximum=100_000),
        Column("supplier", required=True, max_length=CODE),
        Column("location", required=True, max_length=16),
        Column("sku", required=True, max_length=40),
        Column("quantity", type="int", required=True, minimum=1),
        Column("uom", max_length=8),
        Column(
            "unit_cost",
            type="decimal",
            maximum=1e8,
            help="Default: the supplier item's cost, else the item's.",
        ),
        Column("order_date", type="date", required=True),
        Column("promised_date", type="date", required=True),
        Column("quantity_received", type="int", default="0"),
        Column("status", type="choice", choices=PO_LINE_STATUSES, default="open"),
        EXT,
    ),
    key=("po_number", "line"),
)

SO_LINE_STATUSES = ("open", "backordered", "shipped", "cancelled")
OPEN_SALES_ORDERS = Spec(
    "open_sales_orders",
    "open sales orders",
    (
        Column("order_number", required=True, max_length=32),
        Column("line", type="int", required=True, minimum=1, maximum=100_000),
        Column("customer", required=True, max_length=CODE),
        Column("location", required=True, max_length=16),
        Column("sku", required=True, max_length=40),
        Column("quantity", type="int", required=True, minimum=1),
        Column("uom", max_length=8),
        Column("unit_price", type="decimal", maximum=1e8, help="Default: the item's price."),
        Column("order_date", type="date", required=True),
        Column("requested_date", type="date", required=True),
        Column("promised_date", type="date"),
        Column("quantity_shipped", type="int", default="0"),
        Column("status", type="choice", choices=SO_LINE_STATUSES, default="open"),
        EXT,
    ),
    key=("order_number", "line"),
)

DEMAND = Spec(
    "demand",
    "demand history",
    (
        Column("sku", required=True, max_length=40),
        Column("location", required=True, max_length=16),
        Column("period", type="date", required=True, help="Any day of the week (stored as its Monday)."),
        Column("quantity", type="int", required=True),
        Column("promotion", type="bool", default="false"),
    ),
    key=("sku", "location", "period"),
)

WMS_TASK_KINDS = ("pick", "replenishment", "putaway")
WMS_TASK_STATUSES = ("open", "released", "in_progress", "done", "cancelled")
WMS_TASKS = Spec(
    "wms_tasks",
    "WMS tasks",
    (
        Column("task_id", required=True, max_length=64),
        Column("kind", type="choice", choices=WMS_TASK_KINDS, required=True),
        Column("location", required=True, max_length=16),
        Column("sku", required=True, max_length=40),
        Column("quantity", type="int", required=True, minimum=1),
        Column("due_at", type="datetime", required=True),
        Column("wave", max_length=32),
        Column("status", type="choice", choices=WMS_TASK_STATUSES, default="open"),
        Column("priority", type="int", default="5", minimum=1, maximum=9),
    ),
    key=("task_id",),
)

LABOR_CAPACITY = Spec(
    "labor_capacity",
    "labor capacity",
    (
        Column("location", required=True, max_length=16),
        Column("date", type="date", required=True),
        Column("shift", required=True, max_length=16),
        Column("available_hours", type="decimal", required=True, maximum=100_000),
    ),
    key=("location", "date", "shift"),
)

CARRIER_CUTOFFS = Spec(
    "carrier_cutoffs",
    "carrier cut-offs",
    (
        Column("location", required=True, max_length=16),
        Column("carrier", required=True, max_length=32, help="Carrier code, e.g. UPS (created if new)."),
        Column("carrier_name", max_length=120, help="The carrier's name (default: the code)."),
        Column("service", max_length=32, default="ground", help="Service level, e.g. ground, next-day, LTL."),
        Column(
            "service_tier",
            max_length=16,
            help="Customers of this tier (code) ship here; blank = the default.",
        ),
        Column("cutoff", type="time", required=True, help="Local HH:MM of the pickup."),
        Column(
            "pick_lead_minutes", type="int", default="60", maximum=720, help="Picking ends this long before."
        ),
        Column("weekdays", max_length=7, default="12345", help="ISO weekdays with a pickup, 1 = Monday."),
        EXT,
    ),
    key=("location", "carrier", "service", "service_tier"),
)

RETURNS = Spec(
    "returns",
    "customer returns (RMA lines)",
    (
        Column("rma", required=True, max_length=40, help="The return authorization number."),
        Column("line", type="int", required=True, minimum=1, maximum=100_000),
        Column("order", required=True, max_length=32, help="The sales order the goods were sold on."),
        Column(
            "order_line", type="int", minimum=1, maximum=100_000, help="Its line (default: the SKU's line)."
        ),
        Column("sku", required=True, max_length=40),
        Column("location", max_length=16, help="Where the goods came back (default: the order's location)."),
        Column("quantity", type="int", required=True, minimum=1),
        Column("condition", type="choice", choices=("new", "good", "damaged", "defective"), required=True),
        Column("reason", max_length=200),
        Column("received_date", type="date", help="Default: the day of the import."),
        EXT,
    ),
    key=("rma", "line"),
)

SPECS: dict[str, Spec] = {
    s.kind: s
    for s in (
        LOCATIONS,
        SUPPLIERS,
        SERVICE_TIERS,
        CUSTOMERS,
        ITEMS,
        UOM_CONVERSIONS,
        SUPPLIER_ITEMS,
        BALANCES,
        OPEN_PURCHASE_ORDERS,
        OPEN_SALES_ORDERS,
        DEMAND,
        WMS_TASKS,
        LABOR_CAPACITY,
        CARRIER_CUTOFFS,
        RETURNS,
    )
}
# Loading order when several kinds come together (references first).
LOAD_ORDER = list(SPECS)
