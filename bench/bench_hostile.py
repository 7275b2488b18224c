"""Hostile uploads (issue 13 item 7): time and peak memory to refuse a 1.5 MB zip-bomb XLSX and an XLSX with too
many shared strings, each in a fresh process (limits: 2 s and 200 MB RSS for the bomb; before the guard it took
24-28 s and 3.3 GB). Also the cost of the guard on a legitimate workbook (it streams every XML part once).

    python bench/bench_hostile.py [--strings 1100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hostile_files import shared_strings_xlsx, zip_bomb  # noqa: E402

CHILD = """
import json, sys, time
import django
django.setup()
from integrations.files.guard import xlsx_check
from integrations.files.reader import FileFormatError, read_file_bytes

def high_water_mb():  # this process's peak RSS (VmHWM: ru_maxrss would carry the parent's peak over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

data = open(sys.argv[1], "rb").read()
before = high_water_mb()
started = time.perf_counter()
try:
    xlsx_check(data)
    guard = time.perf_counter() - started
    table = read_file_bytes(data, sys.argv[1])
    outcome = f"read {len(table.frame)} rows"
except FileFormatError as exc:
    guard, outcome = time.perf_counter() - started, "refused: " + str(exc)
took = time.perf_counter() - started
peak = high_water_mb()
print(json.dumps({"seconds": round(took, 3), "guard_seconds": round(guard, 3), "peak_rss_mb": round(peak, 1),
                  "rss_growth_mb": round(peak - before, 1), "bytes": len(data), "outcome": outcome[:160]}))
"""


def measure(path: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "replenish.settings",
        "DEBUG": "1",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--strings", type=int, default=1_100_000, help="distinct texts of the shared-strings file"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="distops-hostile-"))
    started = time.perf_counter()
    bomb = zip_bomb(work / "bomb.xlsx")
    many = shared_strings_xlsx(work / "shared-strings.xlsx", strings=args.strings)
    fine = shared_strings_xlsx(work / "legit.xlsx", strings=50_000)
    report = {
        "build_seconds": round(time.perf_counter() - started, 1),
        "zip_bomb": measure(bomb),
        "shared_strings": measure(many),
        "legitimate_50000_rows": measure(fine),
        "limits": {"zip_bomb_seconds": 2.0, "zip_bomb_rss_mb": 200},
        "load_average": os.getloadavg(),
    }
    for path in (bomb, many, fine):
        path.unlink()
    work.rmdir()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
