"""Tryton's records -> DistOps rows (the record shapes of integrations/files/FORMATS.md), and what is held back.

Pure functions, no Django: a page of Tryton records becomes tables to import (in load order) plus the records a
quality gate stopped, each with the reason in one sentence. A stopped record does not stop the page: the rest of
it is applied. The gates here are the ones only Tryton's own data can show:

- a purchasable product with no supplier (`missing_supplier`);
- a unit with no whole-number conversion to the product's unit (`no_uom_conversion`);
- a negative stock quantity (`negative_quantity`);
- a purchase or sale in a state DistOps does not know (`unknown_state`);
- a record without the code DistOps keys it by (`unmapped_code`).

Quantities are converted to the product's unit (Tryton's `default_uom`, DistOps' base unit) with Tryton's unit
factors; a line's number is its position among the document's lines by (sequence, id), the same order the
postings use to find it again.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

PURCHASE_STATES = ("draft", "quotation", "confirmed", "processing", "done", "cancelled")
SALE_STATES = ("draft", "quotation", "confirmed", "processing", "done", "cancelled")
OPEN_STATES = ("confirmed", "processing", "done", "cancelled")  # an order; quotations are not orders yet
UNIT_SYMBOLS = {"u": "EA"}  # Tryton's Unit; other units keep their symbol, upper-cased


@dataclass
class Held:
    code: str  # a DataQualityIssue code
    ref: str  # Tryton model,id (what the issue is about)
    message: str
    sku: str | None = None
    location: str | None = None
    supplier: str | None = None


@dataclass
class Translation:
    tables: list[tuple[str, list[dict]]] = field(default_factory=list)  # (import kind, rows), in load order
    held: list[Held] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)  # every record seen (issues of those that pass are resolved)
    notes: list[str] = field(default_factory=list)

    def table(self, kind: str) -> list[dict]:
        for name, rows in self.tables:
            if name == kind:
                return rows
        rows: list[dict] = []
        self.tables.append((kind, rows))
        return rows


def uom_code(unit: dict | None) -> str:
    symbol = str((unit or {}).get("symbol") or "")
    return UNIT_SYMBOLS.get(symbol, symbol.upper()[:8] or "EA")


def factor(unit: dict | None, base: dict | None) -> float | None:
    """Base units in one `unit` (Tryton factors are relative to the category's reference unit); None: no conversion."""
    if not unit or not base or unit.get("category") != base.get("category"):
        return None
    if not unit.get("factor") or not base.get("factor"):
        return None
    return float(unit["factor"]) / float(base["factor"])


def whole(value: float) -> int | None:
    rounded = round(value)
    return int(rounded) if math.isclose(value, rounded, abs_tol=1e-6) else None


def _sub(record: dict, name: str) -> dict:
    """A related record read with a dotted field name ("template.default_uom" -> record["template."]["default_uom."])."""
    node = record
    for part in name.split("."):
        node = (node or {}).get(f"{part}.") or {}
    return node


def _day(value) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return None


def _money(value) -> str:
    return str(Decimal(str(value or 0)).quantize(Decimal("0.0001")))


def _days(delta) -> int | None:
    if isinstance(delta, dt.timedelta):
        return max(math.ceil(delta.total_seconds() / 86400), 0)
    return None


def _missing_code(out: Translation, ref: str, what: str) -> None:
    out.held.append(
        Held(
            "unmapped_code",
            ref,
            f"Tryton {what} ({ref}) has no code, which DistOps keys it by: give it one in Tryton.",
        )
    )


# -- master data ---------------------------------------------------------------------------------------------------


def _coded(records: list[dict], out: Translation, model: str, what: str):
    """The records that carry their code (the key DistOps matches them on), with their base row."""
    for record in records:
        ref = f"{model},{record['id']}"
        out.refs.add(ref)
        if not record.get("code"):
            _missing_code(out, ref, f"{what} '{record.get('name')}'")
            continue
        yield (
            record,
            {
                "code": record["code"],
                "name": record.get("name") or record["code"],
                "external_id": str(record["id"]),
            },
        )


def locations(records: list[dict], out: Translation, **_) -> None:
    out.table("locations").extend(row for _record, row in _coded(records, out, "stock.location", "warehouse"))


def suppliers(records: list[dict], out: Translation, **_) -> None:
    rows = out.table("suppliers")
    for record, row in _coded(records, out, "party.party", "supplier"):
        row["active"] = "true" if record.get("active", True) else "false"
        days = _days(record.get("supplier_lead_time"))
        if days:
            row["contracted_lead_time_days"] = days
        currency = _sub(record, "supplier_currency").get("code")
        if currency:
            row["currency"] = currency
        rows.append(row)


def customers(records: list[dict], out: Translation, *, service_tier: str, **_) -> None:
    out.table("customers").extend(
        {**row, "service_tier": service_tier}
        for _record, row in _coded(records, out, "party.party", "customer")
    )


def items(records: list[dict], out: Translation, **_) -> None:
    rows = out.table("items")
    for record in records:
        ref = f"product.product,{record['id']}"
        out.refs.add(ref)
        sku = record.get("code")
        if not sku:
            _missing_code(out, ref, f"product '{record.get('name')}'")
            continue
        template = _sub(record, "template")
        if template.get("purchasable") and not record.get("product_suppliers"):
            out.held.append(
                Held(
                    "missing_supplier",
                    ref,
                    f"Tryton product {sku} ({ref}) is purchasable but has no supplier: add one under its "
                    f"Suppliers in Tryton. DistOps holds the item back until then.",
                    sku=sku,
                )
            )
            continue
        rows.append(
            {
                "sku": sku,
                "description": (record.get("name") or sku)[:200],
                "base_uom": uom_code(_sub(record, "default_uom")),
                "unit_cost": _money(record.get("cost_price")),
                "unit_price": _money(template.get("list_price")),
                "active": "true" if record.get("active", True) else "false",
                "external_id": str(record["id"]),
            }
        )


def _party_row(out: Translation, kind: str, party: dict, **extra) -> None:
    """A supplier or customer a document names, so it exists before the document is applied."""
    if party.get("code"):
        rows = out.table(kind)
        if not any(r["code"] == party["code"] for r in rows):
            rows.append(
                {
                    "code": party["code"],
                    "name": party.get("name") or party["code"],
                    "external_id": str(party["id"]),
                    **extra,
                }
            )


def supplier_items(records: list[dict], out: Translation, **_) -> None:
    for record in records:
        ref = f"purchase.product_supplier,{record['id']}"
        out.refs.add(ref)
        party = _sub(record, "party")
        if not party.get("code"):
            _missing_code(out, ref, "supplier of a product supplier")
            continue
        _party_row(out, "suppliers", party)
        if record.get("product"):
            product = _sub(record, "product")
            variants = [(product.get("code"), product.get("product_suppliers") or [])]
        else:
            order = _sub(record, "template").get("product_suppliers") or []
            variants = [(v.get("code"), order) for v in record.get("variants", [])]
        for sku, order in variants:
            if sku:
                _supplier_item(
                    record,
                    out,
                    ref,
                    party["code"],
                    sku,
                    primary=bool(order) and order[0] == record["id"],
                    single=len(variants) == 1,
                )


def _supplier_item(
    record: dict, out: Translation, ref: str, supplier: str, sku: str, *, primary: bool, single: bool
) -> None:
    base, buy = (
        _sub(record, "template.default_uom"),
        _sub(record, "template.purchase_uom") or _sub(record, "template.default_uom"),
    )
    pack = factor(buy, base)
    pack_size = whole(pack) if pack is not None else None
    if pack_size is None or pack_size < 1:
        size = "no conversion" if pack is None else f"{pack:g} {uom_code(base)}"
        out.held.append(
            Held(
                "no_uom_conversion",
                ref,
                f"Tryton buys {sku} from {supplier} in '{buy.get('symbol')}', which is {size} "
                f"per unit: DistOps needs a whole number of {uom_code(base)} per purchase unit. The supplier item "
                f"is held back until the unit is fixed in Tryton.",
                sku=sku,
                supplier=supplier,
            )
        )
        return
    prices = record.get("prices") or []
    unit_price = Decimal(str(prices[0]["unit_price"])) if prices else Decimal(0)
    moq = whole(float(prices[0]["quantity"]) * pack_size) if prices else 0
    row = {
        "supplier": supplier,
        "sku": sku,
        "supplier_part_number": (record.get("code") or sku)[:48],
        "purchase_uom": uom_code(buy),
        "pack_size": pack_size,
        "moq": moq or 0,
        "unit_cost": _money(unit_price / pack_size),
        "primary": "true" if primary else "false",
        "external_id": str(record["id"]) if single else f"{record['id']}:{sku}"[:64],
    }
    days = _days(record.get("lead_time"))
    if days is not None:
        row["lead_time_days"] = days
    out.table("supplier_items").append(row)


# -- stock and order points ----------------------------------------------------------------------------------------


def balances(records: list[dict], out: Translation, **_) -> None:
    rows = out.table("balances")
    for record in records:
        product, warehouse = record.get("product") or {}, record.get("warehouse") or {}
        ref = f"stock:product.product,{product.get('id')}@stock.location,{warehouse.get('id')}"
        out.refs.add(ref)
        sku, location = product.get("code"), warehouse.get("code")
        if not sku or not location:
            continue  # the product or warehouse is held back (no code) where it is pulled
        quantity = float(record.get("quantity") or 0)
        unit = uom_code(_sub(product, "default_uom"))
        if quantity < 0:
            out.held.append(
                Held(
                    "negative_quantity",
                    ref,
                    f"Tryton shows {quantity:g} {unit} of {sku} at {location}: stock cannot be negative. The "
                    f"balance is held back until it is corrected in Tryton (an inventory).",
                    sku=sku,
                    location=location,
                )
            )
            continue
        units = whole(quantity)
        if units is None:
            out.held.append(
                Held(
                    "no_uom_conversion",
                    ref,
                    f"Tryton shows {quantity:g} {unit} of {sku} at {location}, not a whole number of {unit}.",
                    sku=sku,
                    location=location,
                )
            )
            continue
        rows.append({"sku": sku, "location": location, "on_hand": units})


def order_points(records: list[dict], out: Translation, **_) -> None:
    rows = out.table("order_points")
    for record in records:
        ref = f"stock.order_point,{record['id']}"
        out.refs.add(ref)
        sku, location = _sub(record, "product").get("code"), _sub(record, "location").get("code")
        if not sku or not location:
            continue
        low, high = float(record.get("min_quantity") or 0), float(record.get("target_quantity") or 0)
        if low < 0 or high < 0:
            out.held.append(
                Held(
                    "negative_quantity",
                    ref,
                    f"Tryton's order point of {sku} at {location} has a negative quantity (min {low:g}, target "
                    f"{high:g}): it is held back.",
                    sku=sku,
                    location=location,
                )
            )
            continue
        rows.append(
            {
                "sku": sku,
                "location": location,
                "static_min": math.ceil(low - 1e-9),
                "static_max": max(math.ceil(high - 1e-9), math.ceil(low - 1e-9)),
                "external_id": str(record["id"]),
            }
        )
