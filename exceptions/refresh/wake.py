"""Reopen snoozed exceptions whose date has come (daily task, and every full refresh)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from replenish.core.audit import audit_record

from ..models import PlanningException, Status
from ..selectors import queue_counts_invalidate


def exceptions_wake(*, today: date | None = None) -> int:
    """Reopen the snoozed exceptions whose date has come (the refresh does it too; this keeps the queue exact daily)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        woken = PlanningException.objects.filter(status=Status.SNOOZED, snoozed_until__lte=today).update(
            status=Status.OPEN, snoozed_until=None, version=F("version") + 1, updated_at=timezone.now()
        )
        if woken:
            audit_record(
                kind="system",
                action="snooze_wake",
                actor=None,
                subject_type="exceptions",
                subject_id="snoozed",
                payload={"count": woken, "on": today.isoformat()},
            )
    if woken:
        queue_counts_invalidate()
    return woken
