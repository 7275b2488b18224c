"""CPU and queries per request kind of the load benchmark's planner, in process (issue 13, throughput).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/distops_load REDIS_URL=redis://127.0.0.1:6379/2 \\
        python bench/profile_requests.py [--user buyer1] [--repeat 20] [--decide 6] [--profile drawer]

The same requests as a planner of bench/bench_load.py (queue page, its sorted / paged partial, the API list, a
drawer, the tabs, approve / reject / snooze), through the Django test client with the production settings (DEBUG
off, Redis cache and sessions when REDIS_URL is set): per kind the median CPU milliseconds of this process
(`time.process_time`, which the machine's other load inflates much less than wall time) and the number of queries
with their total SQL time. PostgreSQL's own CPU is not in the figure. `--decide N` makes N decisions of each verb:
it writes, so run it on a database of your own (a clone of the load template). `--profile KIND` prints the top of
cProfile for that kind. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "profile-" + "x" * 50)
os.environ.setdefault("AUDIT_HMAC_KEY", "profile-audit-key")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "replenish.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

ROW = re.compile(r'<tr id="row-(\d+)"[^>]*data-version="(\d+)"(.*?)</tr>', re.S)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REASON = re.compile(r'id="reject-reason".*?<option value="([^"]+)"', re.S)
HX = {"HTTP_HX_REQUEST": "true"}


def client_for(username: str) -> Client:
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https", enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username=username))
    return client


def measure(call, repeat: int) -> dict:
    """Median CPU ms over `repeat` calls (after one warm call), then one call under query capture."""
    call()
    cpu = []
    for _ in range(repeat):
        started = time.process_time()
        call()
        cpu.append((time.process_time() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return {
        "cpu_ms_median": round(statistics.median(cpu), 1),
        "cpu_ms_min": round(min(cpu), 1),
        "queries": len(queries),
        "sql_ms": round(sum(float(q["time"]) for q in queries.captured_queries) * 1000, 1),
        "status": response.status_code,
        "bytes": len(response.content),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--user", default="buyer1")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--decide", type=int, default=0, help="decisions of each verb (writes)")
    parser.add_argument("--profile", default="", help="a kind to profile with cProfile")
    parser.add_argument("--show-queries", default="", help="a kind whose queries to print")
    parser.add_argument("--only", default="", help="measure only these kinds (comma-separated)")
    args = parser.parse_args()
    client = client_for(args.user)
    page = client.get("/queue/?queue=open").content.decode()
    tab = "open"
    rows = [(int(pk), int(v), rest) for pk, v, rest in ROW.findall(page)]
    decidable = [r for r in rows if 'name="version"' in r[2]]
    pk = decidable[0][0]
    kinds = {
        "queue_page": lambda: client.get(f"/queue/?queue={tab}"),
        "queue_partial_sorted": lambda: client.get(
            f"/queue/?queue={tab}&ordering=due", HTTP_HX_TARGET="queue-table", **HX
        ),
        "queue_partial_page2": lambda: client.get(
            f"/queue/?queue={tab}&page=2", HTTP_HX_TARGET="queue-table", **HX
        ),
        "api_list": lambda: client.get(f"/api/exceptions/?queue={tab}"),
        "drawer": lambda: client.get(f"/queue/{pk}/", HTTP_HX_TARGET="detail-panel", **HX),
        "tabs": lambda: client.get(f"/queue/tabs/?queue={tab}", HTTP_HX_TARGET="queue-tabs", **HX),
    }
    report = {
        "user": args.user,
        "repeat": args.repeat,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.profile in kinds:
        profile(kinds[args.profile], args.repeat)
    if args.show_queries in kinds:
        with CaptureQueriesContext(connection) as queries:
            kinds[args.show_queries]()
        for q in queries.captured_queries:
            print(q["time"], q["sql"][:300], file=sys.stderr)
    only = set(filter(None, args.only.split(",")))
    report["kinds"] = {
        kind: measure(call, args.repeat) for kind, call in kinds.items() if not only or kind in only
    }
    if args.decide:
        report["kinds"] |= decisions(
            client, page, decidable[1:], args.decide, args.profile, args.show_queries
        )
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    return 0


def decisions(client: Client, page: str, rows: list, n: int, profile_kind: str, show: str = "") -> dict:
    """n decisions of each verb on distinct rows (approve only where the row offers it), each measured once."""
    token = TOKEN.search(page).group(1)
    drawer = client.get(f"/queue/{rows[0][0]}/", HTTP_HX_TARGET="detail-panel", **HX).content.decode()
    reason = REASON.search(drawer)
    out: dict[str, list] = {"approve": [], "reject": [], "snooze": []}
    rows = iter(rows)
    for verb in out:
        for pk, version, html in rows:
            if len(out[verb]) >= n:
                break
            if verb == "approve" and "approve-form" not in html:
                continue
            form = {"csrfmiddlewaretoken": token, "version": str(version), "rank": "1"}
            if verb == "reject":
                form |= {"reason_code": reason.group(1) if reason else "other", "comment": "profile"}
            if verb == "snooze":
                form["until"] = (timezone.localdate() + timedelta(days=7)).isoformat()
            headers = {**HX, "HTTP_HX_TARGET": f"row-{pk}", "HTTP_REFERER": "https://127.0.0.1/queue/"}
            started = time.process_time()
            with CaptureQueriesContext(connection) as queries:
                if profile_kind == verb and not out[verb]:
                    profiler = cProfile.Profile(time.process_time)
                    response = profiler.runcall(client.post, f"/queue/{pk}/{verb}/", form, **headers)
                    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
                else:
                    response = client.post(f"/queue/{pk}/{verb}/", form, **headers)
            cpu = (time.process_time() - started) * 1000
            if show == verb and not out[verb]:
                for q in queries.captured_queries:
                    print(q["time"], q["sql"][:300], file=sys.stderr)
            out[verb].append((cpu, len(queries), response.status_code))
    return {
        verb: {
            "n": len(v),
            "cpu_ms_median": round(statistics.median(c for c, _, _ in v), 1) if v else None,
            "queries": sorted({q for _, q, _ in v}),
            "statuses": sorted({s for _, _, s in v}),
            "note": "CPU measured under query capture",
        }
        for verb, v in out.items()
    }


def profile(call, repeat: int) -> None:
    call()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    sys.exit(main())
