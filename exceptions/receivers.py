"""Signal receivers: a completed plan run refreshes the exceptions; an ERP posting outcome marks its exception."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from integrations.signals import items_renamed, outbox_requeued, posting_completed
from replenish.signals import plan_run_completed

from .posting import exception_posting_resume
from .services import exception_mark_posted, exception_skus_copy


@receiver(plan_run_completed, dispatch_uid="exceptions.refresh_on_plan_run")
def refresh_on_plan_run(sender, run, item_location_ids=None, **kwargs) -> None:
    from .tasks import exceptions_refresh_task

    ids = None if item_location_ids is None else [int(i) for i in item_location_ids]
    # After the run's transaction commits (in-process when Celery runs eager, else on a worker).
    transaction.on_commit(lambda: exceptions_refresh_task.delay(run.pk, ids))


@receiver(posting_completed, dispatch_uid="exceptions.mark_posted")
def mark_posted(sender, message, ok: bool, outcome: dict, **kwargs) -> None:
    if getattr(message, "subject_type", "") != "exception" or not str(message.subject_id).isdigit():
        return
    exception_mark_posted(exception_id=int(message.subject_id), outcome=outcome or {}, ok=ok)


@receiver(outbox_requeued, dispatch_uid="exceptions.posting_resumed")
def posting_resumed(sender, message, actor=None, **kwargs) -> None:
    if getattr(message, "subject_type", "") != "exception" or not str(message.subject_id).isdigit():
        return
    exception_posting_resume(exception_id=int(message.subject_id), message=message, actor=actor)


@receiver(items_renamed, dispatch_uid="exceptions.skus_renamed")
def skus_renamed(sender, skus, **kwargs) -> None:
    exception_skus_copy(skus=skus)
