"""Celery application. With REDIS_URL unset, tasks run in-process (eager); set, a real broker and workers."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "replenish.settings")

app = Celery("distops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
