"""Resolve references and apply one validated table of a kind, with upserts (never a save() per row).

Each kind has `prepare(frame, ctx, problems)` (codes to ids, units to base units, cross-row checks; problems name
row and column) and `apply(frame, ctx) -> summary`. Both run inside the inbox message's transaction, so a problem
found anywhere leaves nothing applied.

Natural keys: rows are matched on the business key (SKU, location code, PO number + line ...); a new row gets
`source` and `external_id` from the sender (the `external_id` column, else the key). When a row carries an
external id already known for this source under another key, the key is renamed (an ERP renaming a SKU).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.db import models

from replenish import models as m

from .. import quality
from ..inbound import IssueSpec
from ..normalize import Resolver
from ..signals import items_renamed
from .validate import Problems, whole_units

BATCH = 2_000  # rows per INSERT ... ON CONFLICT statement: ~1 MB of SQL text, well under any parameter limit


@dataclass
class ImportContext:
    source: str
    resolver: Resolver
    present: set[str]
    options: dict = field(default_factory=dict)
    issues: list[IssueSpec] = field(default_factory=list)
    item_location_ids: set[int] = field(default_factory=set)
    wms_location_days: set[tuple[int, str]] = field(default_factory=set)  # WMS tasks / labor: (location, day)
    notes: list[str] = field(default_factory=list)
    label: str = "import"  # file name or page id, for rows this creates

    @property
    def create_missing(self) -> bool:
        return bool(self.options.get("create_missing"))


# -- helpers -------------------------------------------------------------------------------------------------------


def _rows(frame: pd.DataFrame) -> Iterable[dict]:
    columns = list(frame.columns)
    for values in frame.itertuples(index=False, name=None):
        yield {c: (None if _missing(v) else v) for c, v in zip(columns, values)}


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def _unknown(problems: Problems, frame: pd.DataFrame, ids: pd.Series, column: str, what: str) -> None:
    mask = ids.isna() & frame[column].notna() & frame[column].astype(str).ne("")
    for row in frame.index[mask.to_numpy()]:
        problems.add(row, column, f"unknown {what} '{frame.loc[row, column]}'", None)


def _update_fields(ctx: ImportContext, mapping: dict[str, str]) -> list[str]:
    """Model fields to overwrite on existing rows: only those whose column the sender actually gave."""
    return [model_field for column, model_field in mapping.items() if column in ctx.present]


def _upsert(
    model: type[models.Model], objects: list[models.Model], *, unique: list[str], update: list[str]
) -> None:
    if not objects:
        return
    update = [f for f in update if f not in unique]
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        update = [*update, "updated_at"]
    if not update:
        model.objects.bulk_create(objects, batch_size=BATCH, ignore_conflicts=True)
        return
    model.objects.bulk_create(
        objects, batch_size=BATCH, update_conflicts=True, unique_fields=unique, update_fields=update
    )


def _existing(model: type[models.Model], field_name: str, values: Iterable) -> set:
    values = list({v for v in values if v is not None})
    found: set = set()
    for start in range(0, len(values), 5_000):
        found.update(
            model.objects.filter(**{f"{field_name}__in": values[start : start + 5_000]}).values_list(
                field_name, flat=True
            )
        )
    return found


def _rename(
    model: type[models.Model], key_field: str, frame: pd.DataFrame, key_column: str, ctx: ImportContext
) -> int:
    """Rows whose external id is known for this source under another key: rename the key first (a renamed SKU is
    announced by items_renamed, inside this transaction, for the copies of the code other apps keep)."""
    if "external_id" not in ctx.present:
        return 0
    given = frame.loc[frame["external_id"].notna(), ["external_id", key_column]]
    if given.empty:
        return 0
    known = dict(
        model.objects.filter(source=ctx.source, external_id__in=list(given["external_id"])).values_list(
            "external_id", key_field
        )
    )
    renamed: list[str] = []
    for ext, key in given.itertuples(index=False, name=None):
        if ext in known and known[ext] != key:
            model.objects.filter(source=ctx.source, external_id=ext).update(**{key_field: key})
            renamed.append(key)
    if renamed and model is m.Item:
        items_renamed.send(sender=m.Item, skus=renamed)
    return len(renamed)


def _ext(row: dict, default: str) -> str:
    return str(row.get("external_id") or default)[:64]


def _counts(total: int, existing: int, renamed: int = 0) -> dict:
    """`existing` is counted after renames, so it includes the renamed rows."""
    counts = {"rows": total, "created": total - existing, "updated": existing}
    if renamed:
        counts["renamed"] = renamed
    return counts


def _parse_time(text: str | None) -> time | None:
    if not text:
        return None
    parts = [int(p) for p in text.split(":")]
    return time(*parts)


def resolve_items(frame: pd.DataFrame, ctx: ImportContext, problems: Problems, column: str = "sku") -> None:
    frame["item_id"] = ctx.resolver.item_ids(frame[column].astype(str))
    _unknown(problems, frame, frame["item_id"], column, "SKU")


def resolve_locations(
    frame: pd.DataFrame, ctx: ImportContext, problems: Problems, column: str = "location"
) -> None:
    frame["location_id"] = ctx.resolver.location_ids(frame[column].astype(str))
    _unknown(problems, frame, frame["location_id"], column, "location")


def base_quantities(frame: pd.DataFrame, ctx: ImportContext, problems: Problems, columns: list[str]) -> None:
    """Convert quantity columns to base units with the row's `uom` (unknown unit or a fraction: a problem)."""
    if "uom" not in ctx.present or frame["uom"].isna().all():
        return
    known = frame["item_id"].notna()
    factors = ctx.resolver.uom_factors(frame["item_id"], frame["uom"])
    unknown = known & factors.isna()
    for row in frame.index[unknown.to_numpy()]:
        problems.add(
            row,
            "uom",
            f"unknown unit of measure '{frame.loc[row, 'uom']}' for SKU "
            f"'{frame.loc[row, 'sku']}' (no conversion to its base unit)",
        )
    for column in columns:
        present = frame[column].notna() & known & ~unknown
        base, not_whole = whole_units(frame[column], factors)
        for row in frame.index[(present & not_whole).to_numpy()]:
            problems.add(
                row,
                column,
                f"{frame.loc[row, column]} {frame.loc[row, 'uom']} is not a whole number of base units",
            )
        frame[column] = base.where(present, frame[column])


# -- master data ---------------------------------------------------------------------------------------------------


def prepare_locations(frame, ctx, problems):
    pass


def apply_locations(frame, ctx):
    renamed = _rename(m.Location, "code", frame, "code", ctx)
    existing = _existing(m.Location, "code", frame["code"])
    zone = settings.TIME_ZONE
    objects = [
        m.Location(
            code=r["code"],
            name=r["name"],
            kind=r["kind"],
            region=r["region"] or "",
            time_zone=r["time_zone"] or zone,
            shipping_cutoff=_parse_time(r["shipping_cutoff"]),
            source=ctx.source,
            external_id=_ext(r, r["code"]),
        )
        for r in _rows(frame)
    ]
    _upsert(
        m.Location,
        objects,
        unique=["code"],
        update=_update_fields(
            ctx,
            {
                "name": "name",
                "kind": "kind",
                "region": "region",
                "time_zone": "time_zone",
                "shipping_cutoff": "shipping_cutoff",
            },
        ),
    )
    ctx.resolver.forget("location")
    return _counts(len(objects), len(existing), renamed)


def prepare_suppliers(frame, ctx, problems):
    frame["currency"] = frame["currency"].str.upper()


def apply_suppliers(frame, ctx):
    renamed = _rename(m.Supplier, "code", frame, "code", ctx)
    existing = _existing(m.Supplier, "code", frame["code"])
    objects = [
        m.Supplier(
            code=r["code"],
            name=r["name"],
            currency=r["currency"] or "USD",
            contracted_lead_time_days=int(r["contracted_lead_time_days"]),
            edi_qualifier=r["edi_qualifier"] or "",
            edi_interchange_id=r["edi_interchange_id"] or "",
            edi_group_id=r["edi_group_id"] or "",
            active=bool(r["active"]),
            source=ctx.source,
            external_id=_ext(r, r["code"]),
        )
        for r in _rows(frame)
    ]
    _upsert(
        m.Supplier,
        objects,
        unique=["code"],
        update=_update_fields(
            ctx,
            {
                "name": "name",
                "currency": "currency",
                "contracted_lead_time_days": "contracted_lead_time_days",
                "edi_qualifier": "edi_qualifier",
                "edi_interchange_id": "edi_interchange_id",
                "edi_group_id": "edi_group_id",
                "active": "active",
            },
        ),
    )
    ctx.resolver.forget("supplier")
    ids = m.Supplier.objects.filter(code__in=list(frame["code"])).values_list("pk", flat=True)
    ctx.issues += quality.gate_suppliers(ids)
    return _counts(len(objects), len(existing), renamed)


def prepare_service_tiers(frame, ctx, problems):
    pass


def apply_service_tiers(frame, ctx):
    existing = _existing(m.ServiceTier, "code", frame["code"])
    objects = [
        m.ServiceTier(
            code=r["code"],
            name=r["name"],
            rank=int(r["rank"]),
            fill_promise=r["fill_promise"],
            penalty_per_late_line=r["penalty_per_late_line"] or Decimal(0),
            penalty_rate=r["penalty_rate"] or Decimal(0),
        )
        for r in _rows(frame)
    ]
    _upsert(
        m.ServiceTier,
        objects,
        unique=["code"],
        update=_update_fields(
            ctx,
            {
                "name": "name",
                "rank": "rank",
                "fill_promise": "fill_promise",
                "penalty_per_late_line": "penalty_per_late_line",
                "penalty_rate": "penalty_rate",
            },
        ),
    )
    return _counts(len(objects), len(existing))


def prepare_customers(frame, ctx, problems):
    frame["service_tier_id"] = ctx.resolver.service_tier_ids(frame["service_tier"].astype(str))
    _unknown(problems, frame, frame["service_tier_id"], "service_tier", "service tier")


def apply_customers(frame, ctx):
    renamed = _rename(m.Customer, "code", frame, "code", ctx)
    existing = _existing(m.Customer, "code", frame["code"])
    objects = [
        m.Customer(
            code=r["code"],
            name=r["name"],
            service_tier_id=int(r["service_tier_id"]),
            region=r["region"] or "",
            source=ctx.source,
            external_id=_ext(r, r["code"]),
        )
        for r in _rows(frame)
    ]
    _upsert(
        m.Customer,
        objects,
        unique=["code"],
        update=_update_fields(ctx, {"name": "name", "service_tier": "service_tier", "region": "region"}),
    )
    return _counts(len(objects), len(existing), renamed)


def prepare_items(frame, ctx, problems):
    frame["base_uom"] = frame["base_uom"].str.upper()


def apply_items(frame, ctx):
    renamed = _rename(m.Item, "sku", frame, "sku", ctx)
    existing = _existing(m.Item, "sku", frame["sku"])
    objects = [
        m.Item(
            sku=r["sku"],
            description=r["description"],
            family=r["family"] or "",
            category=r["category"] or "",
            base_uom=r["base_uom"] or "EA",
            unit_cost=r["unit_cost"],
            unit_price=r["unit_price"],
            active=bool(r["active"]),
            source=ctx.source,
            external_id=_ext(r, r["sku"]),
        )
        for r in _rows(frame)
    ]
    _upsert(
        m.Item,
        objects,
        unique=["sku"],
        update=_update_fields(
            ctx,
            {
                "description": "description",
                "family": "family",
                "category": "category",
                "base_uom": "base_uom",
                "unit_cost": "unit_cost",
                "unit_price": "unit_price",
                "active": "active",
            },
        ),
    )
    ctx.resolver.forget("item")
    ids = (
        list(m.Item.objects.filter(sku__in=list(frame["sku"])).values_list("pk", flat=True))
        if len(frame) < 50_000
        else list(ctx.resolver.item_ids(frame["sku"]).dropna().astype(int))
    )
    ctx.issues += quality.gate_item_costs(ids)
    return _counts(len(objects), len(existing), renamed)


def prepare_uom_conversions(frame, ctx, problems):
    frame["uom"] = frame["uom"].str.upper()
    resolve_items(frame, ctx, problems)


def apply_uom_conversions(frame, ctx):
    objects = [
        m.UomConversion(item_id=int(r["item_id"]), uom=r["uom"], factor=r["factor"]) for r in _rows(frame)
    ]
    before = m.UomConversion.objects.filter(item_id__in=list(frame["item_id"].astype(int))).count()
    _upsert(m.UomConversion, objects, unique=["item", "uom"], update=["factor"])
    after = m.UomConversion.objects.filter(item_id__in=list(frame["item_id"].astype(int))).count()
    ctx.issues += quality.gate_uom_conversions(set(frame["item_id"].astype(int)))
    return {"rows": len(objects), "created": after - before, "updated": len(objects) - (after - before)}


def prepare_supplier_items(frame, ctx, problems):
    frame["purchase_uom"] = frame["purchase_uom"].str.upper()
    resolve_items(frame, ctx, problems)
    frame["supplier_id"] = ctx.resolver.supplier_ids(frame["supplier"].astype(str))
    _unknown(problems, frame, frame["supplier_id"], "supplier", "supplier")
    primary = frame[frame["primary"].astype(bool) & frame["item_id"].notna()]
    dup = primary["item_id"].duplicated(keep="first")
    first = {}
    for row, item_id in primary["item_id"].items():
        first.setdefault(item_id, row)
    for row in primary.index[dup.to_numpy()]:
        problems.add(
            row,
            "primary",
            f"SKU '{frame.loc[row, 'sku']}' has two primary suppliers: rows "
            f"{first[primary.loc[row, 'item_id']]} and {row}",
        )
    parts = frame[["supplier", "supplier_part_number"]].astype(str)
    seen: dict[tuple, int] = {}
    for row, key in zip(parts.index, parts.itertuples(index=False, name=None)):
        if key in seen:
            problems.add(
                row,
                "supplier_part_number",
                f"supplier {key[0]} part number '{key[1]}' is used twice: rows {seen[key]} and {row}",
            )
        seen.setdefault(key, row)


def apply_supplier_items(frame, ctx):
    pairs = [(int(s), int(i)) for s, i in zip(frame["supplier_id"], frame["item_id"])]
    primary_items = [int(i) for i, p in zip(frame["item_id"], frame["primary"]) if p]
    if "primary" in ctx.present and primary_items:
        m.SupplierItem.objects.filter(item_id__in=primary_items, is_primary=True).update(is_primary=False)
    before = m.SupplierItem.objects.filter(item_id__in=[i for _s, i in pairs]).count()
    objects = [
        m.SupplierItem(
            supplier_id=int(r["supplier_id"]),
            item_id=int(r["item_id"]),
            supplier_part_number=r["supplier_part_number"],
            purchase_uom=r["purchase_uom"] or "EA",
            pack_size=int(r["pack_size"]),
            moq=int(r["moq"]),
            unit_cost=r["unit_cost"],
            contracted_lead_time_days=None if r["lead_time_days"] is None else int(r["lead_time_days"]),
            is_primary=bool(r["primary"]),
            source=ctx.source,
            external_id=_ext(r, f"{r['supplier']}:{r['sku']}"),
        )
        for r in _rows(frame)
    ]
    _upsert(
        m.SupplierItem,
        objects,
        unique=["supplier", "item"],
        update=_update_fields(
            ctx,
            {
                "supplier_part_number": "supplier_part_number",
                "purchase_uom": "purchase_uom",
                "pack_size": "pack_size",
                "moq": "moq",
                "unit_cost": "unit_cost",
                "lead_time_days": "contracted_lead_time_days",
                "primary": "is_primary",
            },
        ),
    )
    after = m.SupplierItem.objects.filter(item_id__in=[i for _s, i in pairs]).count()
    ctx.issues += quality.gate_supplier_items(pairs)
    return {"rows": len(objects), "created": after - before, "updated": len(objects) - (after - before)}
