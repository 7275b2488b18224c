"""Test set-up: service markers, factories, and the rule that .ci/run may not silently skip.

Markers: `postgres`, `redis`, `celery_worker`, `browser`. On a bare machine a test whose service is missing is
skipped with the reason; with DISTOPS_REQUIRE=postgres,redis,... (set by .ci/run) the same test fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

SERVICE_MARKERS = ("postgres", "redis", "celery_worker", "browser")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


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
    from replenish.core.audit import install_immutability, remove_immutability_sqlite

    install_immutability()
    yield
    if transactional:
        remove_immutability_sqlite()
