"""Benchmark inbound ingestion: an 856 ship notice with 10,000 lines and a 900,000-row balance file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bench_ingest.py [--asn-lines 10000]
        [--items 180000 --locations 5] [--keep]

Creates its own database (TEST_DATABASE_NAME, default bench_ingest; dropped at the end unless --keep), loads a
network at COPY speed, generates the files, and times each stage. Prints JSON: sizes, seconds per stage (parse,
validate, apply) and end to end through the inbox (`edi_ingest`, `file_import`), rows per second, peak RSS.
The balance file is imported twice: first every SKU-location is created, then every balance changes (UPDATE).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup(database_name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "replenish.settings_test")
    os.environ["TEST_DATABASE_NAME"] = database_name
    import django

    django.setup()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        timer = self

        class _Block:
            def __enter__(self):
                self.started = time.perf_counter()

            def __exit__(self, *exc):
                timer.seconds[name] = round(time.perf_counter() - self.started, 3)

        return _Block()


def _network(items: int, locations: int) -> None:
    import pandas as pd

    from replenish import models as m
    from replenish.bulk import bulk_insert_frame, reset_sequences

    bulk_insert_frame(
        m.Location,
        pd.DataFrame(
            {
                "id": range(1, locations + 1),
                "code": [f"LOC{i}" for i in range(1, locations + 1)],
                "name": [f"Location {i}" for i in range(1, locations + 1)],
                "external_id": [f"L{i}" for i in range(1, locations + 1)],
                "source": "erp",
                "kind": "warehouse",
                "region": "North",
                "time_zone": "America/Chicago",
                "shipping_cutoff": "15:00",
            }
        ),
    )
    ids = range(1, items + 1)
    bulk_insert_frame(
        m.Item,
        pd.DataFrame(
            {
                "id": ids,
                "sku": [f"SKU-{i:07d}" for i in ids],
                "external_id": [f"ITM{i:07d}" for i in ids],
                "source": "erp",
                "description": "bench item",
                "family": "F",
                "category": "C",
                "base_uom": "EA",
                "unit_cost": "2.5000",
                "unit_price": "4.0000",
                "active": True,
            }
        ),
    )
    bulk_insert_frame(
        m.Supplier,
        pd.DataFrame(
            {
                "id": [1],
                "code": ["ACME"],
                "name": ["Acme"],
                "external_id": ["ACME"],
                "source": "erp",
                "edi_qualifier": "ZZ",
                "edi_interchange_id": "ACME",
                "edi_group_id": "ACME",
                "currency": "USD",
                "contracted_lead_time_days": 14,
                "active": True,
            }
        ),
    )
    reset_sequences(m.Location, m.Item, m.Supplier)


def bench_asn(lines: int, timer: Timer) -> dict:
    from integrations.edi.generate import Envelope
    from integrations.edi.generate_supplier import (
        OutboundAsnLine,
        OutboundAsnOrder,
        OutboundShipNotice,
        generate_856,
    )
    from integrations.edi.x12 import parse_x12
    from integrations.edi_ingest import edi_ingest
    from replenish import models as m

    per_po = 500  # lines per purchase order: 20 POs for 10,000 lines
    with timer("asn_setup_purchase_orders"):
        supplier, location = m.Supplier.objects.get(code="ACME"), m.Location.objects.get(code="LOC1")
        pos, po_lines = [], []
        for n in range(0, lines, per_po):
            po = m.PurchaseOrder(
                number=f"BPO{n // per_po:05d}",
                external_id=f"BPO{n // per_po:05d}",
                supplier=supplier,
                location=location,
                order_date=date(2024, 3, 1),
            )
            pos.append(po)
        m.PurchaseOrder.objects.bulk_create(pos)
        for n in range(lines):
            po_lines.append(
                m.PurchaseOrderLine(
                    order=pos[n // per_po],
                    line_number=n % per_po + 1,
                    item_id=n + 1,
                    quantity_ordered=100,
                    unit_cost=Decimal("2.5"),
                    promised_date=date(2024, 3, 20),
                    external_id=f"BPOL{n}",
                )
            )
        m.PurchaseOrderLine.objects.bulk_create(po_lines, batch_size=5000)
    orders = [
        OutboundAsnOrder(
            po_number=po.number,
            lines=[
                OutboundAsnLine(
                    line_ref=str(k + 1), quantity=Decimal(60), uom="EA", buyer_part=f"SKU-{i + 1:07d}"
                )
                for k, i in enumerate(range(j * per_po, min((j + 1) * per_po, lines)))
            ],
        )
        for j, po in enumerate(pos)
    ]
    envelope = Envelope(
        sender_qualifier="ZZ",
        sender_id="ACME",
        receiver_qualifier="ZZ",
        receiver_id="DISTOPS",
        interchange_control_number=1,
        group_control_number=1,
        transaction_set_control_number=1,
        created_at=datetime(2024, 3, 5, 9, 0),
    )
    with timer("asn_generate"):
        text = generate_856(
            OutboundShipNotice(
                shipment_id="BENCH-1",
                document_date=date(2024, 3, 5),
                ship_date=date(2024, 3, 5),
                expected_arrival=date(2024, 3, 12),
                orders=orders,
            ),
            envelope,
        )
    with timer("asn_parse"):
        parsed = parse_x12(text)
    assert parsed.ok, parsed.all_errors[:3]
    with timer("asn_ingest_end_to_end"):
        message = edi_ingest(data=text, filename="bench-856.x12")
    assert message.status == "applied", message.reason
    shipped = m.ShipmentLine.objects.count()
    return {
        "lines": lines,
        "segments": text.count("~"),
        "bytes": len(text),
        "shipment_lines": shipped,
        "lines_per_second_end_to_end": round(lines / timer.seconds["asn_ingest_end_to_end"]),
    }


def bench_balances(items: int, locations: int, timer: Timer) -> dict:
    import numpy as np
    from django.db import transaction

    from integrations.files.apply import ImportContext
    from integrations.files.balances import apply_balances, prepare_balances
    from integrations.files.importers import file_import
    from integrations.files.reader import read_csv_bytes
    from integrations.files.specs import BALANCES
    from integrations.files.validate import Problems, typed_frame
    from integrations.normalize import Resolver
    from replenish import models as m

    rows = items * locations
    rng = np.random.default_rng(7)

    def make(offset: int) -> bytes:
        skus = np.repeat([f"SKU-{i:07d}" for i in range(1, items + 1)], locations)
        locs = np.tile([f"LOC{j}" for j in range(1, locations + 1)], items)
        on_hand = rng.integers(0, 500, rows) + offset
        allocated = rng.integers(0, 20, rows)
        lines = ["sku,location,on_hand,allocated"]
        lines += [f"{s},{loc},{o},{a}" for s, loc, o, a in zip(skus, locs, on_hand, allocated)]
        return ("\n".join(lines) + "\n").encode()

    with timer("balance_file_generate"):
        first = make(0)
    result = {"rows": rows, "bytes": len(first)}
    with timer("balance_first_import_end_to_end"):
        message = file_import(kind="balances", data=first, filename="balances-1.csv")
    assert message.status == "applied", message.reason
    result["first_import"] = message.summary
    second = make(1000)  # every balance differs: one UPDATE of every row
    with transaction.atomic():
        with timer("balance_read_csv"):
            table = read_csv_bytes(second)
        with timer("balance_validate"):
            problems = Problems(table)
            frame = typed_frame(table, BALANCES, problems)
            ctx = ImportContext(source="file", resolver=Resolver("file"), present=set(table.frame.columns))
            prepare_balances(frame, ctx, problems)
        assert not problems, problems.items[:3]
        with timer("balance_apply_copy_update"):
            summary = apply_balances(frame, ctx)
        transaction.set_rollback(True)  # measured, not kept: the end-to-end run below applies it for real
    result["stage_apply_summary"] = {k: v for k, v in summary.items() if k != "columns"}
    with timer("balance_second_import_end_to_end"):
        message = file_import(kind="balances", data=second, filename="balances-2.csv")
    assert message.status == "applied", message.reason
    result["second_import"] = message.summary
    with timer("balance_replay"):
        file_import(kind="balances", data=second, filename="balances-2.csv")
    assert m.ItemLocation.objects.count() == rows
    result["rows_per_second_update_end_to_end"] = round(
        rows / timer.seconds["balance_second_import_end_to_end"]
    )
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--asn-lines", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=180_000)
    parser.add_argument("--locations", type=int, default=5)
    parser.add_argument("--database-name", default=os.environ.get("BENCH_DATABASE_NAME", "bench_ingest"))
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--fillfactor",
        type=int,
        default=None,
        help="PostgreSQL: set replenish_itemlocation's fillfactor first (e.g. 70 leaves room for "
        "HOT updates: a balance UPDATE then writes no index entries)",
    )
    args = parser.parse_args(argv)
    _setup(args.database_name)
    from django.db import connection

    from integrations.signals import inbound_applied

    # Ingestion only: receivers that re-plan the touched SKU-locations (run in-process without a broker) are
    # another stage with its own benchmark.
    downstream = len(inbound_applied.receivers)
    inbound_applied.receivers = []
    inbound_applied.sender_receivers_cache.clear()
    started = time.perf_counter()
    timer = Timer()
    with timer("create_database_and_migrate"):
        connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        if args.fillfactor and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"ALTER TABLE replenish_itemlocation SET (fillfactor = {int(args.fillfactor)})"
                )
        with timer("network_load"):
            _network(max(args.items, args.asn_lines), args.locations)
        report = {
            "database": connection.vendor,
            "itemlocation_fillfactor": args.fillfactor or 100,
            "asn": bench_asn(args.asn_lines, timer),
            "balances": bench_balances(args.items, args.locations, timer),
        }
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(args.database_name, verbosity=0)
    report["inbound_applied_receivers_disconnected"] = downstream
    report["seconds"] = timer.seconds
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    report["peak_rss_mb"] = round(_rss_mb())
    print(json.dumps(report, indent=2, default=str))
    return report


if __name__ == "__main__":
    main()
