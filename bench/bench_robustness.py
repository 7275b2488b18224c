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
simulation seeds took 28 minutes with two scenarios at a time on the 2-core machine (2026-12-07).

Car-parts mode (issue 17's real-demand acceptance), on SQLite:

    python bench/bench_robustness.py --carparts                        # seeds 1-5, random and even days
    python bench/bench_robustness.py --carparts --targets 0.95,0.98 --jobs 2

imports tests/fixtures/carparts-half.csv into its own SQLite database (`--database`, created when missing) and
runs `simulate --demand actuals --location CP1 --weeks 52 --seeds ...` once per day spread (static and dynamic,
with the static frontier: the reduction at equal fill), then once per day spread with `--targets` (dynamic only).
Prints per run each class's achieved fill against its target, the network fill and the reduction against the
static curve at equal fill, then whether every class held within 1.5 points and the reduction was at least 18%.
Every car part is class C (default target 90%), so the default run is also the 0.90 level of the sweep. About
1 minute a run on the shared 2-core machine; `--jobs 2` runs the two day spreads side by side.
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
    parser.add_argument("--carparts", action="store_true", help="the car-parts grid (see the module doc)")
    parser.add_argument("--database", default=CARPARTS_DB, help="--carparts: its SQLite file")
    parser.add_argument("--spreads", default="random,even", help="--carparts: day spreads")
    parser.add_argument(
        "--targets", default="", help="--carparts: target levels for every class, e.g. 0.95,0.98"
    )
    parser.add_argument("--jobs", type=int, default=1, help="--carparts: day spreads run side by side")
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--locations", type=int, default=5)
    parser.add_argument("--scenario-seeds", type=int, nargs="+", default=[1, 3, 7])
    parser.add_argument("--seeds", default="1,2", help="simulation seeds, as simulate --seeds takes them")
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--fresh", action="store_true", help="regenerate the scenarios")
    args = parser.parse_args(argv)
    if args.carparts:
        return carparts(args)

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


# --- car parts ------------------------------------------------------------------------------------------------

CARPARTS_DB = "/tmp/distops_carparts.sqlite3"
CARPARTS_FILE = ROOT / "tests" / "fixtures" / "carparts-half.csv"
CARPARTS_TOLERANCE = 0.015  # every class within 1.5 points of its target
CARPARTS_REDUCTION = 0.18  # at least 18% less than the static curve at equal fill


def carparts(args: argparse.Namespace) -> dict:
    """The car-parts grid: per day spread, the default targets (with the static frontier) and the --targets."""
    from concurrent.futures import ThreadPoolExecutor

    path = Path(args.database)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    if args.fresh and path.exists():
        path.unlink()
    if not path.exists():
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(
            env, "import_file", "demand", str(CARPARTS_FILE), "--format", "wide-monthly", "--location", "CP1",
            "--create-missing",
        )  # fmt: skip
    common = ["--demand", "actuals", "--location", "CP1", "--weeks", "52", "--json", "--no-save"]
    common += ["--seeds", args.seeds if args.seeds != "1,2" else "1-5"]
    jobs = []
    for spread in [s.strip() for s in args.spreads.split(",") if s.strip()]:
        jobs.append((spread, None, [*common, "--day-spread", spread, "--policy", "static,dynamic"]))
        if args.targets:
            sweep = ["--targets", args.targets, "--policy", "dynamic", "--no-frontier"]
            jobs.append((spread, args.targets, [*common, "--day-spread", spread, *sweep]))

    def run(job: tuple[str, str | None, list[str]]) -> list[dict]:
        spread, levels, options = job
        started = time.perf_counter()
        report = json.loads(manage(env, "simulate", *options))
        seconds = round(time.perf_counter() - started, 1)
        print(f"{spread} {levels or 'default'}: {seconds} s", file=sys.stderr, flush=True)
        runs = report["sweep"]["runs"] if "sweep" in report else [report_run(report)]
        return [carparts_row(spread, run, seconds / len(runs)) for run in runs]

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = [row for rows in pool.map(run, jobs) for row in rows]
    out = {"mode": "carparts", "runs": rows, **carparts_summary(rows), "load_average_1m": os.getloadavg()[0]}
    print(carparts_table(rows), file=sys.stderr)
    print(json.dumps(out, indent=2))
    return out


def report_run(report: dict) -> dict:
    """A single run's report in the shape of a sweep run (sweep.run_summary), without Django."""
    return {
        "seed": report["parameters"]["seed"],
        "target_level": None,
        "totals": {name: data["total"] for name, data in report["policies"].items()},
        "acceptance": report.get("acceptance", {}),
        "attainment": report.get("attainment", {}),
    }


def carparts_row(spread: str, run: dict, seconds: float) -> dict:
    check = run["acceptance"].get("dynamic", {})
    classes = {
        segment: {"target": cell["target"], "achieved": cell["achieved"], "gap": cell["gap"]}
        for segment, cell in run["attainment"].get("dynamic", {}).items()
        if cell.get("gap") is not None
    }
    return {
        "spread": spread,
        "level": run["target_level"],
        "seed": run["seed"],
        "fill": run["totals"]["dynamic"]["unit_fill_rate"],
        "reduction_at_equal_fill": check.get("inventory_reduction_at_equal_fill"),
        "classes": classes,
        "off": sorted(s for s, c in classes.items() if abs(c["gap"]) > CARPARTS_TOLERANCE),
        "seconds": round(seconds, 1),
    }


def carparts_summary(rows: list[dict]) -> dict:
    """Per (spread, level): the spread of each class's gap and of the reduction; runs within tolerance."""
    groups: dict[str, dict] = {}
    for row in rows:
        key = f"{row['spread']} {'default' if row['level'] is None else row['level']}"
        group = groups.setdefault(key, {"gaps": {}, "reductions": [], "runs": 0, "runs_on_target": 0})
        for segment, cell in row["classes"].items():
            group["gaps"].setdefault(segment, []).append(cell["gap"])
        if row["reduction_at_equal_fill"] is not None:
            group["reductions"].append(row["reduction_at_equal_fill"])
        group["runs"] += 1
        group["runs_on_target"] += not row["off"]
    for group in groups.values():
        group["gaps"] = {s: [min(g), max(g)] for s, g in group["gaps"].items()}
        reductions = group.pop("reductions")
        group["reduction"] = [min(reductions), max(reductions)] if reductions else None
    held = all(not row["off"] for row in rows) and all(
        row["reduction_at_equal_fill"] is None or row["reduction_at_equal_fill"] >= CARPARTS_REDUCTION
        for row in rows
    )
    return {"by_spread_and_level": groups, "acceptance_held": held}


def carparts_table(rows: list[dict]) -> str:
    segments = sorted({s for row in rows for s in row["classes"]})
    lines = [
        "spread  level    seed  fill    " + "  ".join(f"{s} achieved (gap)" for s in segments) + "  vs static"
    ]
    for row in rows:
        cells = []
        for segment in segments:
            cell = row["classes"].get(segment)
            cells.append(
                "-" if cell is None else f"{cell['achieved']:.1%} ({100 * cell['gap']:+.1f})".ljust(17)
            )
        reduction = row["reduction_at_equal_fill"]
        level = "default" if row["level"] is None else f"{row['level']:.2f}"
        lines.append(
            f"{row['spread']:<7} {level:<8} {row['seed']:<5} {row['fill']:.1%}  " + "  ".join(cells)
            + ("" if reduction is None else f"  {-reduction:+.1%}")
        )  # fmt: skip
    return "\n".join(lines)


def _single(report: dict) -> dict:
    from replenish.evaluation.sweep import run_summary  # Django is set up by main()

    return run_summary(report, seed=report["parameters"]["seed"], level=None)


if __name__ == "__main__":
    main()
