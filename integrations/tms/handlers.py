"""Inbox handlers of TMS milestones: `tms.milestone` (one signed webhook event) and `tms.milestones` (a CSV file).

A milestone record (FORMAT in the README, "TMS milestones"):

    event_id      the TMS event id (a file's rows; a webhook event's top-level "id")
    shipment      the ASN / shipment number DistOps knows (Shipment.number)
    supplier      the supplier code, when two suppliers use the same shipment number (optional)
    milestone     picked_up | departed | at_hub | out_for_delivery | delivered | exception
    occurred_at   when it happened, ISO 8601 with a zone (2026-12-07T14:05:00Z)
    eta           the new estimated arrival, YYYY-MM-DD (optional; a delivery is its own arrival)
    carrier, place, note   optional words (an exception's reason in note)

All or nothing: every record is checked first (unknown shipment, unknown milestone, bad or past ETA, a milestone
already received for the shipment, a shipment already received or cancelled) and any problem rejects the message
with each problem named by row and field; nothing is applied. A valid message writes its milestones and moves each
shipment's expected arrival to the latest ETA; the SKU-locations on those shipments go out with the inbox's
`inbound_applied` signal, so the re-plan, the order-line ATP and the customer-service queue follow exactly as
after an 856 that moves the arrival (the domain event classifies both alike: exceptions/workflows/events.py).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from replenish import models as m
from replenish.selectors import item_location_ids_for

from ..inbound import Outcome, Rejected, register
from .models import Milestone

FIELDS = ("event_id", "shipment", "supplier", "milestone", "occurred_at", "eta", "carrier", "place", "note")
KINDS = {k.value for k in Milestone.Kind}
MAX_ROWS = 10_000  # a day's milestones of a large network in one file; larger files are split by the sender


@dataclass
class Parsed:
    row: int
    event_id: str
    shipment: m.Shipment
    kind: str
    occurred_at: datetime
    eta: date | None
    carrier: str
    place: str
    note: str


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()


def _eta(raw: str, today: date, error) -> date | None:
    if not raw:
        return None
    try:
        eta = date.fromisoformat(raw[:10])
    except ValueError:
        error("eta", f"'{raw}' is not a date (YYYY-MM-DD)")
        return None
    if eta < today:
        error(
            "eta", f"the ETA {eta} is in the past (today is {today}): a milestone announces a future arrival"
        )
        return None
    return eta


def _when(raw: str, error) -> datetime | None:
    parsed = parse_datetime(raw) if raw else None
    if parsed is None:
        error("occurred_at", f"'{raw}' is not a date and time (ISO 8601, e.g. 2026-12-07T14:05:00Z)")
        return None
    if timezone.is_naive(parsed):
        error("occurred_at", f"'{raw}' has no time zone (add Z or +hh:mm)")
        return None
    return parsed


def _shipments(records: list[dict]) -> dict[str, list[m.Shipment]]:
    numbers = {_text(r, "shipment") for r in records} - {""}
    found: dict[str, list[m.Shipment]] = {}
    for shipment in m.Shipment.objects.filter(number__in=numbers).select_related("supplier"):
        found.setdefault(shipment.number, []).append(shipment)
    return found


def _resolve(number: str, supplier: str, found: dict[str, list[m.Shipment]], error) -> m.Shipment | None:
    candidates = [s for s in found.get(number, []) if not supplier or s.supplier.code == supplier]
    if not number:
        error("shipment", "the shipment number is missing")
    elif not candidates:
        by = f" from supplier {supplier}" if supplier else ""
        error("shipment", f"no shipment '{number}'{by} is known (an ASN must have arrived for it first)")
    elif len(candidates) > 1:
        error("shipment", f"shipment '{number}' exists for several suppliers: name the supplier")
    elif candidates[0].status != m.Shipment.Status.IN_TRANSIT:
        error("shipment", f"shipment '{number}' is already {candidates[0].get_status_display().lower()}")
    else:
        return candidates[0]
    return None


def validate(records: list[dict], *, what: str) -> tuple[list[Parsed], list[dict]]:
    """Every problem of every record, by row and field; the parsed milestones when there is none."""
    today = timezone.localdate()
    found = _shipments(records)
    errors: list[dict] = []
    parsed: list[Parsed] = []
    seen: dict[tuple, int] = {}
    received = {
        (sid, kind, at): event
        for sid, kind, at, event in Milestone.objects.filter(
            shipment_id__in=[s.pk for group in found.values() for s in group]
        ).values_list("shipment_id", "kind", "occurred_at", "external_id")
    }
    for n, record in enumerate(records, start=1):
        mark = len(errors)

        def error(field: str, message: str, n=n) -> None:
            errors.append({"row": n, "field": field, "message": f"{what} row {n}, {field}: {message}"})

        event_id = _text(record, "event_id")
        if not event_id:
            error("event_id", "the TMS event id is missing")
        kind = _text(record, "milestone").lower().replace(" ", "_")
        if kind not in KINDS:
            error("milestone", f"'{kind}' is not a milestone (one of {', '.join(sorted(KINDS))})")
        shipment = _resolve(_text(record, "shipment"), _text(record, "supplier"), found, error)
        occurred = _when(_text(record, "occurred_at"), error)
        eta = _eta(_text(record, "eta"), today, error)
        if len(errors) > mark or shipment is None or occurred is None:
            continue
        key = (shipment.pk, kind, occurred)
        if key in seen:
            error(
                "milestone",
                f"duplicate of row {seen[key]}: the same {kind} of {shipment.number} at {occurred}",
            )
            continue
        seen[key] = n
        earlier = received.get(key)
        if earlier is not None:
            error(
                "milestone",
                f"duplicate milestone: {kind} of {shipment.number} at {occurred} was already received "
                f"(TMS event {earlier})",
            )
            continue
        parsed.append(
            Parsed(
                n,
                event_id,
                shipment,
                kind,
                occurred,
                eta or (occurred.date() if kind == Milestone.Kind.DELIVERED else None),
                _text(record, "carrier")[:60],
                _text(record, "place")[:120],
                _text(record, "note")[:2000],
            )
        )
    return parsed, errors


def apply(parsed: list[Parsed], *, source: str, message_id: int | None) -> Outcome:
    """Write the milestones and move each shipment's expected arrival to its latest milestone's ETA."""
    moved: list[dict] = []
    pairs: set[tuple[int, int]] = set()
    by_shipment: dict[int, list[Parsed]] = {}
    for p in sorted(parsed, key=lambda p: (p.shipment.pk, p.occurred_at)):
        by_shipment.setdefault(p.shipment.pk, []).append(p)
    shipments = {
        s.pk: s
        for s in m.Shipment.objects.select_for_update().filter(pk__in=list(by_shipment)).order_by("pk")
    }
    purchase_orders: dict[int, set[str]] = {}
    items: dict[int, set[int]] = {}
    for sid, item_id, po in m.ShipmentLine.objects.filter(shipment_id__in=list(by_shipment)).values_list(
        "shipment_id", "po_line__item_id", "po_line__order__number"
    ):
        purchase_orders.setdefault(sid, set()).add(po)
        items.setdefault(sid, set()).add(item_id)
    rows, changed = [], []
    for sid, group in by_shipment.items():
        shipment = shipments[sid]
        before = shipment.expected_arrival
        for p in group:
            rows.append(
                Milestone(
                    shipment=shipment,
                    kind=p.kind,
                    occurred_at=p.occurred_at,
                    eta=p.eta,
                    previous_eta=shipment.expected_arrival,
                    carrier=p.carrier or shipment.carrier,
                    place=p.place,
                    note=p.note,
                    source=source[:64],
                    external_id=p.event_id[:200],
                    message_id=message_id,
                )
            )
            if p.eta is not None:
                shipment.expected_arrival = p.eta
        if group[-1].carrier and not shipment.carrier:
            shipment.carrier = group[-1].carrier
        if shipment.expected_arrival != before or group[-1].carrier:
            changed.append(shipment)
        if shipment.expected_arrival != before:
            pairs |= {(item_id, shipment.location_id) for item_id in items.get(sid, ())}
            moved.append(
                {
                    "shipment": shipment.number,
                    "purchase_orders": sorted(purchase_orders.get(sid, ())),
                    "expected_arrival": str(shipment.expected_arrival),
                    "previous_expected_arrival": str(before),
                    "milestones": [p.kind for p in group],
                }
            )
    Milestone.objects.bulk_create(rows, batch_size=2_000)
    m.Shipment.objects.bulk_update(changed, ["expected_arrival", "carrier"], batch_size=2_000)
    return Outcome(
        summary={"milestones": len(parsed), "shipments_moved": len(moved), "shipments": moved[:200]},
        item_location_ids=item_location_ids_for(pairs) if pairs else set(),
    )


def _rejected(errors: list[dict], what: str) -> Rejected:
    first = errors[0]["message"]
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return Rejected(f"{first}{more}; nothing of {what} was applied", errors)


@register("tms.milestone")
def handle_milestone_event(message, _context) -> Outcome:
    """One webhook event: {"id": ..., "type": "milestone", "data": {<a milestone record>}}."""
    try:
        event = json.loads(message.payload)
    except ValueError as exc:
        raise Rejected(f"the event is not JSON: {exc}") from exc
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        raise Rejected("'data' must be one milestone (a JSON object)")
    record = {**data, "event_id": str(event.get("id") or "").strip()}
    what = f"milestone event {record['event_id']}"
    parsed, errors = validate([record], what=what)
    if errors:
        raise _rejected(errors, what)
    return apply(parsed, source=message.source, message_id=message.pk)


@register("tms.milestones")
def handle_milestone_file(message, _context) -> Outcome:
    """A CSV file of milestones (header row with the FIELDS), all or nothing."""
    what = f"file {message.external_id}"
    reader = csv.DictReader(io.StringIO(message.payload.lstrip("\ufeff")))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [f for f in ("event_id", "shipment", "milestone", "occurred_at") if f not in header]
    if missing:
        raise Rejected(f"{what}: the header lacks {', '.join(missing)} (columns: {', '.join(FIELDS)})")
    records = [{(k or "").strip().lower(): v for k, v in row.items()} for row in reader]
    if not records:
        raise Rejected(f"{what} has no milestone rows")
    if len(records) > MAX_ROWS:
        raise Rejected(f"{what} has {len(records)} rows; at most {MAX_ROWS} per file")
    parsed, errors = validate(records, what=what)
    if errors:
        raise _rejected(errors, what)
    return apply(parsed, source=message.source, message_id=message.pk)
