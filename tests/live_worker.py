"""Helpers for tests that run tasks on the live Celery worker (.ci/run starts one on the test database)."""

from __future__ import annotations

import time


def wait_until_worker_idle(timeout: float = 30) -> None:
    """Let the worker finish what a test queued (e.g. the exceptions refresh a plan run queues), so the test
    database flush at teardown does not race it (a deadlock on TRUNCATE, or rows written after the flush)."""
    from replenish.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = app.control.inspect(timeout=1).active() or {}
        reserved = app.control.inspect(timeout=1).reserved() or {}
        if not any(active.values()) and not any(reserved.values()):
            return
        time.sleep(0.2)
