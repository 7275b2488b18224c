"""Load benchmark (issue 13): planners over HTTP against a live gunicorn (DEBUG off) and PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/distops_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        python bench/bench_load.py [--quick] [--users 50] [--seconds 180] [--think 3,8] [--steps 4,8,16,32]

Set-up: a template database `<name>_load_template` (DATABASE_URL's name plus that suffix) holding the demo network
(`demo_setup --skus 2000 --history-weeks 0`: 2,000 SKUs x 5 locations, plans, exceptions, the demo users) is built
once (minutes) and kept; each run clones it into `<name>_load_run` (CREATE DATABASE ... TEMPLATE: seconds), so every
run starts from the same queues. Then collectstatic and gunicorn with the README's production settings
(gunicorn.conf.py: the app loaded and warmed before the workers fork; DEBUG off, SECRET_KEY, AUDIT_HMAC_KEY,
ALLOWED_HOSTS, the proxy header X-Forwarded-Proto sent by the client, 2 x cores workers of 4 threads; --workers and
--threads to try others, --threads 1 being sync workers). With REDIS_URL set the cache and sessions are Redis (as in production); no Celery worker runs, so the
approvals' ERP postings wait in the broker (the web tier is what is measured).

Phase 1, the load test: N virtual planners (threads), each signed in as a demo user who has a queue (buyers, and
one in five a manager), repeat: open their queue (the first tab with rows), sometimes sort or page it (the HTMX
partial) or read the API list, open a row's drawer, and decide about one step in three (approve / reject / snooze,
with the page's CSRF token and the row's version), thinking 3-8 s between steps. Reported: p50/p95/max per kind
and overall, errors (5xx, refused connections, timeouts, unexpected statuses), conflicts (409: another planner on
the same account decided the row first, answered as designed), the load client's own CPU per request, and the time
each request spent inside a worker (gunicorn's access log): the client's figure less that one is mostly waiting for a
free worker. Then, from the database: every successful action
maps to exactly one Decision (exception, version, action, actor) and one audit event (kind decision, same
exception, action and version), and no decision was recorded for an action that did not succeed.

Phase 2, saturation: no think time, concurrency stepped up (4, 8, 16, 32 planners) for a fixed time each: requests/s
and p95 per step, the highest sustained requests/s, and the CPU seconds per request of the gunicorn processes and
the PostgreSQL backends (from /proc/<pid>/stat), a figure the machine's other load inflates much less than the wall-clock ones.

Every process started here is stopped at the end, on failure or Ctrl-C too. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import signal
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import timedelta

from load_server import Server, cpu_seconds, database_drop, databases_prepare, postgres_backends, server_start

PASSWORD = "distops-demo"
LIMIT_P95_MS = 300
LIMIT_SATURATION_RPS = 60

ROW = re.compile(r'<tr id="row-(\d+)"[^>]*data-version="(\d+)"(.*?)</tr>', re.S)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TABS = re.compile(r'href="\?queue=(\w+)"[^>]*>[^<]*<span class="n">([\d,]+)')
REASON = re.compile(r'id="reject-reason".*?<option value="([^"]+)"', re.S)


# --- the planners -------------------------------------------------------------------------------------------------


class Refused(Exception):
    """An answer that counts as an error (5xx, unexpected status, connection refused or timed out)."""


@dataclass
class Stats:
    """Timings per request kind (ms), errors and the actions that succeeded, shared by the planners' threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    refusals: int = 0
    actions: list[tuple[str, int, int, str]] = field(
        default_factory=list
    )  # (username, exception, version, verb)
    attempts: list[tuple[str, int, int, str]] = field(default_factory=list)
    client_cpu: float = 0.0  # CPU seconds of this process (the planners' threads) while they ran

    def record(self, kind: str, ms: float) -> None:
        with self.lock:
            self.timings.setdefault(kind, []).append(ms)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text[:300])

    def requests(self) -> int:
        return sum(len(v) for v in self.timings.values())


class Planner:
    """One person in a browser: a session and CSRF cookie, the proxy's header, one request at a time."""

    def __init__(self, port: int, username: str, stats: Stats, rng: random.Random) -> None:
        self.port, self.username, self.stats, self.rng = port, username, stats, rng
        self.cookies: dict[str, str] = {}
        self.tab = "open"

    def request(self, kind: str, method: str, path: str, form: dict | None = None, hx: str = ""):
        headers = {"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if hx:
            headers |= {"HX-Request": "true", "HX-Target": hx}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = "https://127.0.0.1/queue/"
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            conn.close()
        except OSError as err:
            raise Refused(f"{kind} {path}: {type(err).__name__} {err}") from err
        self.stats.record(kind, (time.perf_counter() - started) * 1000)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.status >= 500:
            raise Refused(f"{kind} {path}: {response.status}")
        return response.status, text

    def expect(self, kind, method, path, form=None, hx="", ok=(200,)):
        status, text = self.request(kind, method, path, form, hx)
        if status not in ok:
            raise Refused(f"{kind} {path}: unexpected {status}")
        return status, text

    def login(self) -> None:
        _, page = self.expect("login_page", "GET", "/accounts/login/")
        token = TOKEN.search(page).group(1)
        form = {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        self.expect("login", "POST", "/accounts/login/", form, ok=(302,))

    def queue(self) -> tuple[str, list[tuple[int, int, str]]]:
        """The queue page on the first tab with rows (To do, else Later, else Low value)."""
        _, page = self.expect("queue_page", "GET", f"/queue/?queue={self.tab}")
        counts = {tab: int(n.replace(",", "")) for tab, n in TABS.findall(page)}
        tab = next((t for t in ("open", "later", "low") if counts.get(t)), "open")
        if tab != self.tab:
            self.tab = tab
            _, page = self.expect("queue_page", "GET", f"/queue/?queue={tab}")
        return page, [(int(pk), int(v), rest) for pk, v, rest in ROW.findall(page)]

    def browse(self) -> None:
        choice = self.rng.random()
        if choice < 0.3:
            sort = self.rng.choice(["due", "days", "-confidence", "supplier", "-value"])
            self.expect("queue_partial", "GET", f"/queue/?queue={self.tab}&ordering={sort}", hx="queue-table")
        elif choice < 0.45:
            self.expect("queue_partial", "GET", f"/queue/?queue={self.tab}&page=2", hx="queue-table")
        elif choice < 0.6:
            self.expect("api_list", "GET", f"/api/exceptions/?queue={self.tab}")

    def decide(self, page: str, row: tuple[int, int, str], drawer: str) -> None:
        pk, version, html = row
        token = TOKEN.search(page).group(1)
        verb = self.rng.choice(["approve", "approve", "reject", "snooze"])
        if verb == "approve" and "approve-form" not in html:
            verb = "snooze"  # above the planner's limit: "Send for approval" instead, not measured here
        form = {"csrfmiddlewaretoken": token, "version": str(version), "rank": "1"}
        if verb == "reject":
            reason = REASON.search(drawer)
            form |= {"reason_code": reason.group(1) if reason else "other", "comment": "load test"}
        if verb == "snooze":
            form["until"] = (time_today() + timedelta(days=7)).isoformat()
        attempt = (self.username, pk, version, verb)
        with self.stats.lock:
            self.stats.attempts.append(attempt)
        status, _ = self.expect(
            verb, "POST", f"/queue/{pk}/{verb}/", form, hx=f"row-{pk}", ok=(200, 403, 409)
        )
        with self.stats.lock:
            if status == 200:
                self.stats.actions.append(attempt)
            elif status == 409:
                self.stats.conflicts += 1
            else:
                self.stats.refusals += 1
        self.expect("tabs", "GET", f"/queue/tabs/?queue={self.tab}", hx="queue-tabs")

    def step(self, decide_share: float) -> None:
        page, rows = self.queue()
        self.browse()
        decidable = [r for r in rows if 'name="version"' in r[2]]
        if not decidable:
            return
        row = self.rng.choice(decidable[:20])
        _, drawer = self.expect("drawer", "GET", f"/queue/{row[0]}/", hx="detail-panel")
        if self.rng.random() < decide_share:
            self.decide(page, row, drawer)


def time_today():
    from datetime import date

    return date.today()  # noqa: DTZ011 - the server's zone is the company's; a week ahead is after its today


LOGINS_AT_ONCE = (
    2  # a login is a deliberately slow password hash (~0.3 s of a core): planners sign in 2 at a time
)


def planners_login(port: int, n: int, seed: int) -> tuple[list[Planner], Stats]:
    """n planners over the demo accounts (see accounts), each signed in with the login form, before any measuring."""
    stats, gate = Stats(), threading.Semaphore(LOGINS_AT_ONCE)
    planners = [Planner(port, u, stats, random.Random(seed * 1000 + i)) for i, u in enumerate(accounts(n))]
    signed_in: list[Planner] = []

    def one(planner: Planner) -> None:
        with gate:
            try:
                planner.login()
            except Exception as err:  # noqa: BLE001 - reported as an error of the run
                stats.error(f"{planner.username} login: {type(err).__name__} {err}")
                return
        with stats.lock:
            signed_in.append(planner)

    threads = [threading.Thread(target=one, args=(p,), daemon=True) for p in planners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(signed_in, key=planners.index), stats


def planners_run(
    planners: list[Planner], *, seconds: float, think: tuple[float, float], decide_share: float, on_start=None
) -> tuple[Stats, float]:
    """The signed-in planners step for `seconds`, each thinking between steps (each thread finishes its step in
    progress). Returns the stats and the seconds it took."""
    stats = Stats()
    if on_start is not None:
        on_start()
    started, cpu = time.perf_counter(), time.process_time()
    stop = time.monotonic() + seconds

    def one(planner: Planner) -> None:
        planner.stats = stats
        if think[1]:
            time.sleep(planner.rng.uniform(0, think[1]))  # arrivals spread over the first think time
        try:
            while time.monotonic() < stop:
                planner.step(decide_share)
                if think[1]:
                    time.sleep(planner.rng.uniform(*think))
        except Refused as err:
            stats.error(str(err))
        except Exception as err:  # noqa: BLE001 - a planner's failure is an error of the run, reported
            stats.error(f"{planner.username}: {type(err).__name__} {err}")

    threads = [threading.Thread(target=one, args=(p,), daemon=True) for p in planners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    stats.client_cpu = time.process_time() - cpu
    return stats, time.perf_counter() - started


def accounts(n: int) -> list[str]:
    """n planners over the demo accounts that have a queue: buyers, and one in five a manager."""
    buyers, managers = ["buyer1", "buyer2", "buyer3"], ["manager1", "manager2"]
    return [managers[i // 5 % 2] if i % 5 == 4 else buyers[i % 3] for i in range(n)]


# --- figures ------------------------------------------------------------------------------------------------------


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)], 1)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "max_ms": round(ordered[-1], 1)}


def summary(stats: Stats, seconds: float) -> dict:
    every = [ms for values in stats.timings.values() for ms in values]
    return {
        "requests": len(every),
        "requests_per_s": round(len(every) / seconds, 1),
        "overall": percentiles(every),
        "by_kind": {kind: percentiles(values) for kind, values in sorted(stats.timings.items())},
        "errors": len(stats.errors),
        "error_samples": stats.errors[:10],
        "conflicts_409": stats.conflicts,
        "refused_403": stats.refusals,
        "actions_succeeded": len(stats.actions),
        # the load client's own CPU: it shares the machine's cores (and its threads one GIL) with the server
        "client_cpu_ms_per_request": round(stats.client_cpu * 1000 / max(len(every), 1), 2),
    }


def actions_verify(database_url: str, stats: Stats, since) -> dict:
    """Each successful action -> exactly one Decision and one audit event; no decision for any other attempt."""
    import psycopg

    ok = {(pk, version, verb, user) for user, pk, version, verb in stats.actions}
    with psycopg.connect(database_url) as conn:
        decisions = conn.execute(
            "SELECT d.exception_id, d.version, d.action, u.username FROM exceptions_decision d "
            "JOIN auth_user u ON u.id = d.actor_id WHERE d.created_at >= %s",
            [since],
        ).fetchall()
        events = conn.execute(
            "SELECT subject_id::bigint, (payload->>'version')::int, action, actor_name FROM governance_auditevent "
            "WHERE kind = 'decision' AND subject_type = 'exception' AND created_at >= %s",
            [since],
        ).fetchall()
    mapped = {"decisions": {}, "audit_events": {}}
    for name, rows in (("decisions", decisions), ("audit_events", events)):
        for row in rows:
            mapped[name][tuple(row)] = mapped[name].get(tuple(row), 0) + 1
    exactly_one = sum(1 for a in ok if mapped["decisions"].get(a) == 1 and mapped["audit_events"].get(a) == 1)
    return {
        "actions_succeeded": len(stats.actions),
        "distinct_actions": len(ok),
        "decisions_recorded": len(decisions),
        "audit_events_recorded": len(events),
        "actions_with_exactly_one_decision_and_one_audit_event": exactly_one,
        "decisions_without_a_successful_action": sum(
            n for key, n in mapped["decisions"].items() if key not in ok
        ),
        "audit_events_without_a_successful_action": sum(
            n for key, n in mapped["audit_events"].items() if key not in ok
        ),
        # planners share the demo accounts: the same user's same action on the same version twice is one decision
        # (the service treats it as a double submit, applied once), so the mapping is over the distinct actions
        "same_user_repeats_applied_once": len(stats.actions) - len(ok),
        "holds": exactly_one == len(ok) == len(decisions) == len(events),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def saturation_step(server: Server, database_url: str, planners: list[Planner], seconds: float) -> dict:
    """`concurrency` planners without think time for `seconds`: requests/s, p95, server CPU per request."""
    marks: dict = {}

    def mark() -> None:
        marks["web"], marks["db"] = server.pids(), postgres_backends(database_url)
        marks.update(web_cpu=cpu_seconds(marks["web"]), db_cpu=cpu_seconds(marks["db"]), load=load_average())

    stats, elapsed = planners_run(planners, seconds=seconds, think=(0, 0), decide_share=0.25, on_start=mark)
    web = cpu_seconds(sorted(set(marks["web"] + server.pids()))) - marks["web_cpu"]
    db = cpu_seconds(sorted(set(marks["db"] + postgres_backends(database_url)))) - marks["db_cpu"]
    every = [ms for values in stats.timings.values() for ms in values]
    per_request = 1000 / max(len(every), 1)
    return {
        "concurrency": len(planners),
        "seconds": round(elapsed, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 1),
        "p95_ms": percentiles(every).get("p95_ms"),
        "errors": len(stats.errors),
        "server_cpu_ms_per_request": round((web + db) * per_request, 1),
        "gunicorn_cpu_ms_per_request": round(web * per_request, 1),
        "client_cpu_ms_per_request": round(stats.client_cpu * per_request, 1),
        "postgres_cpu_ms_per_request": round(db * per_request, 1),
        "load_average": [marks["load"], load_average()],
    }


def saturation(
    server: Server, database_url: str, planners: list[Planner], steps: list[int], seconds: float
) -> dict:
    """No think time, concurrency stepped up: requests/s, p95 and server CPU per request at each step."""
    out = []
    for concurrency in steps:
        out.append(saturation_step(server, database_url, planners[:concurrency], seconds))
        print(json.dumps(out[-1]), file=sys.stderr, flush=True)
    best = max(out, key=lambda s: s["requests_per_s"])
    cpu_ms = min(s["server_cpu_ms_per_request"] for s in out) or float("nan")
    return {
        "steps": out,
        "max_requests_per_s": best["requests_per_s"],
        "at_concurrency": best["concurrency"],
        "server_cpu_ms_per_request": cpu_ms,
        "cpu_bound_requests_per_s_on_this_machine": round((os.cpu_count() or 1) * 1000 / cpu_ms, 1),
        "limit_requests_per_s": LIMIT_SATURATION_RPS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="60 s of load, two 20 s saturation steps")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--think", default="3,8", help="think time between steps, min,max seconds")
    parser.add_argument("--steps", default="4,8,16,32", help="saturation concurrency steps")
    parser.add_argument("--step-seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="threads per worker: 1 sync workers, more gthread workers (default: gunicorn.conf.py's)",
    )
    parser.add_argument(
        "--skus", type=int, default=2000, help="SKUs of the template scenario (x 5 locations)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the run database afterwards")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.steps, args.step_seconds = (
            min(args.seconds, 60),
            "8,24",
            min(args.step_seconds, 20),
        )
    think = tuple(float(x) for x in args.think.split(","))
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/distops_bench")
    report: dict = {"users": args.users, "think_s": think, "workers": args.workers, "threads": args.threads}
    report["quick"] = args.quick
    report["redis"] = bool(os.environ.get("REDIS_URL"))
    started_all = time.perf_counter()
    database_url, built = databases_prepare(base_url, args.skus)
    report["template_built_s"] = round(built, 1)
    server = None
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        server = server_start(database_url, args.workers, args.threads)
        import psycopg

        with psycopg.connect(database_url) as conn:
            since = conn.execute("SELECT now()").fetchone()[0]
            report["open_exceptions"] = conn.execute(
                "SELECT count(*) FROM exceptions_planningexception WHERE status <> 'closed'"
            ).fetchone()[0]
        steps = [int(x) for x in args.steps.split(",")]
        started = time.perf_counter()
        planners, logins = planners_login(server.port, max(args.users, *steps), args.seed)
        report["logins"] = {
            "planners": len(planners),
            "seconds": round(time.perf_counter() - started, 1),
            "errors": logins.errors[:10],
            **percentiles([ms for values in logins.timings.values() for ms in values]),
        }
        marks: dict = {}
        stats, elapsed = planners_run(
            planners[: args.users],
            seconds=args.seconds,
            think=think,
            decide_share=0.35,
            on_start=lambda: marks.update(load=load_average(), access=server.access_offset()),
        )
        stats.errors += logins.errors
        load = summary(stats, elapsed)
        load |= {"seconds": round(elapsed, 1), "load_average": [marks["load"], load_average()]}
        inside = server.inside_ms(marks["access"])
        load["inside_the_workers"] = {
            "overall": percentiles([ms for values in inside.values() for ms in values]),
            "by_kind": {kind: percentiles(values) for kind, values in sorted(inside.items())},
        }
        load["limit_p95_ms"] = LIMIT_P95_MS
        load["within_limit"] = load["errors"] == 0 and load["overall"].get("p95_ms", 1e9) <= LIMIT_P95_MS
        load["actions"] = actions_verify(database_url, stats, since)
        report["load"] = load
        print(
            json.dumps({"load": {k: v for k, v in load.items() if k != "by_kind"}}),
            file=sys.stderr,
            flush=True,
        )
        report["saturation"] = saturation(server, database_url, planners, steps, args.step_seconds)
        report["saturation"]["meets_limit"] = (
            report["saturation"]["max_requests_per_s"] >= LIMIT_SATURATION_RPS
        )
    finally:
        if server is not None:
            server.stop()
            if server.process.returncode not in (0, -signal.SIGTERM):
                report["gunicorn_log"] = server.log.read_text()[-2000:]
        if not args.keep:
            with contextlib.suppress(Exception):
                database_drop(database_url)
        signal.signal(signal.SIGTERM, previous)
    report["seconds"] = round(time.perf_counter() - started_all, 1)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
