"""Applying an 855 purchase order acknowledgement: validate the PO and sender, resolve each PO1 line to its PO line
and new quantity, date and status, then write them (nothing written when any line is refused)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from replenish import models as m
from replenish.selectors import item_location_ids_for
from replenish.uom import UomTable

from . import conf
from .edi.documents import PurchaseOrderAcknowledgement
from .edi_apply import ABSURD_FACTOR, EdiContext, PartResolver, parts_text, plausible
from .inbound import Rejected

ACCEPTED_STATUSES = {"IA", "AA", "AC"}  # ACK01 accepted as ordered
REJECTED_STATUSES = {"IR", "ID", "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"}  # ACK01 rejected / deleted
HEADER_ACCEPTS = {"AD", "AK", "AP", "AT", "AC", "AE", "AH", "NA"}
HEADER_REJECTS = {"RJ", "RD"}
ARRIVAL_QUALIFIERS = ("067", "017", "002", "371")


def _validate_855(ack: PurchaseOrderAcknowledgement, ctx: EdiContext) -> m.PurchaseOrder:
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
    return po


class _LineRefused(Exception):  # noqa: N818 - a verdict on one line, collected with the others
    def __init__(self, message: str, **where):
        super().__init__(message)
        self.error = {"message": message, **where}


@dataclass
class _AckPlan:
    """An 855 resolved against its purchase order: the lines it changes and what it changes in each."""

    ack: PurchaseOrderAcknowledgement
    po: m.PurchaseOrder
    acknowledged_on: date
    lines: list[m.PurchaseOrderLine]
    parts: PartResolver
    units: UomTable
    errors: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    updated: dict[int, m.PurchaseOrderLine] = field(default_factory=dict)

    @property
    def rejected_header(self) -> bool:
        return self.ack.acknowledgment_type in HEADER_REJECTS

    def target(self, line) -> m.PurchaseOrderLine | None:
        by_number = {str(pl.line_number): pl for pl in self.lines}
        found = by_number.get(line.line_ref or "")
        if found is None:
            candidates = self.parts.items(self.po.supplier_id, line.part_numbers)
            found = next(
                (pl for pl in self.lines if pl.item_id in candidates and pl.pk not in self.updated), None
            )
        return found


def _line_status(plan: _AckPlan, line) -> tuple[str, str]:
    """(ACK01 code, our line status) from the line's ACK01 or the header's BAK02."""
    code = line.status or ("RJ" if plan.rejected_header else "IA")
    if code in REJECTED_STATUSES or (plan.rejected_header and not line.status):
        return code, m.PurchaseOrderLine.Status.REJECTED
    if code in ACCEPTED_STATUSES:
        return code, m.PurchaseOrderLine.Status.ACCEPTED
    return code, m.PurchaseOrderLine.Status.CHANGED


def _acknowledged_quantity(plan: _AckPlan, n: int, line, target: m.PurchaseOrderLine, status: str) -> str:
    """Apply ACK02/ACK03 to the target line (in memory); returns the new status. Raises _LineRefused."""
    quantity_ack = next((a for a in line.acknowledgements if a.quantity is not None), None)
    if quantity_ack is None or status == m.PurchaseOrderLine.Status.REJECTED:
        return status
    quantity = plan.units.to_base(quantity_ack.quantity, quantity_ack.uom, target.item_id)
    if quantity is None:
        raise _LineRefused(
            f"PO1 line {n} ACK03: unknown unit of measure '{quantity_ack.uom}'",
            segment="ACK",
            line=n,
            element=3,
        )
    if quantity != quantity.to_integral_value() or quantity < 0:
        raise _LineRefused(
            f"PO1 line {n} ACK02: {quantity_ack.quantity} {quantity_ack.uom} is not a whole number of base units",
            segment="ACK",
            line=n,
            element=2,
        )
    if quantity > ABSURD_FACTOR * target.quantity_ordered or quantity > conf.max_units():
        raise _LineRefused(
            f"PO1 line {n} ACK02: {quantity:g} units acknowledged against {target.quantity_ordered} ordered is "
            f"an absurd quantity",
            segment="ACK",
            line=n,
            element=2,
        )
    if quantity == 0:
        return m.PurchaseOrderLine.Status.REJECTED
    if int(quantity) == target.quantity_ordered:
        return status
    if quantity < target.quantity_received:
        raise _LineRefused(
            f"PO1 line {n}: {quantity:g} acknowledged is less than the {target.quantity_received} already "
            f"received",
            segment="ACK",
            line=n,
        )
    target.quantity_ordered = int(quantity)
    return m.PurchaseOrderLine.Status.CHANGED


def _promised_date(plan: _AckPlan, n: int, line, target: m.PurchaseOrderLine, status: str) -> str:
    """Apply the line's (or the header's) new date to the target line; returns the status. Raises _LineRefused."""
    header_date = next((plan.ack.dates[q] for q in ARRIVAL_QUALIFIERS if q in plan.ack.dates), None)
    new_date = line.new_date or header_date
    if new_date is None or status == m.PurchaseOrderLine.Status.REJECTED:
        return status
    if new_date < plan.po.order_date or not plausible(new_date, plan.acknowledged_on):
        raise _LineRefused(
            f"PO1 line {n}: promised date {new_date} is not plausible for a PO ordered on {plan.po.order_date}",
            segment="ACK",
            line=n,
            element=5,
        )
    if new_date != target.promised_date and status == m.PurchaseOrderLine.Status.ACCEPTED and line.status:
        status = m.PurchaseOrderLine.Status.CHANGED
    target.promised_date = new_date
    return status


def _resolve_855_line(plan: _AckPlan, n: int, line) -> None:
    target = plan.target(line)
    if target is None:
        raise _LineRefused(
            f"PO1 line {n} ({parts_text(line.part_numbers)}): matches no line of PO {plan.po.number}",
            segment="PO1",
            line=n,
        )
    code, status = _line_status(plan, line)
    before = {
        "status": target.status,
        "quantity": target.quantity_ordered,
        "promised_date": str(target.promised_date),
    }
    status = _acknowledged_quantity(plan, n, line, target, status)
    status = _promised_date(plan, n, line, target, status)
    target.status = status
    target.acknowledged_date = plan.acknowledged_on
    target.updated_at = timezone.now()
    plan.updated[target.pk] = target
    plan.changes.append(
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


def _resolve_855(plan: _AckPlan) -> None:
    for n, line in enumerate(plan.ack.lines, start=1):
        try:
            _resolve_855_line(plan, n, line)
        except _LineRefused as refused:
            plan.errors.append(refused.error)
    if not plan.ack.lines and plan.rejected_header:
        for target in plan.lines:
            target.status, target.acknowledged_date = (
                m.PurchaseOrderLine.Status.REJECTED,
                plan.acknowledged_on,
            )
            target.updated_at = timezone.now()
            plan.updated[target.pk] = target


def _write_855(plan: _AckPlan, ctx: EdiContext) -> dict:
    po = plan.po
    m.PurchaseOrderLine.objects.bulk_update(
        list(plan.updated.values()),
        ["status", "quantity_ordered", "promised_date", "acknowledged_date", "updated_at"],
    )
    if po.status == m.PurchaseOrder.Status.OPEN:
        po.status = m.PurchaseOrder.Status.ACKNOWLEDGED
        po.save(update_fields=["status", "updated_at"])
    ctx.item_location_ids |= item_location_ids_for(
        {(pl.item_id, po.location_id) for pl in plan.updated.values()}
    )
    return {
        "purchase_order": po.number,
        "acknowledgment_type": plan.ack.acknowledgment_type,
        "lines_acknowledged": len(plan.updated),
        "acknowledged_on": str(plan.acknowledged_on),
        "changes": plan.changes,
    }


def apply_855(ack: PurchaseOrderAcknowledgement, ctx: EdiContext) -> dict:
    """Validate the PO and sender, resolve each PO1 line to its PO line and new values, then write them."""
    po = _validate_855(ack, ctx)
    lines = list(po.lines.order_by("line_number"))
    values = {v for line in ack.lines for v in line.part_numbers.values()}
    plan = _AckPlan(
        ack=ack,
        po=po,
        acknowledged_on=ack.acknowledgment_date or ack.dates.get("009") or timezone.localdate(),
        lines=lines,
        parts=PartResolver(ctx, {po.supplier_id}, values),
        units=UomTable.load({line.item_id for line in lines}),
    )
    _resolve_855(plan)
    if plan.errors:
        raise Rejected(f"855 for PO {po.number}: {plan.errors[0]['message']}", plan.errors)
    return _write_855(plan, ctx)
