"""Export the network as files in the import formats (FORMATS.md): `python manage.py export_scenario DIR`.

The files load back with `import_file` in the order of `LOAD_ORDER` (written to DIR/LOAD_ORDER.txt), so a
scenario can be moved between databases or edited in a spreadsheet and loaded again.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from replenish import models as m

from ..models import LaborCapacity, WmsTask
from .specs import SPECS

OPEN_PO_STATUSES = ("open", "accepted", "changed", "partial")
OPEN_SO_STATUSES = ("open", "backordered")
CHUNK = 20_000


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:5] if len(text) == 8 and text[2] == ":" and text.endswith(":00") else text
    return str(value)


def _rows(kind: str) -> Iterator[Iterable]:
    if kind == "locations":
        yield from m.Location.objects.order_by("code").values_list(
            "code", "name", "kind", "region", "time_zone", "shipping_cutoff", "external_id"
        )
    elif kind == "suppliers":
        yield from m.Supplier.objects.order_by("code").values_list(
            "code",
            "name",
            "currency",
            "contracted_lead_time_days",
            "edi_qualifier",
            "edi_interchange_id",
            "edi_group_id",
            "active",
            "external_id",
        )
    elif kind == "service_tiers":
        yield from m.ServiceTier.objects.order_by("rank", "code").values_list(
            "code", "name", "rank", "fill_promise", "penalty_per_late_line", "penalty_rate"
        )
    elif kind == "customers":
        yield from m.Customer.objects.order_by("code").values_list(
            "code", "name", "service_tier__code", "region", "external_id"
        )
    elif kind == "items":
        yield from (
            m.Item.objects.order_by("sku")
            .values_list(
                "sku",
                "description",
                "family",
                "category",
                "base_uom",
                "unit_cost",
                "unit_price",
                "active",
                "external_id",
            )
            .iterator(chunk_size=CHUNK)
        )
    elif kind == "uom_conversions":
        yield from (
            m.UomConversion.objects.order_by("item__sku", "uom")
            .values_list("item__sku", "uom", "factor")
            .iterator(chunk_size=CHUNK)
        )
    elif kind == "supplier_items":
        yield from (
            m.SupplierItem.objects.order_by("supplier__code", "item__sku")
            .values_list(
                "supplier__code",
                "item__sku",
                "supplier_part_number",
                "purchase_uom",
                "pack_size",
                "moq",
                "unit_cost",
                "contracted_lead_time_days",
                "is_primary",
                "external_id",
            )
            .iterator(chunk_size=CHUNK)
        )
    elif kind == "balances":
        for sku, loc, on_hand, allocated, backordered in (
            m.ItemLocation.objects.order_by("item__sku", "location__code")
            .values_list("item__sku", "location__code", "on_hand", "allocated", "backordered")
            .iterator(chunk_size=CHUNK)
        ):
            yield (sku, loc, on_hand, allocated, backordered, "")
    elif kind == "open_purchase_orders":
        yield from (
            m.PurchaseOrderLine.objects.filter(status__in=OPEN_PO_STATUSES)
            .order_by("order__number", "line_number")
            .values_list(
                "order__number",
                "line_number",
                "order__supplier__code",
                "order__location__code",
                "item__sku",
                "quantity_ordered",
                "item__base_uom",
                "unit_cost",
                "order__order_date",
                "promised_date",
                "quantity_received",
                "status",
                "external_id",
            )
            .iterator(chunk_size=CHUNK)
        )
    elif kind == "open_sales_orders":
        yield from (
            m.SalesOrderLine.objects.filter(status__in=OPEN_SO_STATUSES)
            .order_by("order__number", "line_number")
            .values_list(
                "order__number",
                "line_number",
                "order__customer__code",
                "order__location__code",
                "item__sku",
                "quantity_ordered",
                "item__base_uom",
                "unit_price",
                "order__order_date",
                "requested_ship_date",
                "promised_ship_date",
                "quantity_shipped",
                "status",
                "external_id",
            )
            .iterator(chunk_size=CHUNK)
        )
    elif kind == "demand":
        yield from (
            m.DemandHistory.objects.order_by(
                "item_location__item__sku", "item_location__location__code", "period_start"
            )
            .values_list(
                "item_location__item__sku",
                "item_location__location__code",
                "period_start",
                "quantity",
                "promotion",
            )
            .iterator(chunk_size=CHUNK)
        )
    elif kind == "wms_tasks":
        yield from WmsTask.objects.order_by("due_at", "external_id").values_list(
            "external_id",
            "kind",
            "location__code",
            "item__sku",
            "quantity",
            "due_at",
            "wave",
            "status",
            "priority",
        )
    elif kind == "labor_capacity":
        yield from LaborCapacity.objects.order_by("location__code", "date", "shift").values_list(
            "location__code", "date", "shift", "available_hours"
        )


def export_scenario(directory: Path) -> dict[str, int]:
    """Write one CSV per kind into `directory`; returns the number of rows of each."""
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for kind, spec in SPECS.items():
        header = [c.name for c in spec.columns]
        path = directory / f"{kind}.csv"
        n = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in _rows(kind):
                writer.writerow([_text(v) for v in row])
                n += 1
        counts[kind] = n
    (directory / "LOAD_ORDER.txt").write_text(
        "# load with: python manage.py import_file KIND DIR/KIND.csv, in this order\n"
        + "\n".join(f"{kind} {kind}.csv" for kind in SPECS)
        + "\n",
        encoding="utf-8",
    )
    return counts
