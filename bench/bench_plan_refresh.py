"""Benchmark: a full plan refresh of the benchmark database in one process (engine chunks, writes, then the
exceptions refresh it triggers), with the per-stage engine timings summed over chunks."""

import argparse
import json
import time

from _django import peak_rss_mb, setup

parser = argparse.ArgumentParser()
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
setup()

from exceptions.models import PlanningException  # noqa: E402
from replenish.models import PlanRun  # noqa: E402
from replenish.planning.refresh import plan_refresh  # noqa: E402

started = time.perf_counter()
run = plan_refresh(inline=True)
total = time.perf_counter() - started
run.refresh_from_db()
chunk_seconds = sum(run.chunks.values_list("seconds", flat=True))
print(
    json.dumps(
        {
            "series": run.series_count,
            "recommendations": run.recommendation_count,
            "chunks": run.chunks_total,
            "plan_chunks_seconds": round(chunk_seconds, 1),
            "engine_stage_seconds": run.timings,
            "total_with_exceptions_seconds": round(total, 1),
            "open_exceptions": PlanningException.objects.filter(status="open").count(),
            "status": run.status,
            "peak_rss_mb": peak_rss_mb(),
            "runs": PlanRun.objects.count(),
        }
    )
)
