"""The demo's next days of events, sent through the integrations exactly as partners would send them: ASN slips
(856 moving an in-transit shipment's arrival), acknowledgements (855 rescheduling open PO lines), receipts (an open
purchase-order file with lines received), new orders (an open sales-order file), customer returns (a returns file),
WMS capacity (tasks and labor hours) and TMS milestones (an exception at a hub with a later ETA:
integrations/tms/demo.py). Deterministic for a seed; each day's events are dated that many days ahead."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from exceptions.warehouse.demo import returns_load
from integrations import conf
from integrations.edi.generate import Envelope
from integrations.edi.generate_supplier import (
    OutboundAckLine,
    OutboundAcknowledgement,
    OutboundAsnLine,
    OutboundAsnOrder,
    OutboundShipNotice,
    generate_855,
    generate_856,
)
from integrations.edi_ingest import edi_ingest
from integrations.edi_outbound import next_control_number
from integrations.files.importers import file_import
from integrations.tms.demo import milestone_delays
from replenish import models as m

from .atp import OPEN_PO, OPEN_PO_LINE
from .services import domain_event_record_wms


def _envelope(supplier: m.Supplier) -> Envelope:
    with transaction.atomic():
        n = next_control_number("replay-events")
    return Envelope(
        sender_qualifier=supplier.edi_qualifier or "ZZ",
        sender_id=supplier.edi_interchange_id,
        receiver_qualifier=conf.edi_sender()[0],
        receiver_id=conf.edi_sender()[1],
        interchange_control_number=n,
        group_control_number=n,
        transaction_set_control_number=n,
        created_at=timezone.localtime().replace(tzinfo=None),
    )


def _edi_ready() -> None:
    for supplier in m.Supplier.objects.filter(edi_interchange_id=""):
        supplier.edi_qualifier, supplier.edi_interchange_id = "ZZ", supplier.code[:15]
        supplier.save(update_fields=["edi_qualifier", "edi_interchange_id", "updated_at"])


def asn_slips(rng: random.Random, day: date, count: int) -> list:
    """856s for in-transit shipments (or open PO lines without one) with a later arrival date."""
    messages = []
    lines = list(
        m.PurchaseOrderLine.objects.filter(status__in=OPEN_PO_LINE, order__status__in=OPEN_PO)
        .select_related("order__supplier", "item")
        .order_by("pk")[:5000]
    )
    for pl in rng.sample(lines, min(count, len(lines))):
        shipment = (
            m.Shipment.objects.filter(lines__po_line=pl, status=m.Shipment.Status.IN_TRANSIT)
            .order_by("-expected_arrival")
            .first()
        )
        number = shipment.number if shipment else f"REPLAY-{pl.order.number}-{pl.line_number}"
        base = max(shipment.expected_arrival if shipment else pl.promised_date, day)
        qty = pl.quantity_open
        if qty <= 0:
            continue
        text = generate_856(
            OutboundShipNotice(
                shipment_id=number,
                document_date=day,
                ship_date=min(day, base),
                expected_arrival=base + timedelta(days=rng.randint(3, 12)),
                orders=[
                    OutboundAsnOrder(
                        po_number=pl.order.number,
                        po_date=pl.order.order_date,
                        lines=[
                            OutboundAsnLine(
                                line_ref=str(pl.line_number),
                                quantity=Decimal(qty),
                                uom=pl.item.base_uom,
                                buyer_part=pl.item.sku,
                            )
                        ],
                    )
                ],
                carrier="RPLY",
            ),
            _envelope(pl.order.supplier),
        )
        messages.append(("asn_slip", edi_ingest(data=text, filename=f"replay-856-{number}.x12")))
    return messages


def acknowledgements(rng: random.Random, day: date, count: int) -> list:
    messages = []
    pos = list(
        m.PurchaseOrder.objects.filter(status=m.PurchaseOrder.Status.OPEN)
        .select_related("supplier")
        .order_by("pk")[:2000]
    )
    for po in rng.sample(pos, min(count, len(pos))):
        po_lines = list(po.lines.filter(status=m.PurchaseOrderLine.Status.OPEN).select_related("item"))
        if not po_lines:
            continue
        slip = rng.choice([0, 0, 4, 9])
        ack_lines = [
            OutboundAckLine(
                line_ref=str(pl.line_number),
                quantity_ordered=Decimal(pl.quantity_ordered),
                uom=pl.item.base_uom,
                status="DR" if slip else "IA",
                quantity=Decimal(pl.quantity_ordered),
                delivery_date=max(pl.promised_date, day) + timedelta(days=slip),
                buyer_part=pl.item.sku,
            )
            for pl in po_lines
        ]
        text = generate_855(
            OutboundAcknowledgement(
                po_number=po.number, po_date=po.order_date, lines=ack_lines, acknowledgment_date=day
            ),
            _envelope(po.supplier),
        )
        messages.append(("acknowledgement", edi_ingest(data=text, filename=f"replay-855-{po.number}.x12")))
    return messages


def _csv(header: list[str], rows: list[list]) -> bytes:
    return ("\n".join([",".join(header)] + [",".join(str(v) for v in r) for r in rows]) + "\n").encode()


def receipts(rng: random.Random, day: date, count: int) -> list:
    lines = list(
        m.PurchaseOrderLine.objects.filter(
            status__in=OPEN_PO_LINE, order__status__in=OPEN_PO, promised_date__lte=day + timedelta(days=3)
        )
        .select_related("order__supplier", "order__location", "item")
        .order_by("promised_date", "pk")[:500]
    )
    chosen = rng.sample(lines, min(count, len(lines)))
    if not chosen:
        return []
    rows = [
        [
            pl.order.number,
            pl.line_number,
            pl.order.supplier.code,
            pl.order.location.code,
            pl.item.sku,
            pl.quantity_ordered,
            pl.order.order_date,
            pl.promised_date,
            pl.quantity_ordered,
            "received",
        ]
        for pl in chosen
    ]
    data = _csv(
        [
            "po_number",
            "line",
            "supplier",
            "location",
            "sku",
            "quantity",
            "order_date",
            "promised_date",
            "quantity_received",
            "status",
        ],
        rows,
    )
    return [
        (
            "receipts",
            file_import(kind="open_purchase_orders", data=data, filename=f"replay-receipts-{day}.csv"),
        )
    ]


def new_orders(rng: random.Random, day: date, count: int, tag: str) -> list:
    customers = list(
        m.Customer.objects.select_related("service_tier").order_by("service_tier__rank", "pk")[:200]
    )
    ils = list(
        m.ItemLocation.objects.filter(on_hand__lt=50).select_related("item", "location").order_by("pk")[:3000]
    )
    if not customers or not ils:
        return []
    rows = []
    for k in range(count):
        il = rng.choice(ils)
        customer = rng.choice(customers)
        rows.append(
            [
                f"RPL{tag}-{day:%m%d}-{k}",
                1,
                customer.code,
                il.location.code,
                il.item.sku,
                max(il.on_hand // 2, 1) + rng.randint(1, 20),
                day,
                day + timedelta(days=rng.randint(1, 7)),
            ]
        )
    data = _csv(
        ["order_number", "line", "customer", "location", "sku", "quantity", "order_date", "requested_date"],
        rows,
    )
    return [
        ("new_orders", file_import(kind="open_sales_orders", data=data, filename=f"replay-orders-{day}.csv"))
    ]


def wms_capacity(rng: random.Random, day: date, tasks_per_location: int) -> list:
    out = []
    for location in m.Location.objects.order_by("code")[:10]:
        ils = list(
            m.ItemLocation.objects.filter(location=location).select_related("item").order_by("pk")[:500]
        )
        if not ils:
            continue
        cutoff = datetime.combine(day, location.shipping_cutoff)
        rows = []
        for k in range(tasks_per_location):
            il = rng.choice(ils)
            kind = rng.choice(["pick", "pick", "pick", "replenishment", "putaway"])
            due = cutoff - timedelta(hours=rng.randint(-6, 6))
            rows.append(
                [
                    f"RPL-{location.code}-{day:%Y%m%d}-{k}",
                    kind,
                    location.code,
                    il.item.sku,
                    rng.randint(5, 120),
                    due.isoformat(),
                    rng.randint(3, 8) if kind == "replenishment" else 5,
                ]
            )
        tasks = file_import(
            kind="wms_tasks",
            filename=f"replay-wms-{location.code}-{day}.csv",
            data=_csv(["task_id", "kind", "location", "sku", "quantity", "due_at", "priority"], rows),
        )
        hours = round(rng.uniform(0.3, 0.9) * tasks_per_location * 0.25, 2)  # often below the backlog
        labor = file_import(
            kind="labor_capacity",
            filename=f"replay-labor-{location.code}-{day}.csv",
            data=_csv(["location", "date", "shift", "available_hours"], [[location.code, day, "day", hours]]),
        )
        out += [("wms_tasks", tasks), ("labor_capacity", labor)]
        if labor.status == "applied":
            domain_event_record_wms(message=labor, location_ids=[location.pk], day=day)
    return out


def return_events(rng: random.Random, day: date, count: int) -> list:
    """Customer return lines (RMA) of existing order lines, as a returns file (exceptions.warehouse.demo)."""
    return [("returns", returns_load(rng=rng, day=day, count=count, tag=f"R{rng.randint(0, 99_999):05d}"))]


def replay_events(
    *, days: int, seed: int = 7, per_day: int = 5, pause: float = 0.0, say: Callable[[str], None] = print
) -> dict:
    """Send `days` days of events through the integrations; returns counts by kind and inbox status."""
    _edi_ready()
    rng = random.Random(seed)
    today = timezone.localdate()
    counts: dict[str, dict[str, int]] = {}
    for offset in range(days):
        day = today + timedelta(days=offset)
        batch = (
            asn_slips(rng, day, per_day)
            + acknowledgements(rng, day, max(per_day // 2, 1))
            + receipts(rng, day, per_day)
            + new_orders(rng, day, per_day, tag=str(seed))
            + wms_capacity(rng, day, tasks_per_location=per_day * 4)
            + return_events(rng, day, per_day)
            + milestone_delays(rng, day, per_day)
        )
        for kind, message in batch:
            counts.setdefault(kind, {}).setdefault(message.status, 0)
            counts[kind][message.status] += 1
            say(
                f"day {offset + 1} {kind}: inbox #{message.pk} {message.status}"
                + (f" - {message.reason}" if message.reason else "")
            )
            if pause:
                time.sleep(pause)
    return counts
