"""Simulations and backtests started from the screen: a report row from the start, a Celery task that runs the
evaluation and reports its progress on the row, the report filled in at the end (or the error).

With a broker (REDIS_URL) a worker takes the task. Without one (`make run`) Celery runs tasks in-process, which
would hold the request for the whole run: the task then runs in a background thread of the web process instead,
so the page can show the progress bar (`EVALUATION_JOBS_INLINE` runs it inside the request, for tests).
"""

from __future__ import annotations

import math
import threading
import traceback
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from replenish.core.audit import audit_record
from replenish.engine.simulate import ORDERINGS
from replenish.models import JobStatus, SimulationReport

from .attention import AttentionSettings
from .backtest import DEFAULT_HOLDOUT_WEEKS, backtest_run
from .services import simulation_report_finish
from .simulation import DEFAULT_POLICIES, DEFAULT_REPLAN_WEEKS, DEFAULT_WARMUP_WEEKS, simulation_run
from .window import GENERATED, EvaluationError

SIMULATION_WEEKS = (13, 26, 52)
MAX_ATTENTION = 10_000
BACKTEST_WEEKS = (13, 26)
MAX_PROGRESS_BEFORE_DONE = 95
# a run says something at least every plan (seconds to a couple of minutes at 900,000 SKU-locations): this long
# without a word, the process running it has ended
STALE_AFTER = timedelta(minutes=15)


class JobError(ValueError):
    """A request the evaluation cannot run; the message names the field."""


class Progress:
    """Percent done from the evaluation's messages, by phase and its share of the time (measured on the demo:
    reading 5%, the service calibration ~40% of a simulation, the re-plans ~35%, the policies and the frontier the
    rest): "N SKU-locations ... to simulate" ends the reading, "service calibration ..." the calibration, "plan i"
    counts the re-plans, "...: simulated" the policies."""

    def __init__(self, kind: str, parameters: dict) -> None:
        replan = max(int(parameters.get("replan_weeks") or DEFAULT_REPLAN_WEEKS), 1)
        weeks = int(parameters["weeks"]) + int(parameters.get("warmup_weeks") or 0)
        self.plans = math.ceil(weeks / replan)
        simulation = kind == SimulationReport.Kind.SIMULATION
        self.runs = (len(parameters.get("policies") or DEFAULT_POLICIES) + 1) if simulation else 2
        if parameters.get("attention") is not None:
            self.runs += len(ORDERINGS)
        self.shares = {"read": 5, "calibration": 40 if simulation else 0, "plans": 35 if simulation else 70}
        self.done_plans = self.done_runs = 0
        self.calibrated = self.read = False

    def after(self, message: str) -> tuple[int, str]:
        """The percent done once this message is said, and what the page says it is doing now."""
        now = message
        if "to simulate" in message:
            self.read = True
            if self.shares["calibration"]:
                now = f"{message}; calibrating the service targets on the recent history"
        elif message.startswith("service calibration"):
            self.calibrated = True
        elif message.startswith("plan "):
            self.done_plans += 1
        elif "simulated" in message:
            self.done_runs += 1
        percent = self.shares["read"] * self.read + self.shares["calibration"] * self.calibrated
        percent += self.shares["plans"] * min(self.done_plans / self.plans, 1.0)
        rest = 100 - sum(self.shares.values())
        percent += rest * min(self.done_runs / self.runs, 1.0)
        return min(int(percent), MAX_PROGRESS_BEFORE_DONE), now


def _clean_parameters(kind: str, data: dict) -> dict[str, Any]:
    try:
        weeks = int(data.get("weeks") or 26)
        seed = int(data.get("seed") or 1)
    except (TypeError, ValueError) as error:
        raise JobError("Weeks and seed must be whole numbers.") from error
    allowed = SIMULATION_WEEKS if kind == SimulationReport.Kind.SIMULATION else BACKTEST_WEEKS
    if weeks not in allowed:
        raise JobError(f"Weeks must be one of {', '.join(map(str, allowed))} (got {weeks}).")
    if not 0 <= seed <= 1_000_000:
        raise JobError(f"The seed must be between 0 and 1,000,000 (got {seed}).")
    parameters: dict[str, Any] = {"weeks": weeks, "seed": seed}
    if kind == SimulationReport.Kind.SIMULATION:
        parameters |= {"demand": GENERATED, "warmup_weeks": DEFAULT_WARMUP_WEEKS.get(GENERATED, 0)}
        parameters["policies"] = list(DEFAULT_POLICIES)
        parameters["attention"] = _attention_capacity(data.get("attention"))
    parameters["replan_weeks"] = DEFAULT_REPLAN_WEEKS
    return parameters


def _attention_capacity(value: Any) -> int | None:
    """The attention field: blank = no attention simulation, else tasks per planner per day (0 to 10,000)."""
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ATTENTION:
        raise JobError(
            f"Attention must be a whole number of tasks per planner per day, 0 to {MAX_ATTENTION:,} (got {text})."
        )
    return int(text)


@transaction.atomic
def evaluation_job_start(*, kind: str, data: dict, actor) -> SimulationReport:
    """Create the report row (queued) and send its task once the row is committed."""
    if kind not in SimulationReport.Kind.values:
        raise JobError(f"Unknown kind {kind!r}: simulation or backtest.")
    evaluation_jobs_orphaned_fail()
    if SimulationReport.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
        raise JobError("A simulation or backtest is already running: wait for it to finish.")

    parameters = _clean_parameters(kind, data)
    row = SimulationReport.objects.create(
        kind=kind,
        created_by=actor if getattr(actor, "pk", None) else None,
        source="web",
        parameters=parameters,
        status=JobStatus.QUEUED,
        progress=0,
        message="Waiting for a worker",
    )
    audit_record(
        kind="system",
        action=f"{kind}_started",
        actor=row.created_by,
        subject_type="simulation_report",
        subject_id=row.pk,
        payload={"parameters": parameters},
    )
    transaction.on_commit(lambda: _dispatch(row.pk))
    return row


def _dispatch(report_id: int) -> None:
    from celery import current_app

    from replenish.tasks import evaluation_job_run_task

    if not current_app.conf.task_always_eager:
        evaluation_job_run_task.delay(report_id)
    elif getattr(settings, "EVALUATION_JOBS_INLINE", False):
        evaluation_job_run_task.apply(args=[report_id])
    else:

        def run() -> None:
            try:
                evaluation_job_run_task.apply(args=[report_id])
            finally:
                close_old_connections()

        threading.Thread(target=run, name=f"evaluation-{report_id}", daemon=True).start()


def _set(report_id: int, **fields) -> None:
    SimulationReport.objects.filter(pk=report_id).update(progressed_at=timezone.now(), **fields)


def is_orphaned(row: SimulationReport, now=None) -> bool:
    """Queued or running without any progress for STALE_AFTER (see evaluation_jobs_orphaned_fail)."""
    now = now or timezone.now()
    last = row.progressed_at or row.created_at
    return row.status in (JobStatus.QUEUED, JobStatus.RUNNING) and last < now - STALE_AFTER


def evaluation_jobs_orphaned_fail(*, now=None) -> int:
    """Runs that reported no progress for STALE_AFTER are marked failed: the process running them ended (a web
    process restarted under `make run`, a worker killed), and a run that never finishes would block new ones."""
    now = now or timezone.now()
    stale = SimulationReport.objects.filter(
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING], created_at__lt=now - STALE_AFTER
    ).filter(Q(progressed_at__isnull=True) | Q(progressed_at__lt=now - STALE_AFTER))
    return stale.update(
        status=JobStatus.FAILED,
        message="Failed",
        error=f"no progress for {int(STALE_AFTER.total_seconds() // 60)} minutes: the process running it ended",
        finished_at=now,
    )


def evaluation_job_run(*, report_id: int) -> None:
    """Run the evaluation of a queued report, with its progress on the row; idempotent (a finished job returns)."""
    row = SimulationReport.objects.filter(pk=report_id).first()
    if row is None or row.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return
    parameters = dict(row.parameters)
    counter = Progress(row.kind, parameters)

    def progress(message: str) -> None:
        percent, now = counter.after(message)
        _set(report_id, progress=percent, message=now[:200])

    _set(report_id, status=JobStatus.RUNNING, progress=1, message="Reading the network")
    try:
        if row.kind == SimulationReport.Kind.BACKTEST:
            report = backtest_run(
                holdout_weeks=parameters.get("weeks", DEFAULT_HOLDOUT_WEEKS),
                seed=parameters["seed"],
                replan_weeks=parameters["replan_weeks"],
                progress=progress,
            )
        else:
            report = simulation_run(
                demand=parameters["demand"],
                weeks=parameters["weeks"],
                warmup_weeks=parameters["warmup_weeks"],
                seed=parameters["seed"],
                policies=parameters["policies"],
                replan_weeks=parameters["replan_weeks"],
                progress=progress,
                attention=None
                if parameters.get("attention") is None
                else AttentionSettings(capacity=int(parameters["attention"])),
            )
    except (EvaluationError, ValueError) as error:
        _set(
            report_id, status=JobStatus.FAILED, error=str(error), message="Failed", finished_at=timezone.now()
        )
        return
    except Exception:  # noqa: BLE001 - the row says what went wrong; the worker logs it too
        _set(
            report_id,
            status=JobStatus.FAILED,
            error=traceback.format_exc(limit=3)[-2000:],
            message="Failed",
            finished_at=timezone.now(),
        )
        raise
    simulation_report_finish(report_id=report_id, report=report)
