"""Benchmark: the first page of a buyer's queue (50 rows, their ownership) on PostgreSQL at full scale.

Server time = the Django view from request to response (test Client, no network), repeated; p50/p95 reported with
the number of SQL queries per page. Needs the benchmark database with a generated scenario and a plan refresh
(bench_generate, then `manage.py plan_refresh`), i.e. 900,000 SKU-locations and 200,000+ open exceptions.
"""

import argparse
import json
import time

import numpy as np
from _django import setup

parser = argparse.ArgumentParser()
parser.add_argument("--repeat", type=int, default=60)
parser.add_argument("--user", default="buyer1")
parser.add_argument("--quick", action="store_true", help="fewer repeats")
parser.add_argument("--json", action="store_true")
args = parser.parse_args()
setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from exceptions.models import PlanningException  # noqa: E402
from replenish.models import ItemLocation  # noqa: E402

user = get_user_model().objects.get(username=args.user)
client = Client()
client.force_login(user)
repeat = 15 if args.quick else args.repeat
pages = {
    "first_page": "/queue/",
    "filtered_location": "/queue/?location=WH2",
    "filtered_type_min_value": "/queue/?type=stockout_risk&min_value=100",
    "page_5": "/queue/?page=5",
}
results = {}
for name, url in pages.items():
    client.get(url)  # warm caches and connection
    timings = []
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    results[name] = {
        "p50_ms": round(float(np.percentile(timings, 50)), 1),
        "p95_ms": round(float(np.percentile(timings, 95)), 1),
        "queries": len(queries),
    }
print(
    json.dumps(
        {
            "sku_locations": ItemLocation.objects.count(),
            "open_exceptions": PlanningException.objects.filter(status="open").count(),
            "user": args.user,
            "repeat": repeat,
            "limit_p95_ms": 100,
            "pages": results,
        }
    )
)
