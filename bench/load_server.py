"""The load benchmark's server side (bench_load.py): the run database cloned from a template, gunicorn with the
production settings, and the CPU seconds of its processes and of the PostgreSQL backends (from /proc)."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
TICKS = os.sysconf("SC_CLK_TCK")


# --- databases ----------------------------------------------------------------------------------------------------


def _admin(url: str):
    import psycopg

    parts = urllib.parse.urlparse(url)
    return psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True)


def _with_name(url: str, name: str) -> str:
    return urllib.parse.urlparse(url)._replace(path=f"/{name}").geturl()


def databases_prepare(base_url: str, skus: int) -> tuple[str, float]:
    """The run database, cloned from the template (built first when missing). Returns its URL and the build time."""
    base = urllib.parse.urlparse(base_url).path.lstrip("/")
    template, run = f"{base}_load_template", f"{base}_load_run"
    built = 0.0
    with _admin(base_url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
    if not exists:
        started = time.perf_counter()
        with _admin(base_url) as conn:
            conn.execute(f'CREATE DATABASE "{template}"')
        env = {**os.environ, "DATABASE_URL": _with_name(base_url, template), "DEBUG": "1"}
        env.pop("REDIS_URL", None)  # the demo's tasks run in-process
        for args in (
            ["migrate", "--noinput", "-v", "0"],
            ["demo_setup", "--skus", str(skus), "--history-weeks", "0"],
        ):
            subprocess.run(
                [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        built = time.perf_counter() - started
    with _admin(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{run}" TEMPLATE "{template}"')
    env = {**os.environ, "DATABASE_URL": _with_name(base_url, run), "DEBUG": "1"}
    # a template built at an older commit gets the migrations since (indexes, for example)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    return _with_name(base_url, run), built


def database_drop(url: str) -> None:
    name = urllib.parse.urlparse(url).path.lstrip("/")
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the server ---------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    env: dict
    access_log: Path

    def access_offset(self) -> int:
        """Where the access log ends now (requests after this point are read by `inside_ms`)."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def inside_ms(self, since: int) -> dict[str, list[float]]:
        """Per request kind (bench_load's names, from the method and URL), the milliseconds each request logged after
        offset `since` spent inside a worker: against the client's figure, what is left is waiting for a free worker
        (and the network and the client) rather than the work."""
        with self.access_log.open("rb") as log:
            log.seek(since)
            lines = log.read().decode("utf-8", "replace").splitlines()
        out: dict[str, list[float]] = {}
        for line in lines:
            method, url, _, micros = (line.split(" ") + ["", "", "", ""])[:4]
            if micros.isdigit():
                out.setdefault(request_kind(method, url), []).append(int(micros) / 1000)
        return out

    def pids(self) -> list[int]:
        """gunicorn's master and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [self.process.pid, *map(int, children.read_text().split())]
        return [self.process.pid]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def request_kind(method: str, url: str) -> str:
    """The load planner's name for a request (bench_load.Planner): its verb for a decision, else by the URL."""
    path, _, query = url.partition("?")
    parts = path.strip("/").split("/")
    if method == "POST" and parts[0] == "queue" and len(parts) == 3:
        return parts[2]
    if parts == ["queue"]:
        return "queue_partial" if "ordering=" in query or "page=" in query else "queue_page"
    if parts[:2] == ["queue", "tabs"]:
        return "tabs"
    if parts[0] == "queue" and len(parts) == 2 and parts[1].isdigit():
        return "drawer"
    if parts[:2] == ["api", "exceptions"]:
        return "api_list"
    return "other"


def server_start(database_url: str, workers: int, threads: int = 0) -> Server:
    """collectstatic, then gunicorn as production runs it (README, "Production": gunicorn.conf.py, which loads and
    warms the application in the master before forking the workers), on a free port."""
    work = Path(tempfile.mkdtemp(prefix="distops-load-"))
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DEBUG": "0",
        "SECRET_KEY": "load-bench-" + os.urandom(24).hex(),
        "AUDIT_HMAC_KEY": "load-bench-audit-" + os.urandom(24).hex(),
        "AUDIT_CHECKPOINT_DIR": str(work / "checkpoints"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(work / "static"),
        "CONN_MAX_AGE": "600",  # a backend per worker for the whole run (their CPU is read from /proc)
        "API_RATE_USER": "100000/min",  # many planners share a demo account here; the throttle is not measured
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    port = _free_port()
    log = work / "gunicorn.log"
    # 0: gunicorn.conf.py's threads; 1: sync workers; more: gthread workers with that many threads
    threads = (
        ["--threads", str(threads), "--worker-class", "gthread" if threads > 1 else "sync"] if threads else []
    )
    process = subprocess.Popen(
        [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), "replenish.wsgi"]
        + ["--workers", str(workers), *threads, "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
        # each request's time inside the worker (from reading it to sending the answer), in microseconds
        + [
            "--access-logfile",
            str(work / "access.log"),
            "--access-logformat",
            "%(m)s %(U)s?%(q)s %(s)s %(D)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = Server(process, port, log, env, work / "access.log")
    for _ in range(120):
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited: " + log.read_text()[-3000:])
        with contextlib.suppress(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            _warm_up(port, workers)
            return server
        time.sleep(0.5)
    server.stop()
    raise RuntimeError("gunicorn did not start in 60 s: " + log.read_text()[-3000:])


def _warm_up(port: int, workers: int) -> None:
    """A few rounds of login pages, untimed, before any measuring: every worker answers and has opened its database
    connection (the application itself is loaded and warmed in the master, gunicorn.conf.py)."""

    def get() -> None:
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request(
                "GET", "/accounts/login/", headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
            )
            conn.getresponse().read()
            conn.close()

    for _ in range(3):
        threads = [threading.Thread(target=get) for _ in range(2 * workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the line)
    return total / TICKS


def postgres_backends(database_url: str) -> list[int]:
    name = urllib.parse.urlparse(database_url).path.lstrip("/")
    with _admin(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name])]
