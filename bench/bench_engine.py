"""Benchmark the replenishment engine on a synthetic panel.

    python bench/bench_engine.py --series 900000 --weeks 104

Prints JSON: panel size, synthetic-data build time, per-stage timings of run_plan, wall and CPU time of run_plan,
the 1-minute load average at the end (other processes inflate wall time on a shared machine), peak RSS of the
process (resource.getrusage, includes the synthetic inputs) and the RSS before run_plan, and counts.
Target: run_plan <= 60 s and peak RSS <= 6 GB at 900,000 x 104 on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replenish.engine import make_synthetic_panel, run_plan  # noqa: E402


def _rss_mb(path: str = "/proc/self/status", field: str = "VmRSS") -> float:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=None, help="exit 1 when run_plan takes longer")
    parser.add_argument("--max-rss-gb", type=float, default=None, help="exit 1 when peak RSS is higher")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    inputs = make_synthetic_panel(args.series, args.weeks, seed=args.seed)
    build_seconds = time.perf_counter() - started
    rss_before_mb = _rss_mb()

    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = run_plan(inputs)
    run_seconds = time.perf_counter() - started
    usage_after = resource.getrusage(resource.RUSAGE_SELF)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes

    report = {
        "series": args.series,
        "weeks": args.weeks,
        "build_inputs_seconds": round(build_seconds, 2),
        "run_plan_seconds": round(run_seconds, 2),
        # CPU time is what the machine's other load cannot inflate (wall time can, on a shared 2-core box)
        "run_plan_cpu_user_seconds": round(usage_after.ru_utime - usage_before.ru_utime, 2),
        "run_plan_cpu_system_seconds": round(usage_after.ru_stime - usage_before.ru_stime, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "stage_seconds": result.timings,
        "rss_before_run_plan_mb": round(rss_before_mb, 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "recommendations": int(len(result.recommendations)),
        "recommendations_by_action": result.recommendations["action"].value_counts().to_dict(),
        "methods": result.plan["method"].value_counts().to_dict(),
        "demand_classes": result.plan["demand_class"].value_counts().to_dict(),
    }
    print(json.dumps(report, indent=2))
    failed = (args.max_seconds is not None and run_seconds > args.max_seconds) or (
        args.max_rss_gb is not None and peak_rss_mb > args.max_rss_gb * 1024
    )
    if failed:
        raise SystemExit(1)
    return report


if __name__ == "__main__":
    main()
