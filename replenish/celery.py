"""Celery application. With REDIS_URL unset, tasks run in-process (eager); set, a real broker and workers."""

import os

from celery import Celery
from celery.signals import worker_init

from replenish.core.checks import audit_key_required

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "replenish.settings")

app = Celery("distops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _audit_key_required(**kwargs) -> None:
    """No worker without the audit chain's key (DEBUG off): its tasks write audit events."""
    audit_key_required()
