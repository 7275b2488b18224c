"""Test set-up: service markers, factories, and the rule that .ci/run may not silently skip.

Markers: `postgres`, `redis`, `celery_worker`, `browser`, `tryton`. On a bare machine a test whose service is missing is
skipped with the reason; with DISTOPS_REQUIRE=postgres,redis,... (set by .ci/run) the same test fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest

SERVICE_MARKERS = ("postgres", "redis", "celery_worker", "browser", "tryton")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Browser tests drive the live server from the test thread through Playwright's sync API (an event loop).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def service_missing(marker: str) -> str | None:
    """Why the service a marker needs is not available here (None when it is)."""
    from django.db import connection

    redis_url = os.environ.get("REDIS_URL", "")
    if marker == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker in ("redis", "celery_worker"):
        if not redis_url:
            return "needs Redis: set REDIS_URL=redis://..."
        if not _reachable(redis_url, 6379):
            return f"Redis at {redis_url} is not reachable"
    if marker == "celery_worker" and os.environ.get("DISTOPS_LIVE_WORKER") != "1":
        return "needs a live Celery worker on the test database (.ci/run starts one; DISTOPS_LIVE_WORKER=1)"
    if marker == "tryton":
        url = os.environ.get("DISTOPS_TRYTON_TEST_URL", "")
        if not url:
            return "needs a running trytond: set DISTOPS_TRYTON_TEST_URL=http://127.0.0.1:PORT/DATABASE/ (.ci/run starts one)"
        if not _reachable(url, 8000):
            return f"trytond at {url} is not reachable"
    if marker == "browser":
        if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
            return f"needs Debian chromium at {CHROMIUM} (apt-get install chromium)"
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "needs the playwright Python package"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    required = {m.strip() for m in os.environ.get("DISTOPS_REQUIRE", "").split(",") if m.strip()}
    for marker in SERVICE_MARKERS:
        if item.get_closest_marker(marker) is None:
            continue
        reason = service_missing(marker)
        if reason is None:
            continue
        if marker in required:
            pytest.fail(f"{marker} is required in this run (DISTOPS_REQUIRE) but missing: {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _celery_mode(request: pytest.FixtureRequest):
    """Tasks run in-process in tests, except in tests marked celery_worker, which use the real broker and worker."""
    from replenish.celery import app

    live = request.node.get_closest_marker("celery_worker") is not None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = not live
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _audit_triggers(request: pytest.FixtureRequest):
    """SQLite: the audit table's append-only triggers would refuse the row-by-row flush after transactional tests,
    so they are dropped just before that flush and installed again before the next test."""
    uses_db = any(name in request.fixturenames for name in ("db", "transactional_db", "live_server")) or (
        request.node.get_closest_marker("django_db") is not None
    )
    if not uses_db:
        yield
        return
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    transactional = transactional or bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    from replenish.core.audit import install_immutability, remove_immutability_for_flush

    install_immutability()
    yield
    if transactional:
        remove_immutability_for_flush()


@contextmanager
def chromium_page(monkeypatch, *, width: int, height: int):
    """A headless Debian chromium page of the given viewport (downloads accepted)."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # The live server's request threads must close their connections after each request (CONN_MAX_AGE=0), or
    # PostgreSQL cannot drop the test database at the end of the run.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            connections.close_all()  # ORM calls made inside the Playwright context hold their own connection


@pytest.fixture
def page(live_server, monkeypatch):
    """A headless Debian chromium page (1500 x 950, downloads accepted) for the tests marked `browser`."""
    with chromium_page(monkeypatch, width=1500, height=950) as page:
        yield page


@pytest.fixture
def page_1280(live_server, monkeypatch):
    """The same at 1280 x 800, the narrowest screen the workbench is reviewed at."""
    with chromium_page(monkeypatch, width=1280, height=800) as page:
        yield page


def browser_login(page, live_server, username: str, password: str) -> None:
    """Log in through the login form and wait until the page after it has loaded."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
