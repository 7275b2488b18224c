"""Benchmark: a TMS milestone (signed webhook) delaying a shipment, to the customer-service queue.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/5 python bench/bench_milestones.py [--samples 30]
        [--quick] [--no-worker]

Like bench_events.py (whose set-up it reuses: a bench PO and an ASN arriving tomorrow per SKU-location with open
order lines of a tiered customer), but the delay comes as a TMS milestone through the signed webhook: verify,
inbox, apply, domain event, broker, worker, order-line ATP, customer-service queue. The stock of the sampled
SKU-locations is set to 0 for the run (restored after) so the delay leaves their lines short. Latency = from before
`webhook_receive` until the queue selector (at_risk_lines) shows a line of that SKU-location written by the
milestone's event (polled every 10 ms); also reported: until the event is processed (the partial re-plan after it).
With REDIS_URL a real Celery worker runs on the same database (unless --no-worker); without, tasks run in-process.
Prints JSON with p50, p95, max and the limit (p95 <= 2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from _django import peak_rss_mb, setup
from bench_events import _candidates, _prepare, scenario_ensure, worker_start

LIMIT_P95 = 2.0


def _pct(values, q):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)


def _send(shipment, eta, event_id: str, secret: str):
    from django.utils import timezone

    from integrations.webhooks import sign_headers, webhook_receive

    body = json.dumps(
        {
            "id": event_id,
            "type": "milestone",
            "data": {
                "shipment": shipment.number,
                "supplier": shipment.supplier.code,
                "milestone": "exception",
                "occurred_at": timezone.now().isoformat(),
                "eta": str(eta),
                "note": "bench: missed linehaul",
            },
        }
    ).encode()
    headers = sign_headers(secret, body)
    return webhook_receive(
        source="tms-bench",
        timestamp=headers["X-DistOps-Timestamp"],
        signature_header=headers["X-DistOps-Signature"],
        body=body,
    )


def _measure(cases, secret: str, tag: str) -> dict:
    from django.utils import timezone

    from exceptions.service.selectors import at_risk_lines
    from exceptions.workflows.models import DomainEvent
    from replenish import models as m

    queue, processed, missing, not_at_risk = [], [], 0, 0
    today = timezone.localdate()
    for k, (po, _line, item) in enumerate(cases):
        shipment = m.Shipment.objects.select_related("supplier").get(number=f"SH-{po.number}")
        il = m.ItemLocation.objects.get(item=item, location_id=po.location_id)
        started = time.perf_counter()
        answer = _send(shipment, today + timedelta(days=20 + k), f"BENCH-{tag}-{k}", secret)
        if answer.status != 200:
            missing += 1
            continue
        message_id = answer.body["message"]
        reached = done = None
        deadline = started + 30
        while time.perf_counter() < deadline and done is None:
            event = DomainEvent.objects.filter(message_id=message_id).only("pk", "status").first()
            if (
                event is not None
                and reached is None
                and at_risk_lines().filter(item_location_id=il.pk, event_id=event.pk).exists()
            ):
                reached = time.perf_counter() - started
            if event is not None and event.status in ("processed", "ignored", "failed"):
                done = time.perf_counter() - started
                if (
                    reached is None
                    and at_risk_lines().filter(item_location_id=il.pk, event_id=event.pk).exists()
                ):
                    reached = done
            else:
                time.sleep(0.01)
        if done is None:
            missing += 1
            continue
        processed.append(done)
        if reached is None:
            not_at_risk += 1
        else:
            queue.append(reached)
    return {"queue": queue, "processed": processed, "missing": missing, "not_at_risk": not_at_risk}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.samples = min(args.samples, 10)
    setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from integrations.webhooks import webhook_secret_rotate
    from replenish import models as m

    scenario_ensure(quick=args.quick)
    _endpoint, secret = webhook_secret_rotate(source="tms-bench", actor=None)
    live = bool(os.environ.get("REDIS_URL"))
    worker = worker_start("bench-milestones") if live and not args.no_worker else None
    stock: dict[int, int] = {}
    try:
        pairs = _candidates(args.samples)
        if not pairs:
            print(json.dumps({"error": "no open order line of a tiered customer in the database"}))
            return 1
        for pk, item_id, location_id, on_hand in m.ItemLocation.objects.values_list(
            "pk", "item_id", "location_id", "on_hand"
        ).filter(item_id__in=[i for i, _ in pairs]):
            if (item_id, location_id) in pairs:
                stock[pk] = on_hand
        m.ItemLocation.objects.filter(pk__in=list(stock)).update(on_hand=0)
        tag = str(int(time.time()))
        cases = _prepare(pairs, tag=tag)
        found = _measure(cases, secret, tag)
    finally:
        for pk, on_hand in stock.items():
            m.ItemLocation.objects.filter(pk=pk).update(on_hand=on_hand)
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    queue, processed = found["queue"], found["processed"]
    report = {
        "samples": len(processed),
        "reached_queue": len(queue),
        "not_at_risk": found["not_at_risk"],
        "not_processed": found["missing"],
        "celery": "worker" if live else "eager (no broker)",
        "database": connection.vendor,
        "item_locations": m.ItemLocation.objects.count(),
        "to_queue_p50_s": _pct(queue, 0.5),
        "to_queue_p95_s": _pct(queue, 0.95),
        "to_queue_max_s": round(max(queue), 3) if queue else None,
        "to_processed_p95_s": _pct(processed, 0.95),
        "limit_p95_s": LIMIT_P95,
        "within_limit": bool(queue) and _pct(queue, 0.95) <= LIMIT_P95,
        "load_average": os.getloadavg(),
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
