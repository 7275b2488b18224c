"""Celery tasks of the workflows: ids in, one service call."""

from __future__ import annotations

from celery import shared_task
from django.db import IntegrityError, OperationalError

from replenish.core.retry import retrying

from . import services
from .labor import labor_check
from .models import DomainEvent


# Task names predate the move into exceptions/: queued messages and schedules keep working.
# lock timeout, dropped connection, or a concurrent event created the same live queue item first: retried after
# 10 s, 20 s, 40 s (the retry sees the other event's rows and updates them in place)
@shared_task(
    name="workflows.tasks.domain_event_process_task",
    bind=True,
    acks_late=True,
    **retrying(backoff=10, maximum=300, errors=(OperationalError, IntegrityError)),
)
def domain_event_process_task(self, event_id: int) -> dict:
    """Process one domain event (idempotent: an event already taken returns at once)."""
    try:
        event = services.domain_event_process(event_id=event_id)
    # lock timeout, dropped connection, or a concurrent event created the same live queue item first: back to
    # received and retry with backoff (the retry sees the other event's rows and updates them in place)
    except (OperationalError, IntegrityError):
        if self.request.retries < self.max_retries:  # back to received for the retry; the last failure stays
            DomainEvent.objects.filter(pk=event_id, status=DomainEvent.Status.FAILED).update(
                status=DomainEvent.Status.RECEIVED
            )
        raise
    if event is None:
        return {"event_id": event_id, "skipped": "already taken"}
    return {"event_id": event_id, "status": event.status, "results": event.results}


@shared_task(name="workflows.tasks.domain_events_sweep_task", acks_late=True)
def domain_events_sweep_task() -> list[int]:
    """Dispatch the domain events whose dispatch a crash lost (Celery beat, every minute)."""
    return services.domain_events_dispatch_pending()


@shared_task(name="workflows.tasks.labor_check_task", acks_late=True)
def labor_check_task(location_id: int, day: str) -> int | None:
    from datetime import date

    task = labor_check(location_id=location_id, day=date.fromisoformat(day))
    return task.pk if task else None
