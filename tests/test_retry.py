"""One Celery retry style: autoretry_for + retry_backoff, capped below the broker's visibility timeout."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest
from celery.exceptions import Retry
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import IntegrityError, OperationalError

from exceptions.tasks import exceptions_refresh_task
from exceptions.workflows.tasks import domain_event_process_task
from replenish.core.retry import BACKOFF_MAX_SECONDS, retrying
from replenish.tasks import plan_chunk_task

ROOT = Path(__file__).resolve().parent.parent


def _countdowns(task, attempts: int = 6) -> list[int]:
    return [
        get_exponential_backoff_interval(
            factor=task.retry_backoff, retries=r, maximum=task.retry_backoff_max, full_jitter=False
        )
        for r in range(attempts)
    ]


def test_the_retrying_tasks_back_off_as_documented_and_below_the_visibility_timeout():
    assert exceptions_refresh_task.autoretry_for == (OperationalError,)
    assert _countdowns(exceptions_refresh_task) == [30, 60, 120, 240, 480, 600]
    assert domain_event_process_task.autoretry_for == (OperationalError, IntegrityError)
    assert _countdowns(domain_event_process_task) == [10, 20, 40, 80, 160, 300]
    assert plan_chunk_task.retry_backoff == 1 and plan_chunk_task.retry_jitter is True
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    for task in (exceptions_refresh_task, domain_event_process_task, plan_chunk_task):
        assert task.max_retries == 3
        assert task.retry_backoff_max <= BACKOFF_MAX_SECONDS < visibility
    assert retrying(backoff=5, maximum=10_000)["retry_backoff_max"] == BACKOFF_MAX_SECONDS


def test_no_task_retries_by_hand():
    by_hand = []
    for path in sorted(ROOT.glob("*/**/tasks.py")):
        if ".venv" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "retry":
                by_hand.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert by_hand == []


@pytest.mark.django_db
def test_a_domain_event_that_hits_a_lock_timeout_goes_back_to_received_and_is_retried(monkeypatch):
    from exceptions.workflows import services
    from exceptions.workflows.models import DomainEvent

    event = DomainEvent.objects.create(
        kind="data", source_ref="s:1", dedupe_key="k", occurred_at="2026-01-05T10:00Z"
    )
    calls = []

    def flaky(*, event_id):
        calls.append(DomainEvent.objects.get(pk=event_id).status)
        if len(calls) == 1:
            DomainEvent.objects.filter(pk=event_id).update(status="failed")
            raise OperationalError("lock timeout")
        return SimpleNamespace(status="processed", results={})

    monkeypatch.setattr(services, "domain_event_process", flaky)

    # the first attempt fails: a retry is scheduled in 10 s and the event is back to received for it
    with pytest.raises(Retry, match="Retry in 10s: OperationalError"):
        domain_event_process_task.delay(event.pk)
    event.refresh_from_db()
    assert event.status == "received"

    # the retry (delivered by the broker, run here by hand) processes it
    assert domain_event_process_task.apply(args=[event.pk], retries=1).get()["status"] == "processed"
    assert calls == ["received", "received"]

    # the last allowed attempt that fails leaves the event failed, with no retry
    calls.clear()
    with pytest.raises(OperationalError):
        domain_event_process_task.apply(args=[event.pk], retries=3).get()
    event.refresh_from_db()
    assert event.status == "failed"
