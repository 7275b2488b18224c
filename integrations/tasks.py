"""Celery tasks of the integrations app: ids in (or nothing), one service call."""

from __future__ import annotations

from celery import shared_task

from .erp.sync import erp_pull
from .inbox import inbox_process, inbox_stuck_sweep
from .outbox import outbox_relay


@shared_task(bind=True, acks_late=True, ignore_result=True)
def outbox_relay_task(self) -> dict:
    """Relay due outbox messages (scheduled every few seconds and kicked on commit; idempotent and concurrent-safe:
    each message is claimed by one worker with SELECT ... FOR UPDATE SKIP LOCKED)."""
    return outbox_relay(worker=self.request.hostname or "in-process").as_dict()


@shared_task(bind=True, acks_late=True, ignore_result=True)
def erp_pull_task(self, entities: list[str] | None = None) -> dict:
    return erp_pull(entities=entities)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def inbox_process_task(self, message_id: int, actor_id: int | None = None) -> str:
    """Process one received inbox message (an uploaded file, a swept one); idempotent: a message already processed
    is returned as it is. `actor_id`: who uploaded it, for the audit event."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return inbox_process(message_id=message_id, actor=actor).status


@shared_task(acks_late=True, ignore_result=True)
def inbox_sweep_task() -> dict:
    """Scheduled (beat): process again the inbox messages a dead or timed-out worker left `received`."""
    return inbox_stuck_sweep()
