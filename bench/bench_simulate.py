"""Benchmark the policy simulator.

    python bench/bench_simulate.py --series 100000 --days 273        # the simulator alone, synthetic panel
    python bench/bench_simulate.py --end-to-end --weeks 26           # `manage.py simulate` on DATABASE_URL

The first form times replenish.engine.simulate on a synthetic panel (Poisson demand of varied rates, random lead
times) under the three policy set-ups of the evaluation: static (s, S), the same with revisions every 28 days, and
with transfers and expediting. The second runs the whole evaluation (load, plans, simulations, static frontier)
on the generated scenario in the database at DATABASE_URL (default: the benchmark database; generate_scenario
first). Prints JSON: seconds per step, peak RSS, the 1-minute load average.
Target (issue): the 20,000 SKU x 5 location evaluation in a few minutes on 2 cores.
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


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def simulator_only(series: int, days: int, seed: int) -> dict:
    import numpy as np

    from replenish.engine.simulate import (
        ExpediteOption,
        InventoryPolicy,
        PolicyRevision,
        Scenario,
        SimulationOptions,
        TransferOption,
        seeded_lead_time_sampler,
        simulate,
    )

    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    rate = rng.lognormal(0.0, 1.2, series)
    demand = rng.poisson(rate[:, None], (series, days)).astype(float)
    mean_lead = rng.uniform(5, 40, series)
    scenario = Scenario(
        demand=demand,
        lead_times=seeded_lead_time_sampler(lambda u, i: mean_lead[i] * (0.6 + 0.8 * u), seed),
        initial_on_hand=np.ceil(rate * 30),
        unit_cost=rng.uniform(1, 50, series),
        item_group=np.arange(series) // 5,
        planning_lead_time_days=mean_lead,
    )
    build = time.perf_counter() - started
    reorder_point = np.ceil(rate * (mean_lead + 1) * 1.3)
    order_up_to = reorder_point + np.ceil(rate * 28)
    revisions = tuple(
        PolicyRevision(
            day, reorder_point * (1 + 0.05 * (k % 3)), order_up_to=order_up_to * (1 + 0.05 * (k % 3))
        )
        for k, day in enumerate(range(28, days, 28))
    )
    runs = {
        "static": (
            InventoryPolicy(reorder_point, order_up_to, pack_size=5),
            SimulationOptions(warmup_days=91),
        ),
        "revised": (
            InventoryPolicy(reorder_point, order_up_to, pack_size=5, revisions=revisions),
            SimulationOptions(warmup_days=91),
        ),
        "transfers_expedites": (
            InventoryPolicy(reorder_point, order_up_to, pack_size=5, revisions=revisions),
            SimulationOptions(
                warmup_days=91, transfers=TransferOption(), expedite=ExpediteOption(days_saved=5)
            ),
        ),
    }
    seconds = {}
    fill = {}
    for name, (policy, options) in runs.items():
        started = time.perf_counter()
        result = simulate(scenario, policy, options)
        seconds[name] = round(time.perf_counter() - started, 2)
        fill[name] = round(float(result.total["unit_fill_rate"].iloc[0]), 4)
    return {
        "mode": "simulator",
        "series": series,
        "days": days,
        "build_seconds": round(build, 2),
        "simulate_seconds": seconds,
        "unit_fill_rate": fill,
        "peak_rss_mb": _peak_rss_mb(),
    }


def end_to_end(weeks: int, replan_weeks: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "replenish.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/distops_bench")
    import django

    django.setup()
    from replenish.evaluation.simulation import simulation_run

    started = time.perf_counter()
    report = simulation_run(weeks=weeks, replan_weeks=replan_weeks)
    return {
        "mode": "end_to_end",
        "series": report["parameters"]["n_series"],
        "weeks": weeks,
        "replan_weeks": replan_weeks,
        "wall_seconds": round(time.perf_counter() - started, 1),
        "timings": report["timings"],
        "peak_rss_mb": _peak_rss_mb(),
        "acceptance": report["acceptance"],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=273, help="13 warm-up + 26 measured weeks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--end-to-end", action="store_true", help="the whole evaluation on DATABASE_URL")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--replan-weeks", type=int, default=4)
    args = parser.parse_args(argv)
    if args.end_to_end:
        report = end_to_end(args.weeks, args.replan_weeks)
    else:
        report = simulator_only(args.series, args.days, args.seed)
    report["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
