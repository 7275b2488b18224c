"""Benchmark event latency: from an 856 moving an arrival date to the updated customer-service queue.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/5 python bench/bench_events.py [--samples 30]
        [--quick] [--json] [--no-worker]

Runs on the benchmark database (the scenario loaded by bench_generate; a small one is loaded when it is empty).
With REDIS_URL set it starts a real Celery worker on the same database (unless --no-worker: one is already running)
so the event travels inbox -> signal -> broker -> worker -> partial re-plan -> ATP -> queue. Without REDIS_URL the
tasks run in-process (eager) and the figure excludes the broker hop (reported as such).

For each sample it picks a SKU-location with open order lines of a tiered customer, gives it a bench PO and an ASN,
then sends an 856 moving the shipment's arrival later; latency = from before `edi_ingest` until the customer-service
queue selector shows a task of that line created/updated by the event (polled every 10 ms). Prints JSON: p50, p95,
max, the stage times the worker recorded (re-plan, ATP) and the limit (p95 <= 2 s).
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
from decimal import Decimal

from _django import ROOT, peak_rss_mb, setup

LIMIT_P95 = 2.0


def _candidates(limit: int):
    from django.db.models import Q

    from replenish import models as m

    tiered = Q(order__customer__service_tier__penalty_per_late_line__gt=0) | Q(
        order__customer__service_tier__penalty_rate__gt=0
    )
    seen, out = set(), []
    rows = (
        m.SalesOrderLine.objects.filter(tiered, status="open", order__status="open")
        .order_by("requested_ship_date", "pk")
        .values_list("item_id", "order__location_id")[:20000]
    )
    for pair in rows:
        if pair not in seen:
            seen.add(pair)
            out.append(pair)
        if len(out) >= limit:
            break
    return out


def _prepare(pairs, tag: str):
    """A bench supplier (EDI id BENCHEV), one PO per SKU-location and an initial 856 (arrival tomorrow)."""
    from django.utils import timezone

    from exceptions.workflows.models import DomainEvent
    from integrations.edi_ingest import edi_ingest
    from replenish import models as m

    supplier, _ = m.Supplier.objects.get_or_create(
        code="BENCHEV",
        defaults={
            "external_id": "BENCHEV",
            "name": "Bench events supplier",
            "edi_qualifier": "ZZ",
            "edi_interchange_id": "BENCHEV",
        },
    )
    today = timezone.localdate()
    cases = []
    for k, (item_id, location_id) in enumerate(pairs):
        item = m.Item.objects.get(pk=item_id)
        number = f"BEV-{tag}-{k}"
        po = m.PurchaseOrder.objects.create(
            external_id=number, number=number, supplier=supplier, location_id=location_id, order_date=today
        )
        demand = sum(
            ln.quantity_open
            for ln in m.SalesOrderLine.objects.filter(
                item_id=item_id, order__location_id=location_id, status="open"
            )
        )
        line = m.PurchaseOrderLine.objects.create(
            external_id=f"{number}/1",
            order=po,
            line_number=1,
            item=item,
            quantity_ordered=max(demand, 1),
            unit_cost=item.unit_cost,
            promised_date=today + timedelta(days=1),
        )
        cases.append((po, line, item))
    for po, line, item in cases:
        message = edi_ingest(data=_asn(po, line, item, days=1), filename=f"{po.number}-0.x12")
        _wait_event(message.pk, DomainEvent, timeout=120)
    return cases


_control = [int(time.time()) % 100_000_000]


def _asn(po, line, item, *, days: int) -> str:
    from django.utils import timezone

    from integrations.edi.generate import Envelope
    from integrations.edi.generate_supplier import (
        OutboundAsnLine,
        OutboundAsnOrder,
        OutboundShipNotice,
        generate_856,
    )

    _control[0] += 1
    n = _control[0]
    today = timezone.localdate()
    return generate_856(
        OutboundShipNotice(
            shipment_id=f"SH-{po.number}",
            document_date=today,
            ship_date=today,
            expected_arrival=today + timedelta(days=days),
            orders=[
                OutboundAsnOrder(
                    po_number=po.number,
                    po_date=po.order_date,
                    lines=[
                        OutboundAsnLine(
                            line_ref="1",
                            quantity=Decimal(line.quantity_ordered),
                            uom=item.base_uom,
                            buyer_part=item.sku,
                        )
                    ],
                )
            ],
        ),
        Envelope(
            sender_qualifier="ZZ",
            sender_id="BENCHEV",
            receiver_qualifier="ZZ",
            receiver_id="DISTOPS",
            interchange_control_number=n,
            group_control_number=n % 1_000_000_000,
            transaction_set_control_number=n % 1_000_000_000,
            created_at=timezone.localtime().replace(tzinfo=None),
        ),
    )


def _wait_event(message_id: int, model, timeout: float):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        event = model.objects.filter(message_id=message_id).first()
        if event is not None and event.status in ("processed", "ignored", "failed"):
            return event
        time.sleep(0.01)
    return None


def worker_start(name: str) -> subprocess.Popen:
    """A live Celery worker (2 processes) on this database, given 6 s to connect."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "replenish", "worker", "-l", "WARNING", "-c", "2"]
        + ["--without-gossip", "--without-mingle", "-n", f"{name}-{os.getpid()}@%h"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(6)
    return worker


def scenario_ensure(*, quick: bool) -> None:
    """The benchmark network (2,000 x 5 with --quick, else 20,000 x 5), generated once into an empty database."""
    from django.utils import timezone

    from replenish import models as m
    from replenish.scenario.generate import ScenarioSpec
    from replenish.scenario.load import scenario_load

    if not m.Item.objects.exists():
        skus = 2000 if quick else 20000
        scenario_load(ScenarioSpec(skus=skus, locations=5, weeks=104, seed=11, as_of=timezone.localdate()))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.samples = min(args.samples, 10)
    setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from exceptions.workflows.models import DomainEvent
    from integrations.edi_ingest import edi_ingest
    from replenish import models as m

    scenario_ensure(quick=args.quick)
    live = bool(os.environ.get("REDIS_URL"))
    worker = None
    if live and not args.no_worker:
        worker = worker_start("bench-events")
    try:
        pairs = _candidates(args.samples)
        if not pairs:
            print(json.dumps({"error": "no open order line of a tiered customer in the database"}))
            return 1
        cases = _prepare(pairs, tag=str(int(time.time())))
        latencies, replan, atp, worker_seconds, missing = [], [], [], [], 0
        for k, (po, line, item) in enumerate(cases):
            text = _asn(po, line, item, days=20 + k)
            started = time.perf_counter()
            message = edi_ingest(data=text, filename=f"{po.number}-slip.x12")
            event = None
            deadline = started + 30
            while time.perf_counter() < deadline:
                event = (
                    DomainEvent.objects.filter(message_id=message.pk).only("pk", "status", "results").first()
                )
                # processed is written after the queue items (same worker, committed before): the queue shows them
                if event is not None and event.status in ("processed", "ignored", "failed"):
                    break
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            if event is None or event.status != "processed":
                missing += 1
                continue
            latencies.append(elapsed)
            replan.append(event.results.get("replan_seconds", 0.0))
            atp.append(event.results.get("atp_seconds", 0.0))
            worker_seconds.append(event.results.get("seconds", 0.0))
        latencies.sort()

        def pct(values, q):
            if not values:
                return None
            values = sorted(values)
            return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))], 3)

        tasks = DomainEvent.objects.filter(message_id__isnull=False).count()
        report = {
            "samples": len(latencies),
            "not_processed": missing,
            "celery": "worker" if live else "eager (no broker)",
            "database": connection.vendor,
            "skus": m.Item.objects.count(),
            "item_locations": m.ItemLocation.objects.count(),
            "latency_p50_s": pct(latencies, 0.5),
            "latency_p95_s": pct(latencies, 0.95),
            "latency_max_s": round(max(latencies), 3) if latencies else None,
            "worker_seconds_p95": pct(worker_seconds, 0.95),
            "replan_seconds_p95": pct(replan, 0.95),
            "atp_seconds_p95": pct(atp, 0.95),
            "limit_p95_s": LIMIT_P95,
            "within_limit": bool(latencies) and pct(latencies, 0.95) <= LIMIT_P95,
            "events_total": tasks,
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
