"""Run the benchmarks and print one JSON report (also written to bench/results/latest.json).

    make bench                       # every benchmark at full scale (180,000 SKUs x 5 locations), ~30-40 minutes
    make bench BENCH_ARGS="--quick"  # the same at 20,000 SKUs, a few minutes
    make bench BENCH_ARGS="--only engine plan_write"

The database benchmarks need PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
distops_bench, created when missing). Figures are wall-clock seconds and peak RSS on the machine named in the report;
promises are stated as limits next to each figure, never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/distops_bench"

BENCHMARKS = {
    # name: (script, full-scale args, quick args)
    "generate": ("bench/bench_generate.py", ["--skus", "180000"], ["--skus", "20000"]),
    "engine": (
        "bench/bench_engine.py",
        ["--series", "900000", "--weeks", "104", "--statsforecast"],
        ["--series", "100000", "--weeks", "104", "--statsforecast"],
    ),
    "plan_write": ("bench/bench_plan_write.py", ["--rows", "900000"], ["--rows", "100000"]),
    "plan_refresh": ("bench/bench_plan_refresh.py", [], []),
    "exceptions_refresh": ("bench/bench_exceptions_refresh.py", ["--workers", "2"], ["--workers", "2"]),
    "queue": ("bench/bench_queue.py", [], ["--quick"]),
    # issue 13: 50 planners on a live gunicorn + PostgreSQL for 3 minutes, then saturation (~7 min; --quick ~3)
    "load": ("bench/bench_load.py", [], ["--quick"]),
    "ingest": ("bench/bench_ingest.py", [], ["--items", "20000"]),
    "simulate": ("bench/bench_simulate.py", ["--series", "100000"], ["--series", "20000"]),
    "events": ("bench/bench_events.py", [], ["--quick"]),
    "milestones": ("bench/bench_milestones.py", [], ["--quick"]),
    "hostile_uploads": ("bench/bench_hostile.py", [], ["--strings", "1100000"]),
    # issue 17: 3 scenario seeds x 2 simulation seeds at 20,000 x 5 (about 28 minutes a scenario)
    "robustness": (
        "bench/bench_robustness.py",
        [],
        ["--skus", "5000", "--scenario-seeds", "3", "--seeds", "1"],
    ),
}


def machine() -> dict:
    memory = ""
    with contextlib.suppress(OSError, StopIteration):
        memory = next(
            line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
        )
    return {
        "cpus": os.cpu_count(),
        "memory": memory.split(":")[-1].strip(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def last_json(stdout: str) -> dict:
    """The last JSON object a benchmark printed (one line, or indented over several)."""
    text = stdout.strip()
    for start in [i for i, c in enumerate(text) if c == "{" and (i == 0 or text[i - 1] == "\n")][::-1]:
        try:
            return json.loads(text[start:])
        except json.JSONDecodeError:
            continue
    return {"error": "no JSON in the output", "stdout": stdout[-2000:]}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=sorted(BENCHMARKS))
    args = parser.parse_args()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB),
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
    }
    report = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "quick": args.quick,
        "results": {},
    }
    for name in args.only or list(BENCHMARKS):
        script, full, quick = BENCHMARKS[name]
        if not (ROOT / script).exists():
            report["results"][name] = {"skipped": f"{script} not present"}
            continue
        command = [sys.executable, str(ROOT / script), *(quick if args.quick else full)]
        print(f"--- {name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        elapsed = round(time.perf_counter() - started, 1)
        if done.returncode != 0:
            report["results"][name] = {"error": done.stderr[-3000:], "seconds": elapsed}
            print(done.stderr[-3000:], file=sys.stderr)
            continue
        report["results"][name] = last_json(done.stdout)
        print(json.dumps(report["results"][name]), file=sys.stderr, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("latest-quick.json" if args.quick else "latest.json")).write_text(
        json.dumps(report, indent=2)
    )
    print(json.dumps(report, indent=2))
    return 0 if not any("error" in r for r in report["results"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
