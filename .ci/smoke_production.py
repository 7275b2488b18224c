"""Production smoke test: the README's production path serves pages.

On a database of its own (DATABASE_URL, dropped and re-created when PostgreSQL) it runs, with DEBUG off:
migrate, collectstatic --noinput, check --deploy (no warning allowed), a small demo scenario, then gunicorn,
and over HTTP behind the documented proxy header (X-Forwarded-Proto: https):
- without the header a page redirects to https (the TLS proxy is required);
- the login page answers 200 with its form, a login succeeds;
- the queue page answers 200 with the queue table and ranked rows;
- a hashed static file named by the page is served (the manifest is complete).
Exits non-zero, printing gunicorn's log, on any failure. Stdlib only, so it runs on a clean clone.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_recreate(url: str, drop_only: bool = False) -> None:
    import psycopg

    parts = urllib.parse.urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


class Client:
    """An HTTP client behind the TLS proxy: sends X-Forwarded-Proto and keeps cookies (Secure ones too)."""

    def __init__(self, port: int, proxied: bool = True) -> None:
        self.port, self.proxied, self.cookies = port, proxied, {}

    def request(self, method: str, path: str, body: dict | None = None, referer: str = ""):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "127.0.0.1"}
        if self.proxied:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = referer
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, dict(response.getheaders()), text


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        raise SystemExit(1)


def main() -> int:
    database_url = os.environ.get("SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/distops_smoke")
    static_root = tempfile.mkdtemp(prefix="distops-static-")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}},
        "DEBUG": "0",
        "SECRET_KEY": "smoke-test-" + os.urandom(24).hex(),
        "AUDIT_HMAC_KEY": "smoke-audit-" + os.urandom(24).hex(),
        "AUDIT_CHECKPOINT_DIR": tempfile.mkdtemp(prefix="distops-audit-checkpoints-"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": static_root,
    }
    if database_url.startswith("postgres"):
        postgres_recreate(database_url)

    def manage(*args: str) -> None:
        print("$ manage.py " + " ".join(args), flush=True)
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)

    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    manage("check", "--deploy", "--fail-level", "WARNING")
    manage("demo_setup", "--skus", "150", "--locations", "2")
    manage("verify_audit", "--checkpoint")  # the keyed chain verifies, and its head is checkpointed outside

    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="distops-smoke-")) / "gunicorn.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "replenish.wsgi"]  # the README's production settings
        + ["--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(60):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        status, headers, _ = Client(port, proxied=False).request("GET", "/accounts/login/")
        check(
            status == 301 and headers.get("Location", "").startswith("https://"),
            f"plain HTTP without the proxy header redirects to https ({status})",
        )
        # Which buyer owns open rows depends on the small scenario's draws and what the automation executed: sign
        # in as each buyer in turn until one's queue tabs count open rows (each sign-in is checked the same way).
        for username in ("buyer1", "buyer2", "buyer3"):
            client = Client(port)
            status, _, page = client.request("GET", "/accounts/login/")
            check(status == 200 and 'name="password"' in page, f"login page {status} with its form")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            check(token is not None, "login form carries a CSRF token")
            status, headers, _ = client.request(
                "POST",
                "/accounts/login/",
                {"username": username, "password": "distops-demo", "csrfmiddlewaretoken": token.group(1)},
                referer="https://127.0.0.1/accounts/login/",
            )
            check(
                status == 302 and "sessionid" in client.cookies, f"login as {username} redirects ({status})"
            )
            status, _, page = client.request("GET", "/queue/")
            check(status == 200 and 'class="blotter"' in page, f"queue page {status} with the queue table")
            # the value floor may send every row to "Low value": read the tab counts, open the first that holds rows
            counts = {
                tab: int(n)
                for tab, n in re.findall(r'href="\?queue=(\w+)"[^>]*>[^<]*<span class="n">(\d+)', page)
            }
            print(f"     {username}'s queue tabs: {counts}")
            if sum(counts.values()) > 0:
                break
        check(sum(counts.values()) > 0, f"a buyer's queue tabs count open rows {counts}")
        tab = next(tab for tab, n in counts.items() if n > 0)
        status, _, tab_page = client.request("GET", f"/queue/?queue={tab}")
        rows = len(re.findall(r'class="qrow ', tab_page))
        check(status == 200 and 0 < rows <= counts[tab], f"queue tab {tab} holds {rows} ranked rows")
        static = re.search(r'src="(/static/js/queue\.[0-9a-f]{12}\.js)"', page)
        check(static is not None, "the page names a hashed static file (manifest storage)")
        status, _, body = client.request("GET", static.group(1))
        check(status == 200 and len(body) > 100, f"{static.group(1)} served by WhiteNoise ({status})")
    except SystemExit:
        server.terminate()
        server.wait(10)
        print(log_path.read_text()[-5000:])
        raise
    server.terminate()
    server.wait(10)
    if database_url.startswith("postgres"):
        postgres_recreate(database_url, drop_only=True)
    print("production smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
