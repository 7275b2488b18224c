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
being current part-way stops at the next chunk (the newer run refreshes everything).

Measured on PostgreSQL (2 cores), 100,000 SKU-locations / 47,700 exceptions: first refresh 24 s, a refresh after a
plan change 16 s, an unchanged one 10 s -- roughly 3.5 / 2.5 / 1.5 minutes at 900,000 SKU-locations.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from replenish import models as rm
from replenish.core.roles import WAREHOUSE_SUPERVISOR

from .. import detectors
from ..models import LIVE, SUPPLIER_LEVEL_TYPES, LocationUserObjectPermission, PlanningException, Status
from ..routing import rules_load
from ..scoring import value_settings
from .apply import _apply, existing_rows
from .context import Chunk, RefreshResult, audit_each_max, refresh_lock, run_as_of
from .load import _load_chunk, supplier_statistics
from .outbox import OUTBOX_KINDS, idempotency_key, outbox_payload
from .rows import Context, _rows, _supplier_rows, proposal_key
from .tasks import draft_pos_refresh, shipments_refresh
from .wake import exceptions_wake

__all__ = [
    "OUTBOX_KINDS",
    "Chunk",
    "RefreshResult",
    "audit_each_max",
    "exceptions_refresh",
    "exceptions_wake",
    "idempotency_key",
    "outbox_payload",
    "proposal_key",
    "run_as_of",
    "supplier_statistics",
]

logger = logging.getLogger(__name__)

# Items per chunk: ~50,000 SKU-locations at 5 locations, a few hundred MB of frames at most, and short enough
# transactions (a few seconds on PostgreSQL) that a decision waiting for a row lock is not held long.
ITEM_CHUNK = 10_000
ID_CHUNK = 5_000  # explicit SKU-location ids per chunk (SQLite's bound-parameter limit is 32,766)


def _chunks(run: rm.PlanRun, item_location_ids) -> list[Chunk]:
    if item_location_ids is not None:
        ids = sorted({int(i) for i in item_location_ids})
        return [Chunk(ids=tuple(ids[i : i + ID_CHUNK])) for i in range(0, len(ids), ID_CHUNK)]
    bounds = rm.ItemLocation.objects.aggregate(lo=Min("item_id"), hi=Max("item_id"))
    if bounds["lo"] is None:
        return []
    return [Chunk(lo=lo, hi=lo + ITEM_CHUNK) for lo in range(bounds["lo"], bounds["hi"] + 1, ITEM_CHUNK)]


class Superseded(Exception):
    """A newer plan run became current while this refresh was running: it stops, the newer one refreshes."""


def _refresh_chunk(chunk: Chunk, ctx: Context) -> None:
    timer = ctx.result.timed
    with transaction.atomic():
        started = time.perf_counter()
        refresh_lock()
        if ctx.check_current and not rm.PlanRun.objects.filter(pk=ctx.run.pk, is_current=True).exists():
            raise Superseded(f"plan run {ctx.run.pk} is no longer current")
        data = _load_chunk(ctx.run, chunk, ctx.as_of)
        started = timer("load", started)
        existing = existing_rows(PlanningException.objects.filter(chunk.il_q(), status__in=LIVE))
        # a draft PO whose line leaves or changes is assembled again at the end
        ctx.po_pairs |= {
            (e["supplier_id"], e["location_id"]) for e in existing if e["status"] == Status.IN_DRAFT
        }
        started = timer("existing", started)
        plans = data["plans"]
        if plans.empty:
            rows: list[dict] = []
        else:
            det = detectors.detect_chunk(
                plans=plans,
                recs=data["recs"],
                po_lines=data["po_lines"],
                so_lines=data["so_lines"],
                as_of=ctx.as_of,
                settings=ctx.value_settings,
            )
            started = timer("detect", started)
            rows = _rows(det, data, ctx) if len(det) else []
            started = timer("score", started)
            if len(ctx.declining):
                ctx.supplier_exposure.append(
                    detectors.supplier_exposure(plans, ctx.declining, data["po_lines"], ctx.value_settings)
                )
                ctx.supplier_buyers.append(
                    plans.groupby(["supplier_id", "buyer_id"]).size().rename("n").reset_index()
                )
        _apply(rows, existing, ctx)
        timer("write", started)


def exceptions_refresh(*, run: rm.PlanRun, item_location_ids=None) -> RefreshResult:
    """Detect, score, route and upsert the exceptions of a plan run (whole network when item_location_ids is None)."""
    started = time.perf_counter()
    as_of = run_as_of(run)
    if item_location_ids is None:
        exceptions_wake(today=as_of)
    stats = supplier_statistics(as_of)
    full = item_location_ids is None
    User = get_user_model()
    supervisors = {}
    for location_id, user_id in (
        LocationUserObjectPermission.objects.filter(
            user__groups__name=WAREHOUSE_SUPERVISOR, permission__codename="view_location"
        )
        .order_by("user_id")
        .values_list("content_object_id", "user_id")
    ):
        supervisors.setdefault(location_id, user_id)
    ctx = Context(
        run=run,
        as_of=as_of,
        now=timezone.now(),
        rules=rules_load(),
        supervisors=supervisors,
        suppliers={
            pk: (code, name) for pk, code, name in rm.Supplier.objects.values_list("pk", "code", "name")
        },
        locations=dict(rm.Location.objects.values_list("pk", "code")),
        usernames=dict(User.objects.values_list("pk", "username")),
        reliability={
            int(s): float(r) for s, r in zip(stats["supplier_id"], stats["reliability"]) if np.isfinite(r)
        },
        receipts={int(s): float(n) for s, n in zip(stats["supplier_id"], stats["n"]) if np.isfinite(n)},
        declining=detectors.supplier_decline(stats) if full and len(stats) else pd.DataFrame(),
        result=RefreshResult(run_id=run.pk),
        check_current=run.is_current,
        value_settings=value_settings(),
    )
    try:
        for chunk in _chunks(run, item_location_ids):
            _refresh_chunk(chunk, ctx)
            ctx.result.chunks += 1
    except Superseded as stop:
        logger.info("exceptions refresh stopped after %s chunk(s): %s", ctx.result.chunks, stop)
        ctx.result.superseded = True
        full = False
    if full:
        with transaction.atomic():
            refresh_lock()
            existing = existing_rows(
                PlanningException.objects.filter(
                    type__in=list(SUPPLIER_LEVEL_TYPES), item_location__isnull=True, status__in=LIVE
                )
            )
            _apply(_supplier_rows(ctx), existing, ctx)
    if not ctx.result.superseded:
        draft_pos_refresh(ctx, apply=_apply, existing_rows=existing_rows)
        touched = None if full else {int(i) for i in item_location_ids or ()}
        shipments_refresh(ctx, touched=touched, apply=_apply, existing_rows=existing_rows)
    from ..selectors import queue_counts_invalidate

    queue_counts_invalidate()
    ctx.result.seconds = round(time.perf_counter() - started, 3)
    logger.info("exceptions refresh of run %s: %s", run.pk, ctx.result)
    return ctx.result
