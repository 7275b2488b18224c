"""Celery tasks of the exceptions app: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from replenish.core.retry import retrying
from replenish.models import PlanRun

from .refresh.jobs import chunk_compute
from .services import exceptions_refresh, exceptions_wake


# A lock timeout or a dropped connection: retried after 30 s, 60 s, 120 s.
@shared_task(bind=True, acks_late=True, **retrying(backoff=30))
def exceptions_refresh_task(self, run_id: int, item_location_ids: list[int] | None = None) -> dict:
    """Refresh the exceptions of a plan run. A run that is no longer current is skipped (a newer one refreshes)."""
    run = PlanRun.objects.filter(pk=run_id).first()
    if run is None or not run.is_current:
        return {"run_id": run_id, "skipped": "not the current run"}
    result = exceptions_refresh(run=run, item_location_ids=item_location_ids)
    return {
        "run_id": run_id,
        "created": result.created,
        "updated": result.updated,
        "closed": result.closed,
        "auto_executed": result.auto_executed,
        "seconds": result.seconds,
    }


@shared_task(acks_late=True)
def exceptions_wake_task() -> int:
    """Daily (beat): reopen snoozed exceptions whose date has come."""
    return exceptions_wake()


# A lock timeout or a dropped connection: retried after 30 s, 60 s, 120 s (the chunk's transaction rolled back).
@shared_task(bind=True, acks_late=True, **retrying(backoff=30))
def exceptions_chunk_task(self, chunk_id: int) -> dict:
    """One chunk of a dispatched exceptions refresh (a done chunk delivered again is a no-op)."""
    result = chunk_compute(chunk_id=chunk_id)
    return {"chunk_id": chunk_id, "finished": result is not None}
