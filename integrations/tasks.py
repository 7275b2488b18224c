"""Celery tasks of the integrations app: ids in (or nothing), one service call."""

from __future__ import annotations

from celery import shared_task


@shared_task(bind=True, acks_late=True, ignore_result=True)
def outbox_relay_task(self) -> dict:
    """Relay due outbox messages (scheduled every few seconds and kicked on commit; idempotent and concurrent-safe:
    each message is claimed by one worker with SELECT ... FOR UPDATE SKIP LOCKED)."""
    from .outbox import outbox_relay

    return outbox_relay(worker=self.request.hostname or "in-process").as_dict()


@shared_task(bind=True, acks_late=True, ignore_result=True)
def erp_pull_task(self, entities: list[str] | None = None) -> dict:
    from .erp.sync import erp_pull

    return erp_pull(entities=entities)


@shared_task(bind=True, acks_late=True, ignore_result=True)
def inbox_process_task(self, message_id: int) -> str:
    from .inbox import inbox_process

    return inbox_process(message_id=message_id).status


@shared_task(acks_late=True, ignore_result=True)
def inbox_sweep_task() -> dict:
    """Scheduled (beat): process again the inbox messages a dead or timed-out worker left `received`."""
    from .inbox import inbox_stuck_sweep

    return inbox_stuck_sweep()
