"""Applying accepted X12 documents: 856 -> shipments, 855 -> PO line acknowledgements, 846 -> supplier
availability, 997 -> status of the 850s we sent. Each applier raises Rejected (nothing applied) with every
problem it found, named by HL, segment and element."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from replenish import models as m
from replenish.selectors import item_location_ids_for
from replenish.uom import UomTable

from . import conf
from .edi.documents import Asn, FunctionalAcknowledgement, InventoryAdvice, PurchaseOrderAcknowledgement
from .edi.x12 import Interchange
from .inbound import IssueSpec, Rejected
from .models import CodeMapping, EdiDocument, InboxMessage, SupplierAvailability
from .quality import unmapped_code_issue

EDI_SOURCE = "edi"
ACCEPTED_STATUSES = {"IA", "AA", "AC"}  # ACK01 accepted as ordered
REJECTED_STATUSES = {"IR", "ID", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"}  # ACK01 rejected / deleted
HEADER_ACCEPTS = {"AD", "AK", "AP", "AT", "AC", "AE", "AH", "NA"}
HEADER_REJECTS = {"RJ", "RD"}
ARRIVAL_QUALIFIERS = ("067", "017", "002", "371")
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


def _parts_text(part_numbers: dict[str, str]) -> str:
    return ", ".join(f"{q} {v}" for q, v in part_numbers.items()) or "(none)"


def _plausible(day: date | None, reference: date) -> bool:
    return day is None or abs((day - reference).days) <= PLAUSIBLE_DAYS


# -- 856 ship notice -------------------------------------------------------------------------------------------


def apply_856(asn: Asn, ctx: EdiContext) -> dict:
    errors: list[dict] = []

    def error(message: str, **where) -> None:
        errors.append({"message": message, **where})

    po_numbers = {o.po_number for o in asn.orders}
    pos = {
        po.number: po
        for po in m.PurchaseOrder.objects.filter(number__in=po_numbers).select_related("supplier")
    }
    for order in asn.orders:
        if order.po_number not in pos:
            error(
                f"HL {order.hl_id} PRF01: no purchase order '{order.po_number}'",
                segment="PRF",
                hl=order.hl_id,
            )
    suppliers = {po.supplier_id for po in pos.values()}
    locations = {po.location_id for po in pos.values()}
    if len(suppliers) > 1:
        error(
            f"the ship notice covers purchase orders of {len(suppliers)} suppliers; one shipment has one supplier"
        )
    if ctx.supplier is not None and suppliers and suppliers != {ctx.supplier.pk}:
        other = next(iter(pos.values())).supplier.code
        error(f"the sender is supplier {ctx.supplier.code} but the purchase orders belong to {other}")
    if len(locations) > 1:
        error("the ship notice covers purchase orders of several locations; one shipment has one destination")
    if asn.expected_arrival is None:
        error("the ship notice has no expected arrival date (DTM*017, DTM*067 or DTM*371)", segment="DTM")
    ship_date = asn.ship_date or asn.document_date
    if asn.expected_arrival and asn.expected_arrival < ship_date:
        error(f"expected arrival {asn.expected_arrival} is before the ship date {ship_date}", segment="DTM")
    for label, day in (("ship date", asn.ship_date), ("expected arrival", asn.expected_arrival)):
        if not _plausible(day, asn.document_date):
            error(
                f"{label} {day} is more than two years from the document date {asn.document_date}",
                segment="DTM",
            )
    lines_by_po: dict[int, list[m.PurchaseOrderLine]] = {}
    for line in m.PurchaseOrderLine.objects.filter(order__in=pos.values()).order_by("line_number"):
        lines_by_po.setdefault(line.order_id, []).append(line)
    supplier_id = next(iter(suppliers)) if len(suppliers) == 1 else None
    values = {v for o in asn.orders for line in o.lines for v in line.part_numbers.values()}
    parts = PartResolver(ctx, suppliers, values)
    by_po_item: dict[tuple[int, int], list[m.PurchaseOrderLine]] = {}
    for po_id, lines in lines_by_po.items():
        for pl in lines:
            by_po_item.setdefault((po_id, pl.item_id), []).append(pl)
    item_ids = {item_id for _po, item_id in by_po_item}
    units = UomTable.load(item_ids)
    quantities: dict[int, Decimal] = {}
    po_lines: dict[int, m.PurchaseOrderLine] = {}
    for order in asn.orders:
        po = pos.get(order.po_number)
        if po is None:
            continue
        for asn_line in order.lines:
            where = {"segment": "LIN", "hl": asn_line.hl_id}
            candidates = parts.items(supplier_id, asn_line.part_numbers)
            matching = [pl for item_id in candidates for pl in by_po_item.get((po.pk, item_id), ())]
            if asn_line.line_ref:
                exact = [pl for pl in matching if str(pl.line_number) == asn_line.line_ref]
                matching = exact or matching
            if not matching:
                known = "an unknown part" if not candidates else "an item that is not on this order"
                error(
                    f"HL {asn_line.hl_id}: part numbers {_parts_text(asn_line.part_numbers)} name {known} "
                    f"(PO {po.number})",
                    **where,
                )
                if not candidates:
                    for value in asn_line.part_numbers.values():
                        ctx.issues.append(
                            unmapped_code_issue(
                                source=ctx.partner,
                                kind="part number",
                                code=value,
                                supplier_id=po.supplier_id,
                                context=f"856 {asn.shipment_id}",
                            )
                        )
                continue
            po_line = matching[0]
            quantity = units.to_base(asn_line.quantity, asn_line.uom, po_line.item_id)
            if quantity is None:
                error(
                    f"HL {asn_line.hl_id} SN103: unknown unit of measure '{asn_line.uom}' for "
                    f"{_parts_text(asn_line.part_numbers)} (no conversion to its base unit)",
                    **where,
                )
                continue
            if quantity != quantity.to_integral_value():
                error(
                    f"HL {asn_line.hl_id} SN102: {asn_line.quantity} {asn_line.uom} is not a whole number of base "
                    f"units",
                    **where,
                )
                continue
            total = quantities.get(po_line.pk, Decimal(0)) + quantity
            if total > ABSURD_FACTOR * po_line.quantity_ordered or total > conf.max_units():
                error(
                    f"HL {asn_line.hl_id} SN102: {total:g} units shipped against {po_line.quantity_ordered} ordered "
                    f"on PO {po.number} line {po_line.line_number} is an absurd quantity",
                    **where,
                )
                continue
            quantities[po_line.pk] = total
            po_lines[po_line.pk] = po_line
    if errors:
        raise Rejected(f"856 {asn.shipment_id}: {errors[0]['message']}", errors, ctx.issues[:])
    po = next(iter(pos.values()))
    cancelled = asn.purpose == "01"
    previous = m.Shipment.objects.filter(supplier_id=po.supplier_id, number=asn.shipment_id).first()
    if previous is not None and previous.status == m.Shipment.Status.RECEIVED:
        raise Rejected(
            f"856 {asn.shipment_id}: the shipment was already received; a ship notice cannot change it"
        )
    shipment, created = m.Shipment.objects.update_or_create(
        supplier_id=po.supplier_id,
        number=asn.shipment_id,
        defaults={
            "location_id": po.location_id,
            "ship_date": ship_date,
            "expected_arrival": asn.expected_arrival,
            "carrier": (asn.carrier or "")[:60],
            "status": m.Shipment.Status.CANCELLED if cancelled else m.Shipment.Status.IN_TRANSIT,
        },
        create_defaults={
            "source": ctx.partner[:32],
            "external_id": f"{po.supplier.code}:{asn.shipment_id}"[:64],
            "location_id": po.location_id,
            "ship_date": ship_date,
            "expected_arrival": asn.expected_arrival,
            "carrier": (asn.carrier or "")[:60],
            "status": m.Shipment.Status.CANCELLED if cancelled else m.Shipment.Status.IN_TRANSIT,
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
    pairs = {(pl.item_id, po.location_id) for pl in po_lines.values()}
    ctx.item_location_ids |= item_location_ids_for(pairs)
    return {
        "shipment": asn.shipment_id,
        "purchase_orders": sorted(po_numbers),
        "lines": len(quantities),
        "units": int(sum(quantities.values())),
        "expected_arrival": str(asn.expected_arrival),
        "previous_expected_arrival": str(previous.expected_arrival) if previous else None,
        "created": created,
        "lines_removed": removed,
        "cancelled": cancelled,
    }


# -- 855 acknowledgement ---------------------------------------------------------------------------------------


def apply_855(ack: PurchaseOrderAcknowledgement, ctx: EdiContext) -> dict:
    po = m.PurchaseOrder.objects.filter(number=ack.po_number).select_related("supplier").first()
    if po is None:
        raise Rejected(
            f"855 for PO {ack.po_number}: no purchase order with this number (BAK03)",
            [{"message": f"no purchase order '{ack.po_number}'", "segment": "BAK", "element": 3}],
        )
    if ctx.supplier is not None and po.supplier_id != ctx.supplier.pk:
        raise Rejected(
            f"855 for PO {ack.po_number}: the sender is supplier {ctx.supplier.code} but the PO belongs "
            f"to {po.supplier.code}"
        )
    acknowledged_on = ack.acknowledgment_date or ack.dates.get("009") or timezone.localdate()
    header_date = next((ack.dates[q] for q in ARRIVAL_QUALIFIERS if q in ack.dates), None)
    lines = list(po.lines.order_by("line_number"))
    by_number = {str(line.line_number): line for line in lines}
    values = {v for line in ack.lines for v in line.part_numbers.values()}
    parts = PartResolver(ctx, {po.supplier_id}, values)
    units = UomTable.load({line.item_id for line in lines})
    errors: list[dict] = []
    changes: list[dict] = []
    updated: dict[int, m.PurchaseOrderLine] = {}
    rejected_header = ack.acknowledgment_type in HEADER_REJECTS
    for n, line in enumerate(ack.lines, start=1):
        target = by_number.get(line.line_ref or "")
        if target is None:
            candidates = parts.items(po.supplier_id, line.part_numbers)
            target = next((pl for pl in lines if pl.item_id in candidates and pl.pk not in updated), None)
        if target is None:
            errors.append(
                {
                    "message": f"PO1 line {n} ({_parts_text(line.part_numbers)}): matches no line of PO "
                    f"{po.number}",
                    "segment": "PO1",
                    "line": n,
                }
            )
            continue
        code = line.status or ("RJ" if rejected_header else "IA")
        if code in REJECTED_STATUSES or (rejected_header and not line.status):
            status = m.PurchaseOrderLine.Status.REJECTED
        elif code in ACCEPTED_STATUSES:
            status = m.PurchaseOrderLine.Status.ACCEPTED
        else:
            status = m.PurchaseOrderLine.Status.CHANGED
        before = {
            "status": target.status,
            "quantity": target.quantity_ordered,
            "promised_date": str(target.promised_date),
        }
        quantity_ack = next((a for a in line.acknowledgements if a.quantity is not None), None)
        if quantity_ack is not None and status != m.PurchaseOrderLine.Status.REJECTED:
            quantity = units.to_base(quantity_ack.quantity, quantity_ack.uom, target.item_id)
            if quantity is None:
                errors.append(
                    {
                        "message": f"PO1 line {n} ACK03: unknown unit of measure '{quantity_ack.uom}'",
                        "segment": "ACK",
                        "line": n,
                        "element": 3,
                    }
                )
                continue
            if quantity != quantity.to_integral_value() or quantity < 0:
                errors.append(
                    {
                        "message": f"PO1 line {n} ACK02: {quantity_ack.quantity} {quantity_ack.uom} is not a "
                        f"whole number of base units",
                        "segment": "ACK",
                        "line": n,
                        "element": 2,
                    }
                )
                continue
            if quantity > ABSURD_FACTOR * target.quantity_ordered or quantity > conf.max_units():
                errors.append(
                    {
                        "message": f"PO1 line {n} ACK02: {quantity:g} units acknowledged against "
                        f"{target.quantity_ordered} ordered is an absurd quantity",
                        "segment": "ACK",
                        "line": n,
                        "element": 2,
                    }
                )
                continue
            if quantity == 0:
                status = m.PurchaseOrderLine.Status.REJECTED
            elif int(quantity) != target.quantity_ordered:
                if quantity < target.quantity_received:
                    errors.append(
                        {
                            "message": f"PO1 line {n}: {quantity:g} acknowledged is less than the "
                            f"{target.quantity_received} already received",
                            "segment": "ACK",
                            "line": n,
                        }
                    )
                    continue
                target.quantity_ordered = int(quantity)
                status = m.PurchaseOrderLine.Status.CHANGED
        new_date = line.new_date or header_date
        if new_date is not None and status != m.PurchaseOrderLine.Status.REJECTED:
            if new_date < po.order_date or not _plausible(new_date, acknowledged_on):
                errors.append(
                    {
                        "message": f"PO1 line {n}: promised date {new_date} is not plausible for a PO ordered "
                        f"on {po.order_date}",
                        "segment": "ACK",
                        "line": n,
                        "element": 5,
                    }
                )
                continue
            if (
                new_date != target.promised_date
                and status == m.PurchaseOrderLine.Status.ACCEPTED
                and line.status
            ):
                status = m.PurchaseOrderLine.Status.CHANGED
            target.promised_date = new_date
        target.status = status
        target.acknowledged_date = acknowledged_on
        target.updated_at = timezone.now()
        updated[target.pk] = target
        changes.append(
            {
                "line": target.line_number,
                "ack": code,
                "before": before,
                "after": {
                    "status": status,
                    "quantity": target.quantity_ordered,
                    "promised_date": str(target.promised_date),
                },
            }
        )
    if not ack.lines and rejected_header:
        for target in lines:
            target.status, target.acknowledged_date = m.PurchaseOrderLine.Status.REJECTED, acknowledged_on
            target.updated_at = timezone.now()
            updated[target.pk] = target
    if errors:
        raise Rejected(f"855 for PO {po.number}: {errors[0]['message']}", errors)
    m.PurchaseOrderLine.objects.bulk_update(
        list(updated.values()),
        ["status", "quantity_ordered", "promised_date", "acknowledged_date", "updated_at"],
    )
    if po.status == m.PurchaseOrder.Status.OPEN:
        po.status = m.PurchaseOrder.Status.ACKNOWLEDGED
        po.save(update_fields=["status", "updated_at"])
    ctx.item_location_ids |= item_location_ids_for({(pl.item_id, po.location_id) for pl in updated.values()})
    return {
        "purchase_order": po.number,
        "acknowledgment_type": ack.acknowledgment_type,
        "lines_acknowledged": len(updated),
        "acknowledged_on": str(acknowledged_on),
        "changes": changes,
    }


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
        if not _plausible(record.date, advice.report_date):
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


APPLIERS = {"856": apply_856, "855": apply_855, "846": apply_846, "997": apply_997}
