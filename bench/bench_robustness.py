"""Robustness of the service targets (issue 17): the policy simulation on several generated scenarios and
simulation seeds, reporting the spread of DistOps' inventory reduction against static min-max and of each class's
gap to its target.

    python bench/bench_robustness.py                                   # 20,000 x 5, scenario seeds 1 3 7, seeds 1,2
    python bench/bench_robustness.py --skus 5000 --scenario-seeds 3 --seeds 1

Each scenario lives in a PostgreSQL database of its own, named after the benchmark database with `_robust_s<seed>`
(created, migrated and generated when missing; `--fresh` regenerates). Each scenario runs `manage.py simulate
--weeks 26 --policy static,dynamic --no-frontier --seeds ...` in a subprocess (service calibration included, as
the command runs it). Prints JSON: per run the fills, the inventory reduction and the per-class gaps (classes of
at least 200 SKU-locations), their spread over the runs (`replenish.evaluation.sweep.robustness_summary`), wall
seconds per scenario, the 1-minute load average. The runs are CPU-bound: one 20,000 x 5 scenario with two
simulation seeds is about 8 minutes of one core on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/distops_bench"
AS_OF = "2026-11-23"


def scenario_database(base_url: str, seed: int, *, fresh: bool) -> tuple[str, bool]:
    """(URL of the scenario's own database, whether it must be generated)."""
    import psycopg

    url = urlparse(base_url)
    name = f"{url.path.lstrip('/')}_robust_s{seed}"
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
        if not exists or fresh:
            conn.execute(f'CREATE DATABASE "{name}"')
    return url._replace(path=f"/{name}").geturl(), bool(fresh or not exists)


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--locations", type=int, default=5)
    parser.add_argument("--scenario-seeds", type=int, nargs="+", default=[1, 3, 7])
    parser.add_argument("--seeds", default="1,2", help="simulation seeds, as simulate --seeds takes them")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--fresh", action="store_true", help="regenerate the scenarios")
    args = parser.parse_args(argv)

    from _django import setup  # bench/ is the script's directory: on sys.path

    setup()
    from replenish.evaluation.sweep import robustness_summary

    base = os.environ.get("DATABASE_URL", DEFAULT_DB)
    runs, seconds = [], {}
    for scenario_seed in args.scenario_seeds:
        started = time.perf_counter()
        url, generate = scenario_database(base, scenario_seed, fresh=args.fresh)
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "PYTHONPATH": str(ROOT)}
        if generate:
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(
                env, "generate_scenario", "--skus", str(args.skus), "--locations", str(args.locations),
                "--weeks", "104", "--seed", str(scenario_seed), "--as-of", AS_OF,
            )  # fmt: skip
        report = json.loads(
            manage(
                env,
                "simulate",
                "--weeks",
                str(args.weeks),
                "--policy",
                "static,dynamic",
                "--no-frontier",
                "--no-save",
                "--json",
                "--seeds",
                args.seeds,
            )  # fmt: skip
        )
        summaries = report["sweep"]["runs"] if "sweep" in report else [_single(report)]
        runs.extend((scenario_seed, summary) for summary in summaries)
        seconds[str(scenario_seed)] = round(time.perf_counter() - started, 1)
        print(f"scenario seed {scenario_seed}: {seconds[str(scenario_seed)]} s", file=sys.stderr, flush=True)
    out = {
        "mode": "robustness",
        "skus": args.skus,
        "locations": args.locations,
        "scenario_seeds": args.scenario_seeds,
        "seeds": args.seeds,
        "seconds_per_scenario": seconds,
        **robustness_summary(runs),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(out, indent=2))
    return out


def _single(report: dict) -> dict:
    from replenish.evaluation.sweep import run_summary  # Django is set up by main()

    return run_summary(report, seed=report["parameters"]["seed"], level=None)


if __name__ == "__main__":
    main()
