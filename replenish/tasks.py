"""Celery tasks of the replenish app: ids in, one service call."""

from celery import shared_task
from django.db import OperationalError

from . import services
from .core.retry import retrying
from .evaluation.jobs import evaluation_job_run
from .models import PlanChunk, PlanRun
from .planning import calibration, refresh


@shared_task(bind=True, acks_late=True)
def worker_heartbeat_task(self) -> str:
    hostname = self.request.hostname or "in-process"
    services.worker_heartbeat_record(hostname=hostname)
    return hostname


# A chunk takes ~10-30 s; a lock timeout or dropped connection is retried after about 1, 2, 4 s (jittered: many
# chunks of one run may hit the same lock at once).
@shared_task(bind=True, acks_late=True, **retrying(backoff=1, jitter=True))
def plan_chunk_task(self, chunk_id: int) -> None:
    try:
        refresh.plan_chunk_compute(chunk_id=chunk_id)
    except OperationalError:
        raise
    except Exception as error:
        chunk = PlanChunk.objects.get(pk=chunk_id)
        refresh.plan_run_fail(run_id=chunk.run_id, error=f"chunk {chunk.index}: {error}")
        raise


@shared_task(acks_late=True)
def plan_refresh_task(location_code: str | None = None, skus: list[str] | None = None) -> int:
    """The scheduled (beat) and on-demand entry point: starts a run whose chunks go to the workers."""
    run = refresh.plan_refresh(location_code=location_code, skus=skus, inline=False)
    return run.pk


@shared_task(acks_late=True)
def plan_refresh_touched_task(item_location_ids: list[int]) -> int:
    """Event-driven re-plan of the SKU-locations an inbound event touched (one small chunk)."""
    run = refresh.plan_refresh(item_location_ids=item_location_ids, inline=True)
    return run.pk


@shared_task
def plan_runs_prune_task() -> int:
    return refresh.plan_runs_prune()


@shared_task(acks_late=True)
def service_calibration_task(run_id: int | None = None) -> int:
    """Nightly, after the plan: replay its recent history and store the factors the next plan applies."""
    run = PlanRun.objects.filter(pk=run_id).first() if run_id else None
    return calibration.service_calibration_learn(run=run).pk


# One evaluation takes seconds to minutes; it is not retried (a failed run says why on its report row).
@shared_task(acks_late=True)
def evaluation_job_run_task(report_id: int) -> None:
    evaluation_job_run(report_id=report_id)
