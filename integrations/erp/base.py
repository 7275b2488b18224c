"""The ERP adapter interface (see CONTRACT.md): incremental pulls by updated-since cursor, idempotent postings.

An adapter does one call and says what happened; retries, backoff and the circuit breaker are the callers' job
(`integrations.erp.sync` for pulls, `integrations.outbox` for postings), so they are shared by every adapter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

# In dependency order: a pull of everything loads what later entities refer to first.
ENTITIES = (
    "locations",
    "suppliers",
    "service_tiers",
    "customers",
    "items",
    "supplier_items",
    "balances",
    "purchase_orders",
    "sales_orders",
)
# ERP entity -> the import kind whose record shape it uses (integrations/files/FORMATS.md)
ENTITY_KINDS = {
    "locations": "locations",
    "suppliers": "suppliers",
    "service_tiers": "service_tiers",
    "customers": "customers",
    "items": "items",
    "supplier_items": "supplier_items",
    "balances": "balances",
    "purchase_orders": "open_purchase_orders",
    "sales_orders": "open_sales_orders",
}
ACTIONS = (
    "create_po",
    "change_po",
    "expedite_request",
    "transfer_order",
    "cancel_po",
    "reallocate",
    "chase_supplier",  # a message to the supplier about late PO lines (and their ASN)
    "repromise_order",  # new promise dates on customer order lines
    "change_order_line",  # an order line changed to a substitute SKU
    "split_order_line",  # ship what is available, the rest a backorder line at a new date
    "expedite_freight",  # premium freight booked for an inbound shipment (ASN), with its cost
)


class ErpError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class ErpUnavailable(ErpError):
    """Worth retrying: connection refused, timeout, 5xx, 429."""


class ErpRejected(ErpError):
    """Permanent: the ERP refused the request (4xx other than 408/429); retrying cannot help."""


class CircuitOpen(ErpUnavailable):
    """The breaker is open: no call was made."""


@dataclass(frozen=True)
class Page:
    records: list[dict]
    next_cursor: str | None
    has_more: bool
    raw: str = ""  # the response body as received (stored in the inbox)


@dataclass(frozen=True)
class PostResult:
    transaction_id: str
    duplicate: bool = False  # the ERP had seen this idempotency key and answered with the first result
    document_number: str = ""  # e.g. the PO number the ERP gave a created PO
    status: int = 200
    body: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)  # the ERP's document, e.g. {"model", "id", "state", "number"}


class ErpAdapter(ABC):
    name = "erp"
    entities: tuple[str, ...] = ENTITIES  # what `pull` serves, in the order a full pull asks for them

    def inbox_kind(self, entity: str) -> str:
        """The inbox message kind of a page of `entity` (its handler parses it: contract records by default)."""
        return f"erp.{entity}"

    @abstractmethod
    def pull(self, entity: str, *, cursor: str | None, limit: int) -> Page:
        """One page of `entity` records changed after `cursor` (None: from the beginning)."""

    @abstractmethod
    def post(self, kind: str, body: dict, *, idempotency_key: str) -> PostResult:
        """Post one approved action; the same key twice must be one change in the ERP."""

    def describe(self) -> str:
        return self.name
