"""Applying accepted X12 documents: 856 -> shipments, 855 -> PO line acknowledgements, 846 -> supplier
availability, 997 -> status of the 850s we sent. Each applier raises Rejected (nothing applied) with every
problem it found, named by HL, segment and element; each reads validate, resolve, write. The 855 lives in
`edi_apply_855`; `edi_ingest.APPLIERS` maps a set to its applier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from replenish import models as m
from replenish.selectors import item_location_ids_for
from replenish.uom import UomTable

from . import conf
from .edi.documents import Asn, FunctionalAcknowledgement, InventoryAdvice
from .edi.x12 import Interchange
from .inbound import IssueSpec, Rejected
from .models import CodeMapping, EdiDocument, InboxMessage, SupplierAvailability
from .quality import unmapped_code_issue

EDI_SOURCE = "edi"
ABSURD_FACTOR = 10  # shipped or acknowledged more than 10x what was ordered cannot be right
PLAUSIBLE_DAYS = 730  # dates more than two years from the document date are refused


@dataclass
class EdiContext:
    message: InboxMessage
    partner: str
    interchange: Interchange
    supplier: m.Supplier | None
    issues: list[IssueSpec] = field(default_factory=list)
    item_location_ids: set[int] = field(default_factory=set)


# -- part numbers and units ------------------------------------------------------------------------------------


class PartResolver:
    """Supplier part numbers (SupplierItem), our SKUs and the partner's code mappings -> item ids."""

    def __init__(self, ctx: EdiContext, supplier_ids: set[int], values: set[str]):
        self.by_supplier_part: dict[tuple[int, str], int] = {}
        for supplier_id, part, item_id in m.SupplierItem.objects.filter(
            supplier_id__in=supplier_ids, supplier_part_number__in=values
        ).values_list("supplier_id", "supplier_part_number", "item_id"):
            self.by_supplier_part[(supplier_id, part)] = item_id
        mapped = dict(
            CodeMapping.objects.filter(
                source__in=[f"edi:{ctx.partner}", EDI_SOURCE],
                kind=CodeMapping.Kind.ITEM,
                external_code__in=values,
            ).values_list("external_code", "internal_code")
        )
        skus = set(values) | set(mapped.values())
        self.by_sku = dict(m.Item.objects.filter(sku__in=skus).values_list("sku", "pk"))
        self.mapped = mapped

    def items(self, supplier_id: int | None, part_numbers: dict[str, str]) -> list[int]:
        found: list[int] = []
        for value in part_numbers.values():
            for candidate in (
                self.by_supplier_part.get((supplier_id, value)) if supplier_id else None,
                self.by_sku.get(self.mapped.get(value, value)),
            ):
                if candidate is not None and candidate not in found:
                    found.append(candidate)
        return found


def parts_text(part_numbers: dict[str, str]) -> str:
    return ", ".join(f"{q} {v}" for q, v in part_numbers.items()) or "(none)"


def plausible(day: date | None, reference: date) -> bool:
    return day is None or abs((day - reference).days) <= PLAUSIBLE_DAYS


# -- 856 ship notice -------------------------------------------------------------------------------------------


@dataclass
class _ShipPlan:
    """What an 856 resolves to before anything is written: its purchase orders, and units per PO line."""

    asn: Asn
    pos: dict[str, m.PurchaseOrder]
    errors: list[dict] = field(default_factory=list)
    quantities: dict[int, Decimal] = field(default_factory=dict)
    po_lines: dict[int, m.PurchaseOrderLine] = field(default_factory=dict)

    def error(self, message: str, **where) -> None:
        self.errors.append({"message": message, **where})

    @property
    def suppliers(self) -> set[int]:
        return {po.supplier_id for po in self.pos.values()}


def _validate_856(plan: _ShipPlan, ctx: EdiContext) -> None:
    """The header: purchase orders known, one supplier (the sender) and one destination, plausible dates."""
    asn, pos, error = plan.asn, plan.pos, plan.error
    for order in asn.orders:
        if order.po_number not in pos:
            error(
                f"HL {order.hl_id} PRF01: no purchase order '{order.po_number}'",
                segment="PRF",
                hl=order.hl_id,
            )
    suppliers = plan.suppliers
    if len(suppliers) > 1:
        error(
            f"the ship notice covers purchase orders of {len(suppliers)} suppliers; one shipment has one supplier"
        )
    if ctx.supplier is not None and suppliers and suppliers != {ctx.supplier.pk}:
        other = next(iter(pos.values())).supplier.code
        error(f"the sender is supplier {ctx.supplier.code} but the purchase orders belong to {other}")
    if len({po.location_id for po in pos.values()}) > 1:
        error("the ship notice covers purchase orders of several locations; one shipment has one destination")
    if asn.expected_arrival is None:
        error("the ship notice has no expected arrival date (DTM*017, DTM*067 or DTM*371)", segment="DTM")
    ship_date = asn.ship_date or asn.document_date
    if asn.expected_arrival and asn.expected_arrival < ship_date:
        error(f"expected arrival {asn.expected_arrival} is before the ship date {ship_date}", segment="DTM")
    for label, day in (("ship date", asn.ship_date), ("expected arrival", asn.expected_arrival)):
        if not plausible(day, asn.document_date):
            error(
                f"{label} {day} is more than two years from the document date {asn.document_date}",
                segment="DTM",
            )


class _ShipLines:
    """The purchase order lines an 856 may ship against, by PO and item, with units and part numbers."""

    def __init__(self, plan: _ShipPlan, ctx: EdiContext):
        suppliers = plan.suppliers
        self.supplier_id = next(iter(suppliers)) if len(suppliers) == 1 else None
        values = {v for o in plan.asn.orders for line in o.lines for v in line.part_numbers.values()}
        self.parts = PartResolver(ctx, suppliers, values)
        self.by_po_item: dict[tuple[int, int], list[m.PurchaseOrderLine]] = {}
        lines = m.PurchaseOrderLine.objects.filter(order__in=plan.pos.values()).order_by("line_number")
        for pl in lines:
            self.by_po_item.setdefault((pl.order_id, pl.item_id), []).append(pl)
        self.units = UomTable.load({item_id for _po, item_id in self.by_po_item})

    def match(self, po: m.PurchaseOrder, asn_line) -> tuple[list[int], list[m.PurchaseOrderLine]]:
        candidates = self.parts.items(self.supplier_id, asn_line.part_numbers)
        matching = [pl for item_id in candidates for pl in self.by_po_item.get((po.pk, item_id), ())]
        if asn_line.line_ref:
            exact = [pl for pl in matching if str(pl.line_number) == asn_line.line_ref]
            matching = exact or matching
        return candidates, matching


def _resolve_856_line(
    plan: _ShipPlan, ctx: EdiContext, lines: _ShipLines, po: m.PurchaseOrder, asn_line
) -> None:
    """One LIN: the PO line it ships against and its units in the base unit, or the error naming its HL."""
    where = {"segment": "LIN", "hl": asn_line.hl_id}
    parts = parts_text(asn_line.part_numbers)
    candidates, matching = lines.match(po, asn_line)
    if not matching:
        known = "an unknown part" if not candidates else "an item that is not on this order"
        plan.error(f"HL {asn_line.hl_id}: part numbers {parts} name {known} (PO {po.number})", **where)
        if not candidates:
            ctx.issues += [
                unmapped_code_issue(
                    source=ctx.partner,
                    kind="part number",
                    code=value,
                    supplier_id=po.supplier_id,
                    context=f"856 {plan.asn.shipment_id}",
                )
                for value in asn_line.part_numbers.values()
            ]
        return
    po_line = matching[0]
    quantity = lines.units.to_base(asn_line.quantity, asn_line.uom, po_line.item_id)
    if quantity is None:
        plan.error(
            f"HL {asn_line.hl_id} SN103: unknown unit of measure '{asn_line.uom}' for {parts} (no conversion to "
            f"its base unit)",
            **where,
        )
        return
    if quantity != quantity.to_integral_value():
        plan.error(
            f"HL {asn_line.hl_id} SN102: {asn_line.quantity} {asn_line.uom} is not a whole number of base units",
            **where,
        )
        return
    total = plan.quantities.get(po_line.pk, Decimal(0)) + quantity
    if total > ABSURD_FACTOR * po_line.quantity_ordered or total > conf.max_units():
        plan.error(
            f"HL {asn_line.hl_id} SN102: {total:g} units shipped against {po_line.quantity_ordered} ordered "
            f"on PO {po.number} line {po_line.line_number} is an absurd quantity",
            **where,
        )
        return
    plan.quantities[po_line.pk] = total
    plan.po_lines[po_line.pk] = po_line


def _resolve_856(plan: _ShipPlan, ctx: EdiContext) -> None:
    lines = _ShipLines(plan, ctx)
    for order in plan.asn.orders:
        po = plan.pos.get(order.po_number)
        if po is None:
            continue
        for asn_line in order.lines:
            _resolve_856_line(plan, ctx, lines, po, asn_line)


def _write_856(plan: _ShipPlan, ctx: EdiContext) -> dict:
    asn, quantities = plan.asn, plan.quantities
    po = next(iter(plan.pos.values()))
    ship_date = asn.ship_date or asn.document_date
    cancelled = asn.purpose == "01"
    previous = m.Shipment.objects.filter(supplier_id=po.supplier_id, number=asn.shipment_id).first()
    if previous is not None and previous.status == m.Shipment.Status.RECEIVED:
        raise Rejected(
            f"856 {asn.shipment_id}: the shipment was already received; a ship notice cannot change it"
        )
    fields = {
        "location_id": po.location_id,
        "ship_date": ship_date,
        "expected_arrival": asn.expected_arrival,
        "carrier": (asn.carrier or "")[:60],
        "status": m.Shipment.Status.CANCELLED if cancelled else m.Shipment.Status.IN_TRANSIT,
    }
    shipment, created = m.Shipment.objects.update_or_create(
        supplier_id=po.supplier_id,
        number=asn.shipment_id,
        defaults=fields,
        create_defaults={
            "source": ctx.partner[:32],
            "external_id": f"{po.supplier.code}:{asn.shipment_id}"[:64],
            **fields,
        },
    )
    removed, _ = (
        m.ShipmentLine.objects.filter(shipment=shipment).exclude(po_line_id__in=list(quantities)).delete()
    )
    existing = dict(m.ShipmentLine.objects.filter(shipment=shipment).values_list("po_line_id", "pk"))
    source = f"edi:{po.supplier.code}"[:32]
    new, changed = [], []
    for po_line_id, quantity in quantities.items():
        if po_line_id in existing:
            changed.append(m.ShipmentLine(pk=existing[po_line_id], quantity_shipped=int(quantity)))
        else:
            new.append(
                m.ShipmentLine(
                    shipment=shipment,
                    po_line_id=po_line_id,
                    quantity_shipped=int(quantity),
                    source=source,
                    external_id=f"{shipment.pk}:{po_line_id}",
                )
            )
    m.ShipmentLine.objects.bulk_create(new, batch_size=2_000)
    m.ShipmentLine.objects.bulk_update(changed, ["quantity_shipped"], batch_size=2_000)
    ctx.item_location_ids |= item_location_ids_for(
        {(pl.item_id, po.location_id) for pl in plan.po_lines.values()}
    )
    return {
        "shipment": asn.shipment_id,
        "purchase_orders": sorted({o.po_number for o in asn.orders}),
        "lines": len(quantities),
        "units": int(sum(quantities.values())),
        "expected_arrival": str(asn.expected_arrival),
        "previous_expected_arrival": str(previous.expected_arrival) if previous else None,
        "created": created,
        "lines_removed": removed,
        "cancelled": cancelled,
    }


def apply_856(asn: Asn, ctx: EdiContext) -> dict:
    """Validate the header, resolve every line to a PO line and base units, then write the shipment."""
    po_numbers = {o.po_number for o in asn.orders}
    pos = m.PurchaseOrder.objects.filter(number__in=po_numbers).select_related("supplier")
    plan = _ShipPlan(asn=asn, pos={po.number: po for po in pos})
    _validate_856(plan, ctx)
    _resolve_856(plan, ctx)
    if plan.errors:
        raise Rejected(f"856 {asn.shipment_id}: {plan.errors[0]['message']}", plan.errors, ctx.issues[:])
    return _write_856(plan, ctx)


# -- 846 inventory advice --------------------------------------------------------------------------------------


def apply_846(advice: InventoryAdvice, ctx: EdiContext) -> dict:
    if ctx.supplier is None:
        issue = unmapped_code_issue(
            source=ctx.partner,
            kind="EDI sender",
            code=ctx.partner,
            context="no supplier has this interchange id",
        )
        raise Rejected(
            f"846 {advice.reference}: the sender {ctx.partner} is not a known supplier (set the "
            f"supplier's EDI interchange id)",
            [{"message": f"unknown sender {ctx.partner}", "segment": "ISA", "element": 6}],
            [issue],
        )
    supplier = ctx.supplier
    values = {v for r in advice.records for v in r.part_numbers.values()}
    parts = PartResolver(ctx, {supplier.pk}, values)
    resolved = {}
    for record in advice.records:
        part = next(
            (record.part_numbers[q] for q in ("VP", "VN", "SK", "BP", "IN") if q in record.part_numbers),
            next(iter(record.part_numbers.values()), ""),
        )
        items = parts.items(supplier.pk, record.part_numbers)
        resolved[id(record)] = (part, items[0] if items else None)
    units = UomTable.load({i for _p, i in resolved.values() if i})
    errors, rows, unmapped = [], {}, []
    for n, record in enumerate(advice.records, start=1):
        part, item_id = resolved[id(record)]
        quantity = record.quantity
        if item_id is not None:
            converted = units.to_base(quantity, record.uom, item_id)
            if converted is None:
                errors.append(
                    {
                        "message": f"LIN {n} ({part}) QTY03: unknown unit of measure '{record.uom}'",
                        "segment": "QTY",
                        "line": n,
                        "element": 3,
                    }
                )
                continue
            quantity = converted
        else:
            unmapped.append(part)
            ctx.issues.append(
                unmapped_code_issue(
                    source=ctx.partner,
                    kind="part number",
                    code=part,
                    supplier_id=supplier.pk,
                    context=f"846 {advice.reference}",
                )
            )
        if quantity != quantity.to_integral_value() or quantity > conf.max_units():
            errors.append(
                {
                    "message": f"LIN {n} ({part}) QTY02: {record.quantity} is not a plausible whole quantity",
                    "segment": "QTY",
                    "line": n,
                    "element": 2,
                }
            )
            continue
        if not plausible(record.date, advice.report_date):
            errors.append(
                {
                    "message": f"LIN {n} ({part}) DTM02: {record.date} is not a plausible date",
                    "segment": "DTM",
                    "line": n,
                    "element": 2,
                }
            )
            continue
        rows[(part, record.quantity_qualifier)] = SupplierAvailability(
            supplier=supplier,
            supplier_part_number=part[:48],
            item_id=item_id,
            quantity_qualifier=record.quantity_qualifier[:3],
            quantity=int(quantity),
            uom=(record.uom or "")[:8],
            available_date=record.date,
            report_date=advice.report_date,
            source=ctx.partner[:64],
            message=ctx.message,
            updated_at=timezone.now(),
        )
    if errors:
        raise Rejected(f"846 {advice.reference}: {errors[0]['message']}", errors, ctx.issues[:])
    SupplierAvailability.objects.bulk_create(
        list(rows.values()),
        update_conflicts=True,
        batch_size=2_000,
        unique_fields=["supplier", "supplier_part_number", "quantity_qualifier"],
        update_fields=[
            "item",
            "quantity",
            "uom",
            "available_date",
            "report_date",
            "source",
            "message",
            "updated_at",
        ],
    )
    return {
        "reference": advice.reference,
        "supplier": supplier.code,
        "records": len(rows),
        "unmapped_parts": sorted(set(unmapped)),
    }


# -- 997 from a partner ----------------------------------------------------------------------------------------


def apply_997(fa: FunctionalAcknowledgement, ctx: EdiContext) -> dict:
    ours = EdiDocument.objects.filter(
        direction=EdiDocument.Direction.OUTBOUND,
        transaction_set_id="850",
        group_control_number=fa.group_control_number.lstrip("0") or "0",
        partner=ctx.partner,
    )
    updated = ours.update(status=fa.group_status)
    return {
        "acknowledged_group": fa.group_control_number,
        "status": fa.group_status,
        "documents_updated": updated,
    }
