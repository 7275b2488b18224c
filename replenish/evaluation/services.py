"""Writers of the evaluation: a report row and its audit event in one transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from replenish.core.audit import audit_record
from replenish.models import JobStatus, SimulationReport


@transaction.atomic
def simulation_report_create(
    *, report: dict[str, Any], actor=None, source: str = "command"
) -> SimulationReport:
    """Store a simulation or backtest report (the dict `simulation_run` / `backtest_run` return)."""
    kind = report.get("kind", SimulationReport.Kind.SIMULATION)
    if kind not in SimulationReport.Kind.values:
        raise ValueError(f"unknown report kind {kind!r}")
    row = SimulationReport.objects.create(
        kind=kind,
        created_by=actor if getattr(actor, "pk", None) else None,
        source=source,
        parameters=report.get("parameters", {}),
        results=report,
    )
    audit_record(
        kind="system",
        action=f"{kind}_report",
        actor=row.created_by,
        subject_type="simulation_report",
        subject_id=row.pk,
        payload={"parameters": row.parameters, "acceptance": report.get("acceptance", {})},
    )
    return row


@transaction.atomic
def simulation_report_finish(*, report_id: int, report: dict[str, Any]) -> SimulationReport:
    """Fill in the results of a report started from the screen (evaluation/jobs.py) and audit them."""
    from django.utils import timezone

    row = SimulationReport.objects.select_for_update().get(pk=report_id)
    row.parameters = report.get("parameters", row.parameters)
    row.results = report
    row.status, row.progress, row.message, row.finished_at = JobStatus.COMPLETE, 100, "Done", timezone.now()
    row.save(update_fields=["parameters", "results", "status", "progress", "message", "finished_at"])
    audit_record(
        kind="system",
        action=f"{row.kind}_report",
        actor=row.created_by,
        subject_type="simulation_report",
        subject_id=row.pk,
        payload={"parameters": row.parameters, "acceptance": report.get("acceptance", {})},
    )
    return row
