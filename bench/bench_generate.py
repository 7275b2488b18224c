"""Benchmark: generate_scenario on PostgreSQL (time and peak memory of the command)."""

import argparse
import json
import subprocess
import sys
import time

from _django import ROOT, ensure_database, peak_rss_mb

parser = argparse.ArgumentParser()
parser.add_argument("--skus", type=int, default=180_000)
parser.add_argument("--locations", type=int, default=5)
parser.add_argument("--weeks", type=int, default=104)
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
ensure_database()
subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
started = time.perf_counter()
subprocess.run(
    [
        sys.executable,
        "manage.py",
        "generate_scenario",
        "--skus",
        str(args.skus),
        "--locations",
        str(args.locations),
        "--weeks",
        str(args.weeks),
        "--seed",
        "7",
        "--replace",
        "-v0",
    ],
    cwd=ROOT,
    check=True,
    stdout=subprocess.DEVNULL,
)
seconds = time.perf_counter() - started
print(
    json.dumps(
        {
            "skus": args.skus,
            "locations": args.locations,
            "weeks": args.weeks,
            "seconds": round(seconds, 1),
            "limit_seconds": 600,
            "peak_rss_mb": peak_rss_mb(children=True),
            "limit_rss_mb": 6144,
        }
    )
)
