"""The distribution network, mirrored from the ERP (the system of record).

Every ERP-sourced row carries `source` + `external_id`, unique together, so re-running a sync is a no-op.
Quantities are whole units of the item's base unit of measure. Money is Decimal in the company currency.
Demand history is stored sparsely: a row per SKU-location and week with non-zero demand or a promotion;
weeks between ItemLocation.history_start and the last loaded week without a row had zero demand.
"""

from .base import NON_NEGATIVE, POSITIVE, ErpSourced, non_negative
from .master import Customer, Item, ItemLocation, Location, ServiceTier, Supplier, SupplierItem, UomConversion
from .orders import (
    DemandHistory,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
    TransferOrder,
)
from .planning import (
    JobStatus,
    PlanChunk,
    PlanRun,
    Recommendation,
    ScenarioRun,
    SimulationReport,
    SkuPlan,
    WorkerHeartbeat,
)

__all__ = [
    "NON_NEGATIVE",
    "POSITIVE",
    "ErpSourced",
    "non_negative",
    "Location",
    "Supplier",
    "Item",
    "UomConversion",
    "SupplierItem",
    "ItemLocation",
    "ServiceTier",
    "Customer",
    "SalesOrder",
    "SalesOrderLine",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "Shipment",
    "ShipmentLine",
    "TransferOrder",
    "Receipt",
    "DemandHistory",
    "ScenarioRun",
    "WorkerHeartbeat",
    "PlanRun",
    "SkuPlan",
    "Recommendation",
    "PlanChunk",
    "JobStatus",
    "SimulationReport",
]
