"""Benchmark: a buyer's queue (50 rows, their ownership) on PostgreSQL at full scale: the first page, page 5 (To do,
Later, Low value, Decided), each tab, each sort of the grid, and every combination of the filters (location,
supplier, category, type, minimum value, SKU search) on To do and on Later. Each page includes the grid's total.

Two figures per page:
- server time: the Django view from request to response (test Client, no network), repeated; p50/p95, with the
  number of SQL queries per page (constant: asserted in the tests);
- SQL time: each query of one more request run again under EXPLAIN (ANALYZE, BUFFERS): the sum of the queries'
  planning + execution time, the slowest query and the buffers read (shared hit + read). On a loaded machine the
  server time swells with the other jobs; the SQL time and the buffers say what the plans cost.
A page whose p95 is over the limit (100 ms) is listed under "over_limit". --explain NAME prints the plans of NAME's
queries (names as in the JSON; "all" for every page).

Needs the benchmark database with a generated scenario and a plan refresh (bench_generate, then `manage.py
plan_refresh`), i.e. 900,000 SKU-locations, migrated (BENCH_MIGRATE=1 migrates it first). A database whose last
exceptions refresh predates the refresh's VACUUM (its visibility map covers under 90% of the exceptions table) is
vacuumed first, as that refresh now does, so the COUNTs are the index-only scans a refreshed database gets; the
JSON says so ("vacuumed_first").
"""

import argparse
import itertools
import json
import os
import time
from urllib.parse import urlencode

import numpy as np
from _django import setup

parser = argparse.ArgumentParser()
parser.add_argument("--repeat", type=int, default=40)
parser.add_argument("--user", default="buyer1")
parser.add_argument("--quick", action="store_true", help="fewer pages and repeats")
parser.add_argument("--only", nargs="*", default=[], help="only the pages whose name contains one of these")
parser.add_argument("--explain", nargs="*", default=[], help="print the plans of these pages' queries")
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from exceptions.models import PlanningException  # noqa: E402
from exceptions.selectors import exception_base  # noqa: E402
from replenish.models import ItemLocation  # noqa: E402

LIMIT_MS = 100


def ready() -> bool:
    """Refuse to measure an unmigrated database (its plans would not be the code's); vacuum one the refresh has not
    (see the module docstring). Returns whether it vacuumed."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise SystemExit("The benchmark database has unapplied migrations: run with BENCH_MIGRATE=1.")
    table = PlanningException._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = %s", [table])
        pages, visible = cursor.fetchone()
        if pages and visible < 0.9 * pages:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
            return True
    return False


def filter_values(user) -> dict[str, str]:
    """Filter values that match rows of the user's queue (the most common supplier, category and location)."""
    mine = exception_base(user=user).exclude(status="closed")
    return {
        "location": mine.exclude(location=None).values_list("location__code", flat=True).first() or "",
        "supplier": mine.exclude(supplier=None).values_list("supplier__code", flat=True).first() or "",
        "category": mine.exclude(category="").values_list("category", flat=True).first() or "",
        "type": "stockout_risk",
        "min_value": "100",
        "q": "SKU-00",
    }


def queue_pages(filters: dict[str, str]) -> dict[str, str]:
    pages = {"first_page": "/queue/", "page_5": "/queue/?page=5"}
    for queue in ("later", "low", "approval", "snoozed", "decided"):
        pages[f"queue_{queue}"] = "/queue/?" + urlencode({"queue": queue})
    for queue in ("later", "low", "decided"):  # To do is today's work (the capacity); the long tabs page on
        pages[f"{queue}_page_5"] = "/queue/?" + urlencode({"queue": queue, "page": 5})
    # the grid's sorts (issue 16): To do and Later by each sortable column
    for sort in ("due", "days", "-confidence", "supplier"):
        pages[f"sorted_{sort}"] = "/queue/?" + urlencode({"ordering": sort})
        pages[f"later_sorted_{sort}"] = "/queue/?" + urlencode({"queue": "later", "ordering": sort})
    # every combination of the filters (2^6 - 1 = 63) on To do, and on Later (where the rows are)
    for size in range(1, len(filters) + 1):
        for names in itertools.combinations(filters, size):
            chosen = {n: filters[n] for n in names}
            pages["+".join(names)] = "/queue/?" + urlencode(chosen)
            pages["later:" + "+".join(names)] = "/queue/?" + urlencode({"queue": "later", **chosen})
    pages["later:all_filters_page_5"] = "/queue/?" + urlencode({"queue": "later", **filters, "page": 5})
    return pages


def sql_profile(client: Client, url: str, show: bool) -> dict:
    """One request's queries run again under EXPLAIN ANALYZE: planning + execution ms, the slowest, buffers."""
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    total, slowest, buffers = 0.0, 0.0, 0
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            (plan,) = cursor.fetchone()[0]
            ms = plan["Planning Time"] + plan["Execution Time"]
            total, slowest = total + ms, max(slowest, ms)
            buffers += plan["Plan"].get("Shared Hit Blocks", 0) + plan["Plan"].get("Shared Read Blocks", 0)
            if show:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print(f"-- {ms:.1f} ms\n{sql}\n" + "\n".join(r[0] for r in cursor.fetchall()) + "\n")
    return {"sql_ms": round(total, 1), "slowest_query_ms": round(slowest, 1), "buffers": buffers}


def measure(client: Client, url: str, repeat: int) -> dict:
    client.get(url)  # warm caches and connection
    timings = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "p50_ms": round(float(np.percentile(timings, 50)), 1),
        "p95_ms": round(float(np.percentile(timings, 95)), 1),
        "queries": len(queries),
    }


def main() -> None:
    vacuumed = ready()
    user = get_user_model().objects.get(username=args.user)
    client = Client()
    client.force_login(user)
    pages = queue_pages(filter_values(user))
    repeat = args.repeat
    if args.quick:
        pages = dict(list(pages.items())[:16]) | {
            "all_filters": pages["location+supplier+category+type+min_value+q"],
            "later:all_filters": pages["later:location+supplier+category+type+min_value+q"],
        }
        repeat = 8
    if args.only:
        pages = {name: url for name, url in pages.items() if any(part in name for part in args.only)}
    started = time.perf_counter()
    results = {}
    for name, url in pages.items():
        results[name] = measure(client, url, repeat) | {"url": url}
        show = name in args.explain or "all" in args.explain
        results[name] |= sql_profile(client, url, show)
    over = sorted(
        (n for n, r in results.items() if r["p95_ms"] > LIMIT_MS), key=lambda n: -results[n]["p95_ms"]
    )
    print(
        json.dumps(
            {
                "sku_locations": ItemLocation.objects.count(),
                "open_exceptions": PlanningException.objects.filter(status__in=["open", "in_review"]).count(),
                "user": args.user,
                "repeat": repeat,
                "vacuumed_first": vacuumed,
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "seconds": round(time.perf_counter() - started, 1),
                "limit_p95_ms": LIMIT_MS,
                "pages_measured": len(results),
                "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
                "worst_page": max(results, key=lambda k: results[k]["p95_ms"]),
                "worst_sql_ms": max(r["sql_ms"] for r in results.values()),
                "worst_sql_page": max(results, key=lambda k: results[k]["sql_ms"]),
                "queries_per_page": sorted({r["queries"] for r in results.values()}),
                "within_limit": not over,
                "over_limit": {n: results[n]["p95_ms"] for n in over},
                "pages": results,
            },
            indent=None if args.json else 1,
        )
    )


main()
