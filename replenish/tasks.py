"""Celery tasks of the replenish app: ids in, one service call."""

from celery import shared_task

from . import services


@shared_task(bind=True, acks_late=True)
def worker_heartbeat_task(self) -> str:
    hostname = self.request.hostname or "in-process"
    services.worker_heartbeat_record(hostname=hostname)
    return hostname
