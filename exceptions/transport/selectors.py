"""Reads of the transportation workspace: inbound shipments (one row per ASN) with their carrier, lane, ETA from the
latest TMS milestone against the date the stock is needed, and the value waiting for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import F, Sum

from integrations.tms.models import Milestone
from replenish import models as m
from replenish.core import roles

from ..models import LIVE, PlanningException
from ..service.selectors import at_risk_lines
from ..warehouse.control import control_compute
from .models import FreightDecision

ACT_PERMISSION = "transport.act_on_shipments"


def can_view(user) -> bool:
    return roles.can_open(user, "transport")  # the same answer as the navigation link


def can_act(user) -> bool:
    return bool(user.is_authenticated and user.has_perm(ACT_PERMISSION))


@dataclass
class InboundRow:
    shipment: m.Shipment
    units: int = 0
    goods_value: Decimal = Decimal("0")
    item_location_ids: list[int] = field(default_factory=list)
    milestone: object = None  # the latest integrations.tms Milestone
    need_date: date | None = None
    need_why: str = ""
    orders_waiting: int = 0
    orders_value: Decimal = Decimal("0")
    task: PlanningException | None = None  # the live late-shipment task (issue 12: one per late shipment)
    freight: list = field(default_factory=list)

    @property
    def late_days(self) -> int:
        if self.need_date is None:
            return 0
        return max((self.shipment.expected_arrival - self.need_date).days, 0)

    @property
    def value_waiting(self) -> Decimal:
        return (self.task.value_at_stake if self.task else Decimal("0")) + self.orders_value


def inbound_shipments(*, user, limit: int = 200, late_only: bool = False) -> list[InboundRow]:
    """In-transit shipments, late ones first (by how late against the need date), then by the value waiting."""
    if not can_view(user):
        return []

    shipments = list(
        m.Shipment.objects.filter(status=m.Shipment.Status.IN_TRANSIT).select_related("supplier", "location")
    )
    rows = {s.pk: InboundRow(s) for s in shipments}
    pairs: dict[tuple[int, int], list[int]] = {}
    for sid, item_id, units, value in (
        m.ShipmentLine.objects.filter(shipment_id__in=rows)
        .annotate(value=F("quantity_shipped") * F("po_line__unit_cost"))
        .values_list("shipment_id", "po_line__item_id", "quantity_shipped", "value")
    ):
        row = rows[sid]
        row.units += units
        row.goods_value += Decimal(value or 0)
        pairs.setdefault((item_id, row.shipment.location_id), []).append(sid)
    ils = {
        (i, loc): pk
        for pk, i, loc in m.ItemLocation.objects.filter(item_id__in={i for i, _ in pairs}).values_list(
            "pk", "item_id", "location_id"
        )
        if (i, loc) in pairs
    }
    for pair, sids in pairs.items():
        for sid in sids:
            if pair in ils:
                rows[sid].item_location_ids.append(ils[pair])
    by_il = {il: [sid for sid in pairs[pair]] for pair, il in ils.items()}
    for il, stockout in m.SkuPlan.objects.filter(
        run__is_current=True, item_location_id__in=list(by_il), projected_stockout_date__isnull=False
    ).values_list("item_location_id", "projected_stockout_date"):
        for sid in by_il[il]:
            _need(rows[sid], stockout, "projected stockout")
    for il, requested, value in (
        at_risk_lines()
        .filter(item_location_id__in=list(by_il))
        .values_list("item_location_id", "requested_date", "value_at_stake")
    ):
        for sid in by_il[il]:
            row = rows[sid]
            row.orders_waiting += 1
            row.orders_value += value
            _need(row, requested, "an order line at risk")
    for task in PlanningException.objects.filter(
        shipment_id__in=rows, status__in=LIVE, subject_key__startswith="asn:"
    ):
        rows[task.shipment_id].task = task
    for milestone in Milestone.objects.filter(shipment_id__in=rows).order_by(
        "shipment_id", "occurred_at", "pk"
    ):
        rows[milestone.shipment_id].milestone = milestone  # the last one wins
    for decision in FreightDecision.objects.filter(shipment_id__in=rows).select_related("decided_by"):
        rows[decision.shipment_id].freight.append(decision)
    out = [r for r in rows.values() if r.late_days > 0 or not late_only]
    out.sort(
        key=lambda r: (
            -(r.late_days > 0),
            -r.value_waiting,
            -r.late_days,
            r.shipment.expected_arrival,
            r.shipment.pk,
        )
    )
    return out[:limit]


def _need(row: InboundRow, day: date, why: str) -> None:
    if row.need_date is None or day < row.need_date:
        row.need_date, row.need_why = day, why


def freight_spend(*, start: date, end: date) -> tuple[int, Decimal]:
    """Expedite freight decisions booked between two dates (inclusive): how many, and what they cost."""
    qs = FreightDecision.objects.filter(created_at__date__range=(start, end))
    return qs.count(), qs.aggregate(total=Sum("freight"))["total"] or Decimal("0")


def outbound_at_risk(*, limit_locations: int = 20) -> list[dict]:
    """Outbound loads (a location's carrier pickup today or tomorrow) with order lines that will miss the cut-off,
    from warehouse control's computation (exceptions/warehouse/control.py: cut-offs are master data there)."""
    rows = []
    for location in m.Location.objects.order_by("code")[:limit_locations]:
        control = control_compute(location=location)
        for w in control.windows:
            if w.missing:
                rows.append({"location": location, "window": w})
    rows.sort(key=lambda r: (-r["window"].missing_value, r["window"].cutoff))
    return rows
