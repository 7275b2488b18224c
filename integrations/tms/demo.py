"""The demo's carriers and TMS milestones, sent through the inbox like a carrier's TMS would: `demo_milestones`
(at demo set-up: carriers on the in-transit shipments, their pick-up and departure, a few exceptions that push the
ETA out) and `milestone_delays` (one day of `replay_events`: exceptions at a hub with a later ETA)."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from replenish import models as m

from .handlers import FIELDS
from .ingest import milestone_file_ingest

CARRIERS = ("UPS Freight", "XPO Logistics", "Old Dominion", "Estes Express", "FedEx Freight", "Saia LTL")
HUBS = ("Memphis TN hub", "Columbus OH hub", "Dallas TX hub", "Kansas City MO hub", "Atlanta GA hub")
DELAYS = (
    "weather: linehaul held at the hub",
    "missed linehaul connection",
    "trailer capacity: rolled to the next departure",
    "appointment rescheduled by the consignee's dock",
)
MAX_SHIPMENTS = 3_000  # the demo's in-transit ASNs (2,000 SKUs x 5 locations hold ~1,000)


def _moment(day: date, hour: int) -> datetime:
    at = timezone.make_aware(datetime.combine(day, time(hour)))
    return min(at, timezone.now() - timedelta(hours=1)).replace(microsecond=0)


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def demo_milestones(*, seed: int = 7, delayed: int = 12):
    """Carriers for the in-transit shipments, then one milestone file: picked up and departed for each, and an
    exception with a later ETA for `delayed` of them. Returns the inbox message (None without shipments)."""
    rng = random.Random(seed)
    today = timezone.localdate()
    shipments = list(
        m.Shipment.objects.filter(status=m.Shipment.Status.IN_TRANSIT)
        .select_related("supplier")
        .order_by("pk")[:MAX_SHIPMENTS]
    )
    if not shipments:
        return None
    for shipment in shipments:
        if not shipment.carrier or shipment.carrier == "LTL Freight":
            shipment.carrier = rng.choice(CARRIERS)
    m.Shipment.objects.bulk_update(shipments, ["carrier"], batch_size=2_000)
    rows = []
    late = set(rng.sample(range(len(shipments)), min(delayed, len(shipments))))
    for k, s in enumerate(shipments):
        base = {"shipment": s.number, "supplier": s.supplier.code, "carrier": s.carrier}
        eta = str(s.expected_arrival) if s.expected_arrival >= today else ""
        rows.append(
            {
                **base,
                "event_id": f"DEMO-{s.pk}-1",
                "milestone": "picked_up",
                "occurred_at": _moment(s.ship_date, 9).isoformat(),
                "eta": eta,
                "place": "origin",
            }
        )
        rows.append(
            {
                **base,
                "event_id": f"DEMO-{s.pk}-2",
                "milestone": "departed",
                "occurred_at": _moment(s.ship_date, 16).isoformat(),
                "eta": eta,
                "place": "origin terminal",
            }
        )
        if k in late:
            new_eta = max(s.expected_arrival, today) + timedelta(days=rng.randint(2, 6))
            rows.append(
                {
                    **base,
                    "event_id": f"DEMO-{s.pk}-3",
                    "milestone": "exception",
                    "occurred_at": _moment(today, 7).isoformat(),
                    "eta": str(new_eta),
                    "place": rng.choice(HUBS),
                    "note": rng.choice(DELAYS),
                }
            )
    message, _ = milestone_file_ingest(name="demo-milestones.csv", data=_csv(rows))
    return message


def milestone_delays(rng: random.Random, day: date, count: int) -> list:
    """One replayed day: `count` in-transit shipments hit an exception at a hub and announce a later ETA."""
    shipments = list(
        m.Shipment.objects.filter(status=m.Shipment.Status.IN_TRANSIT)
        .select_related("supplier")
        .order_by("pk")[:5000]
    )
    if not shipments:
        return []
    today = timezone.localdate()
    rows = []
    for k, s in enumerate(rng.sample(shipments, min(count, len(shipments)))):
        # from the day, not the current ETA: the same seed and day send the same file (a replay, applied once)
        new_eta = max(today, day) + timedelta(days=rng.randint(3, 8))
        rows.append(
            {
                "event_id": f"RPL-{day:%Y%m%d}-{s.pk}-{k}",
                "shipment": s.number,
                "supplier": s.supplier.code,
                "milestone": "exception",
                "occurred_at": _moment(min(day, today), 6 + k % 12).isoformat(),
                "eta": str(new_eta),
                "carrier": s.carrier,
                "place": rng.choice(HUBS),
                "note": rng.choice(DELAYS),
            }
        )
    message, _ = milestone_file_ingest(name=f"replay-milestones-{day}.csv", data=_csv(rows))
    return [("tms_milestones", message)]
