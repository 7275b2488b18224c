"""exceptions_refresh: run the detectors over a plan run and bring the live exceptions in line, set-based.

Per chunk of SKU-locations (a range of item ids, so PO and order lines are read through their item index), in one
transaction: read the run's SkuPlan and Recommendation rows, the open PO lines with their ASNs and the open order
lines into DataFrames; detect (detectors/); value (replenish/engine/value.py); route (routing.py); then
- create what is new and update in place the undecided exceptions that still hold (COPY on PostgreSQL, see bulk.py;
  unchanged rows are not rewritten), and close what no longer holds (one UPDATE per batch of ids);
- audit every new recommendation-bearing exception (kind "recommendation"), and apply the automation policy to each:
  when governance.policy.automation_decide says auto, the exception is created auto-executed with a Decision row
  (actor None), an audit event (kind "auto_execution") and an outbox message, in the same transaction.

Audit volume: each creation and each auto-execution gets its own hash-chained event, unless one chunk creates more
than EXCEPTIONS_AUDIT_EACH_MAX (default 2,000) of them, as the first full refresh at 900,000 SKU-locations does. Then
the chunk writes one batch event listing every created exception (id, recommendation, action, quantity, value,
confidence) -- the chain covers each of them at creation -- and marks them `creation_audited=False`, so the
audit timeline of such an exception shows its row of the run's batch event. Viewing an exception writes nothing.

Lifecycle at a refresh, for an exception that still holds: open / in review / snoozed -> updated in place (a snooze
that has run out reopens; the version increments only when the proposed action changes, so a planner's pending
decision is refused as stale exactly when what they looked at changed); awaiting approval, approved, overridden,
auto-executed -> left as they are (a person or the ERP is on it); rejected or posted -> left as they are for
SUPPRESS_DAYS after the decision, so the same proposal does not come straight back, then closed and raised anew.
An exception that no longer holds is closed, except the ones waiting for their ERP posting.
Supplier-level exceptions (supplier decline) are detected only by a full-network refresh. A refresh of a run that stops
being current part-way skips its remaining chunks (the newer run refreshes everything).

Scale: the chunks are independent (jobs.py): `exceptions_refresh_dispatch` sends one Celery task per chunk, any worker
takes any chunk, and the last chunk runs the finish (the tasks that span chunks, then ANALYZE on PostgreSQL).
`exceptions_refresh` runs the same chunks in this process.

Measured on PostgreSQL (2 cores), 100,000 SKU-locations / 47,700 exceptions: first refresh 24 s, a refresh after a
plan change 16 s, an unchanged one 10 s -- roughly 3.5 / 2.5 / 1.5 minutes at 900,000 SKU-locations.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction

from replenish import models as rm

from ..models import RefreshChunk
from .context import Chunk, RefreshResult, audit_each_max, run_as_of
from .jobs import chunk_compute, refresh_finish, refresh_start
from .load import supplier_statistics
from .outbox import OUTBOX_KINDS, idempotency_key, outbox_payload
from .rows import proposal_key
from .wake import exceptions_wake

__all__ = [
    "OUTBOX_KINDS",
    "Chunk",
    "RefreshResult",
    "audit_each_max",
    "exceptions_refresh",
    "exceptions_refresh_dispatch",
    "exceptions_wake",
    "idempotency_key",
    "outbox_payload",
    "proposal_key",
    "run_as_of",
    "supplier_statistics",
]

logger = logging.getLogger(__name__)


def exceptions_refresh(*, run: rm.PlanRun, item_location_ids=None) -> RefreshResult:
    """Detect, value, route and write the tasks of a plan run (whole network when item_location_ids is None), in
    this process: the same chunks and finish the Celery path runs on workers (jobs.py)."""
    started = time.perf_counter()
    if item_location_ids is None:
        exceptions_wake(today=run_as_of(run))
    head = refresh_start(run=run, item_location_ids=item_location_ids)
    result = None
    for chunk_id in (
        RefreshChunk.objects.filter(batch=head.batch, number__gt=0)
        .order_by("number")
        .values_list("pk", flat=True)
    ):
        result = chunk_compute(chunk_id=chunk_id) or result
    result = result or refresh_finish(batch=head.batch) or RefreshResult(run_id=run.pk)
    result.seconds = round(time.perf_counter() - started, 3)
    logger.info("exceptions refresh of run %s: %s", run.pk, result)
    return result


def exceptions_refresh_dispatch(*, run: rm.PlanRun, item_location_ids=None) -> str:
    """The same refresh on the Celery workers: one task per chunk (any worker takes any chunk); the last to finish
    runs the finish. Returns the refresh's batch id."""
    from celery import group

    from ..tasks import exceptions_chunk_task

    if item_location_ids is None:
        exceptions_wake(today=run_as_of(run))
    head = refresh_start(run=run, item_location_ids=item_location_ids)
    ids = list(RefreshChunk.objects.filter(batch=head.batch, number__gt=0).values_list("pk", flat=True))
    if not ids:
        refresh_finish(batch=head.batch)
    else:
        transaction.on_commit(lambda: group(exceptions_chunk_task.s(pk) for pk in ids).apply_async())
    return head.batch
