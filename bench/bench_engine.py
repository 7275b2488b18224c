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
    parser.add_argument(
        "--statsforecast",
        action="store_true",
        help="also time statsforecast's CrostonSBA and TSB on the same panel and report the ratio",
    )
    parser.add_argument(
        "--statsforecast-series",
        type=int,
        default=100_000,
        help="series of the panel given to statsforecast (it is timed on this subset, ours too)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as one JSON line")
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
    if args.statsforecast:
        report["statsforecast"] = compare_statsforecast(inputs.demand, args.statsforecast_series)
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))
    failed = (args.max_seconds is not None and run_seconds > args.max_seconds) or (
        args.max_rss_gb is not None and peak_rss_mb > args.max_rss_gb * 1024
    )
    if failed:
        raise SystemExit(1)
    return report


def compare_statsforecast(demand, n_series: int) -> dict:
    """Croston-SBA and TSB one-step forecasts for the same series by our vectorized recursions and by
    statsforecast (numba, per series); wall time of each and the ratio, and the largest forecast difference."""
    import numpy as np
    import pandas as pd

    try:
        from statsforecast import StatsForecast
        from statsforecast.models import TSB, CrostonSBA
    except ImportError:
        return {"skipped": "statsforecast is not installed (pip install -e '.[bench]')"}
    from replenish.engine.smoothing import croston_sba_forecasts, tsb_forecasts

    panel = np.nan_to_num(np.asarray(demand[:n_series], dtype=np.float64))  # statsforecast needs no gaps
    panel = panel[(panel > 0).sum(axis=1) >= 2]  # statsforecast's Croston fails on series with < 2 demands
    n, weeks = panel.shape
    alpha, alpha_p = 0.1, 0.1
    started = time.perf_counter()
    ours_sba = croston_sba_forecasts(panel.T, alpha=alpha)[-1]
    ours_tsb = tsb_forecasts(panel.T, alpha=alpha, beta=alpha_p)[-1]
    ours_seconds = time.perf_counter() - started
    long = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), weeks),
            "ds": np.tile(np.arange(1, weeks + 1), n),
            "y": panel.ravel(),
        }
    )
    engine = StatsForecast(models=[CrostonSBA(), TSB(alpha_d=alpha, alpha_p=alpha_p)], freq=1, n_jobs=1)
    engine.forecast(df=long.head(weeks * 10), h=1)  # numba compilation outside the timing
    started = time.perf_counter()
    theirs = engine.forecast(df=long, h=1)
    theirs_seconds = time.perf_counter() - started
    theirs = theirs.sort_values("unique_id")
    return {
        "series": n,
        "weeks": weeks,
        "distops_seconds": round(ours_seconds, 2),
        "statsforecast_seconds": round(theirs_seconds, 2),
        "statsforecast_over_distops": round(theirs_seconds / max(ours_seconds, 1e-9), 1),
        "max_abs_difference_tsb": float(np.nanmax(np.abs(theirs["TSB"].to_numpy() - ours_tsb))),
        "max_abs_difference_croston_sba": float(
            np.nanmax(np.abs(theirs["CrostonSBA"].to_numpy() - ours_sba))
        ),
        "note": "statsforecast initialises Croston differently; differences are expected on short histories",
    }


if __name__ == "__main__":
    main()
