"""Celery tasks of the governance app: ids in, one service call. Schedules: CELERY_BEAT_SCHEDULE in settings."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.contrib.auth import get_user_model

from replenish.core.checkpoints import audit_checkpoint_write

from .drift import drift_due, drift_report_run
from .kpis import kpi_backfill, kpi_snapshot_compute
from .models import KpiSnapshot
from .services import acceptance_model_train


@shared_task(acks_late=True)
def kpi_snapshot_task(on: str | None = None) -> int:
    """Daily: today's KPI snapshot (idempotent: recomputing a day replaces its rows). The first run on an empty
    table backfills 26 weeks from history first, so the charts show a trend from day one."""
    day = date.fromisoformat(on) if on else None
    if not KpiSnapshot.objects.exists():
        return kpi_backfill(end=day)
    return kpi_snapshot_compute(on=day)


@shared_task(acks_late=True)
def kpi_backfill_task(weeks: int = 26) -> int:
    return kpi_backfill(weeks=weeks)


@shared_task(acks_late=True)
def drift_report_task(actor_id: int | None = None, force: bool = False) -> int | None:
    """Scheduled daily, runs once per calendar month (so a missed day still gets its monthly report); on demand
    with force=True."""
    if not force and not drift_due():
        return None
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return drift_report_run(actor=actor).pk


@shared_task(acks_late=True)
def acceptance_model_train_task() -> int | None:
    """Weekly: retrain the acceptance model on the decisions so far; records version and validation score."""
    model = acceptance_model_train()
    return model.version if model else None


@shared_task(acks_late=True)
def audit_checkpoint_task() -> int:
    """Daily: append the audit chain's head to the signed checkpoint file outside the database; returns its
    sequence. Idempotent enough: a second run the same day appends the same head again (harmless)."""
    return audit_checkpoint_write().sequence
