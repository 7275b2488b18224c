"""Benchmark: writing the plan of N SKU-locations to PostgreSQL (COPY) against Django's bulk_create on a sample."""

import argparse
import json
import time

import numpy as np
import pandas as pd
from _django import setup

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=900_000)
parser.add_argument("--bulk-create-sample", type=int, default=20_000)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
setup()

from django.db import transaction  # noqa: E402

from replenish import models as m  # noqa: E402
from replenish.bulk import bulk_insert_frame  # noqa: E402

ids = np.fromiter(
    m.ItemLocation.objects.order_by("pk").values_list("pk", flat=True)[: args.rows], dtype=np.int64
)
if len(ids) < args.rows:
    raise SystemExit(f"only {len(ids)} SKU-locations in the benchmark database: run bench_generate first")
rng = np.random.default_rng(1)
frame = pd.DataFrame(
    {
        "item_location_id": ids,
        "demand_class": "intermittent",
        "abc": "C",
        "xyz": "Z",
        "method": "croston_sba",
        "forecast_weekly": rng.random(len(ids)),
        "forecast_sd_weekly": rng.random(len(ids)),
        "mase": rng.random(len(ids)),
        "bias": rng.random(len(ids)),
        "lead_time_mean": 14.0,
        "lead_time_sd": 3.0,
        "lead_time_source": "supplier_item",
        "lead_time_unstable": False,
        "target_type": "fill_rate",
        "service_target": 0.95,
        "safety_stock": rng.random(len(ids)),
        "reorder_point": rng.random(len(ids)),
        "order_up_to": rng.random(len(ids)),
        "order_quantity": rng.random(len(ids)),
        "inventory_position": rng.random(len(ids)),
        "stockout_probability": rng.random(len(ids)),
        "projected_stockout_date": None,
        "flags": "[]",
    }
)
with transaction.atomic():
    run = m.PlanRun.objects.create(status="failed", error="benchmark")
    frame["run_id"] = run.pk
    started = time.perf_counter()
    bulk_insert_frame(m.SkuPlan, frame)
    copy_seconds = time.perf_counter() - started
    sample = frame.iloc[: args.bulk_create_sample]
    objects = [
        m.SkuPlan(**{k: v for k, v in row.items() if k != "flags"}, flags=[])
        for row in sample.to_dict("records")
    ]
    m.SkuPlan.objects.filter(run=run, item_location_id__in=sample.item_location_id.tolist()).delete()
    started = time.perf_counter()
    m.SkuPlan.objects.bulk_create(objects, batch_size=5_000)
    bulk_seconds = (time.perf_counter() - started) * len(frame) / len(sample)
    transaction.set_rollback(True)
print(
    json.dumps(
        {
            "rows": len(frame),
            "columns": len(frame.columns),
            "copy_seconds": round(copy_seconds, 1),
            "limit_seconds": 30,
            "bulk_create_seconds_extrapolated": round(bulk_seconds, 1),
            "speedup": round(bulk_seconds / copy_seconds, 1),
        }
    )
)
