"""Benchmark: an exceptions refresh of the current plan run, chunked across Celery workers.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/5 python bench/bench_exceptions_refresh.py \
        [--workers 2] [--inline]

With REDIS_URL it starts `--workers` Celery worker processes (one task each at a time) on the same database,
dispatches the refresh (one task per chunk: exceptions.refresh.exceptions_refresh_dispatch) and measures the wall
time until the last chunk has run the finish (the tasks spanning chunks, then ANALYZE). --inline (or no REDIS_URL)
runs the same chunks in this process. Needs a generated scenario with a current plan run (bench_generate, then
`manage.py plan_refresh`). Reports the tasks the refresh left open against the SKU-locations, and each buyer's To
do against their capacity.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from _django import ROOT, peak_rss_mb, setup

parser = argparse.ArgumentParser()
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--inline", action="store_true")
parser.add_argument("--timeout", type=float, default=1800)
args = parser.parse_args()
setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import Q  # noqa: E402

from exceptions.attention import above_floor_q, team_floors  # noqa: E402
from exceptions.models import TODO, PlanningException, RefreshChunk  # noqa: E402
from exceptions.refresh import exceptions_refresh, exceptions_refresh_dispatch  # noqa: E402
from exceptions.selectors import queue_counts  # noqa: E402
from replenish.models import ItemLocation, PlanRun  # noqa: E402


def start_workers(n: int) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "celery", "-A", "replenish", "worker", "-l", "WARNING", "-c", "1"]
    command += ["--without-gossip", "--without-mingle", "--prefetch-multiplier", "1"]
    return [
        subprocess.Popen(
            [*command, "-n", f"bench-exc-{os.getpid()}-{k}@%h"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for k in range(n)
    ]


def main() -> int:
    run = PlanRun.objects.filter(is_current=True).first()
    if run is None:
        print(json.dumps({"error": "no current plan run: generate a scenario and run plan_refresh first"}))
        return 1
    live = bool(os.environ.get("REDIS_URL")) and not args.inline
    workers = start_workers(args.workers) if live else []
    try:
        if live:
            time.sleep(8)  # the workers connect to the broker
        started = time.perf_counter()
        if live:
            with transaction.atomic():
                batch = exceptions_refresh_dispatch(run=run)
            deadline = started + args.timeout
            while time.perf_counter() < deadline:
                if RefreshChunk.objects.filter(batch=batch, number=0, status="done").exists():
                    head = RefreshChunk.objects.get(batch=batch, number=0)
                    if "result" in head.result:
                        break
                time.sleep(0.5)
            seconds = time.perf_counter() - started
            head = RefreshChunk.objects.get(batch=batch, number=0)
            result = head.result.get("result", {})
            chunk_seconds = sorted(
                RefreshChunk.objects.filter(batch=batch, number__gt=0).values_list("seconds", flat=True)
            )
        else:
            outcome = exceptions_refresh(run=run)
            seconds = time.perf_counter() - started
            result = dict(vars(outcome))
            chunk_seconds = []
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
    sku_locations = ItemLocation.objects.count()
    floors = team_floors()
    todo = Q(status__in=TODO)
    open_tasks = PlanningException.objects.filter(todo & above_floor_q(floors)).count()
    buyers = {}
    for user in get_user_model().objects.filter(groups__name="buyer").order_by("username"):
        counts = queue_counts(user)
        buyers[user.username] = {k: counts.get(k) for k in ("open", "later", "low")}
    print(
        json.dumps(
            {
                "mode": f"{args.workers} Celery workers" if live else "in process",
                "sku_locations": sku_locations,
                "seconds": round(seconds, 1),
                "limit_seconds": 120,
                "chunks": len(chunk_seconds) or result.get("chunks"),
                "slowest_chunk_seconds": chunk_seconds[-1] if chunk_seconds else None,
                "created": result.get("created"),
                "updated": result.get("updated"),
                "closed": result.get("closed"),
                "auto_executed": result.get("auto_executed"),
                "timings": result.get("timings"),
                "open_tasks_above_floor": open_tasks,
                "open_tasks_share": round(open_tasks / max(sku_locations, 1), 4),
                "low_value_tasks": PlanningException.objects.filter(todo & ~above_floor_q(floors)).count(),
                "buyers": buyers,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
