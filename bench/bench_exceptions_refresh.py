"""Benchmark: an exceptions refresh of the current plan run, chunked across Celery workers.

    DATABASE_URL=postgres://... REDIS_URL=redis://127.0.0.1:6379/5 python bench/bench_exceptions_refresh.py \
        [--workers 2] [--inline] [--keep] [--day-offset N]

It measures the FIRST refresh of the current plan run (every task created), every time it is run: it first removes
every exception, its decisions and the outbox messages of exceptions (TRUNCATE; the audit chain is append-only and
keeps its events), so the database can be re-used as it is. --keep measures a refresh over the tasks already there
instead (what a refresh after a plan change costs).

--day-offset N runs the refresh, here and in the workers, as if the local date were N days later (bench/_day_offset.py:
Django's clock and the plan run's as-of date moved on; production code untouched), so the first refresh of a local day
can be measured on demand: its order-line ATP sync rewrites the customer-service tasks whose promises or reasons move
with the date. Run it twice with the same N: the first run is the first refresh of that day, the second the day's
second (a later run without the offset is again a first of its day, the tasks moving back).

With REDIS_URL it starts `--workers` Celery worker processes (one task each at a time) on the same database,
dispatches the refresh (one task per chunk: exceptions.refresh.exceptions_refresh_dispatch) and measures the wall
time until the last chunk has run the finish (the tasks spanning chunks, then ANALYZE). --inline (or no REDIS_URL)
runs the same chunks in this process. Needs a generated scenario with a current plan run (bench_generate, then
`manage.py plan_refresh`). Reports the open human tasks the refresh left against the SKU-locations (issue 12's
acceptance: at most 5%; exceptions.attention_report, as `manage.py attention_report`), per tab, team and buyer (To
do against their capacity), and what the automation policies executed.
"""

import argparse
import json
import os
import subprocess
import sys
import time

from _day_offset import days_on
from _django import ROOT, peak_rss_mb, setup

parser = argparse.ArgumentParser()
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--inline", action="store_true")
parser.add_argument("--timeout", type=float, default=1800)
parser.add_argument("--keep", action="store_true", help="keep the existing tasks (not a first refresh)")
parser.add_argument("--day-offset", type=int, default=0, help="run as if the local date were N days later")
args = parser.parse_args()
setup()
days_on(args.day_offset)

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from exceptions.attention_report import attention_summary  # noqa: E402
from exceptions.models import Decision, PlanningException, RefreshChunk  # noqa: E402
from exceptions.refresh import exceptions_refresh, exceptions_refresh_dispatch  # noqa: E402
from exceptions.refresh.jobs import run_as_of  # noqa: E402  (moved by --day-offset, as the refresh's)
from integrations.models import OutboxMessage  # noqa: E402
from replenish.models import PlanRun  # noqa: E402


def reset() -> None:
    """No exception left (a first refresh follows): tasks, their decisions, their outbox messages."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Decision._meta.db_table}, {PlanningException._meta.db_table}")
    else:
        Decision.objects.all().delete()
        PlanningException.objects.all().delete()
    OutboxMessage.objects.filter(subject_type="exception").delete()
    # the chunks of an interrupted earlier run are not computed by this run's workers (chunk_compute skips them)
    RefreshChunk.objects.filter(status=RefreshChunk.Status.PENDING).update(status=RefreshChunk.Status.SKIPPED)


def start_workers(n: int) -> list[subprocess.Popen]:
    python = [sys.executable]
    if args.day_offset:  # the workers' date moved on as this process's
        python += [str(ROOT / "bench" / "_day_offset.py"), str(args.day_offset)]
    command = [*python, "-m", "celery", "-A", "replenish", "worker", "-l", "WARNING", "-c", "1"]
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
    if not args.keep:
        reset()
    load_before = os.getloadavg()
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
            chunks = RefreshChunk.objects.filter(batch=batch, number__gt=0)
            chunk_seconds = sorted(chunks.values_list("seconds", flat=True))
            chunk_results = list(chunks.values_list("result", flat=True))
            chunk_cpu = sorted(c.get("cpu_seconds", 0.0) for c in chunk_results)
            db_cpu = [c["db_cpu_seconds"] for c in chunk_results if "db_cpu_seconds" in c]
        else:
            outcome = exceptions_refresh(run=run)
            seconds = time.perf_counter() - started
            result = dict(vars(outcome))
            chunk_seconds, chunk_cpu, db_cpu = [], [], []
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:  # a worker busy posting outbox messages the refresh queued: stopped
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    attention = attention_summary()
    print(
        json.dumps(
            {
                "mode": f"{args.workers} Celery workers" if live else "in process",
                "first_refresh": not args.keep,
                "day_offset": args.day_offset,
                "as_of": str(run_as_of(run)),
                "today": str(timezone.localdate()),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "sku_locations": attention["sku_locations"],
                "seconds": round(seconds, 1),
                "limit_seconds": 120,
                "chunks": len(chunk_seconds) or result.get("chunks"),
                "slowest_chunk_seconds": chunk_seconds[-1] if chunk_seconds else None,
                "chunk_seconds_total": round(sum(chunk_seconds), 1),
                # CPU time of the worker process per chunk (PostgreSQL's own time not included): insensitive to
                # other jobs on the machine, unlike the wall times
                "chunk_cpu_seconds_total": round(sum(chunk_cpu), 1),
                "slowest_chunk_cpu_seconds": chunk_cpu[-1] if chunk_cpu else None,
                # CPU time of the chunks' PostgreSQL backends (read from /proc when the server runs on this machine)
                "chunk_db_cpu_seconds_total": round(sum(db_cpu), 1) if db_cpu else None,
                "created": result.get("created"),
                "updated": result.get("updated"),
                "closed": result.get("closed"),
                "auto_executed": result.get("auto_executed"),
                "timings": result.get("timings"),
                "cpu_seconds": result.get("cpu"),
                "attention": attention,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
