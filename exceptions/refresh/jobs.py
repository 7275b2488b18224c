"""An exceptions refresh as independent chunks, like the plan refresh: `refresh_start` records the chunks and the
inputs they share (number 0), `chunk_compute` computes one chunk in its own transaction on any worker (Celery, or in
process), and the chunk that completes the set runs `refresh_finish` exactly once: supplier-level tasks, draft POs,
late shipments (from what each chunk recorded), ANALYZE of the table on PostgreSQL (autovacuum may be off), counts.

Full-refresh chunks take the refresh's advisory lock shared, so they run in parallel (their item ranges are
disjoint); a partial refresh and the finish take it exclusive, so overlapping scopes still take turns.
"""

from __future__ import annotations

import logging
import os
import time
import uuid

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from integrations.models import OutboxMessage
from replenish import models as rm
from replenish.bulk import tables_analyze
from replenish.core.models import AuditEvent
from replenish.core.roles import WAREHOUSE_SUPERVISOR

from .. import detectors
from ..attention import team_floors
from ..models import (
    LIVE,
    SUPPLIER_LEVEL_TYPES,
    Decision,
    LocationUserObjectPermission,
    PlanningException,
    RefreshChunk,
    Status,
)
from ..routing import rules_load
from ..scoring import value_settings
from ..selectors import queue_counts_invalidate
from ..service.sync import at_risk_sync
from .apply import _apply, existing_rows
from .context import ADVISORY_LOCK_KEY, Chunk, RefreshResult, collector_paused, refresh_lock, run_as_of
from .load import _load_chunk, supplier_statistics
from .rows import Context, _rows, _supplier_rows
from .tasks import _shipment_line, draft_pos_refresh, shipments_refresh

logger = logging.getLogger(__name__)

# Items per chunk: ~50,000 SKU-locations at 5 locations, a few hundred MB of frames at most, and short enough
# transactions (a few seconds on PostgreSQL) that a decision waiting for a row lock is not held long.
ITEM_CHUNK = 10_000
ID_CHUNK = 5_000  # explicit SKU-location ids per chunk (SQLite's bound-parameter limit is 32,766)
STAT_COLUMNS = ["supplier_id", "n_recent", "recent_mean", "recent_sd", "n_base", "base_mean", "base_sd"]
STAT_COLUMNS += ["fill_recent", "fill_base", "reliability", "n"]
COUNTS = ("created", "updated", "unchanged", "kept", "closed", "auto_executed", "batch_audited")


class Superseded(Exception):
    """A newer plan run became current while this refresh was running: it stops, the newer one refreshes."""


def _ranges(item_location_ids) -> list[dict]:
    if item_location_ids is not None:
        ids = sorted({int(i) for i in item_location_ids})
        return [{"ids": ids[i : i + ID_CHUNK]} for i in range(0, len(ids), ID_CHUNK)]
    bounds = rm.ItemLocation.objects.aggregate(lo=Min("item_id"), hi=Max("item_id"))
    if bounds["lo"] is None:
        return []
    return [
        {"item_lo": lo, "item_hi": lo + ITEM_CHUNK}
        for lo in range(bounds["lo"], bounds["hi"] + 1, ITEM_CHUNK)
    ]


def refresh_start(*, run: rm.PlanRun, item_location_ids=None) -> RefreshChunk:
    """Record a refresh and its chunks; the shared inputs (supplier statistics, as-of date) go on chunk 0."""
    as_of = run_as_of(run)
    full = item_location_ids is None
    stats = supplier_statistics(as_of)
    head_fields = {
        "as_of": as_of.isoformat(),
        "full": full,
        "touched": None if full else sorted({int(i) for i in item_location_ids}),
        "stats": stats.reindex(columns=STAT_COLUMNS).replace({np.nan: None}).to_dict("records"),
        "check_current": run.is_current,
        "now": timezone.now().isoformat(),
    }
    batch = uuid.uuid4().hex
    with transaction.atomic():
        head = RefreshChunk.objects.create(batch=batch, number=0, run=run, result={"inputs": head_fields})
        RefreshChunk.objects.bulk_create(
            [
                RefreshChunk(batch=batch, number=n, run=run, **r)
                for n, r in enumerate(_ranges(item_location_ids), 1)
            ]
        )
    return head


def _context(head: RefreshChunk) -> Context:
    inputs = head.result["inputs"]
    stats = pd.DataFrame(inputs["stats"], columns=STAT_COLUMNS).astype({c: float for c in STAT_COLUMNS[1:]})
    supervisors: dict[int, int] = {}
    for location_id, user_id in (
        LocationUserObjectPermission.objects.filter(
            user__groups__name=WAREHOUSE_SUPERVISOR, permission__codename="view_location"
        )
        .order_by("user_id")
        .values_list("content_object_id", "user_id")
    ):
        supervisors.setdefault(location_id, user_id)
    suppliers = {pk: (code, name) for pk, code, name in rm.Supplier.objects.values_list("pk", "code", "name")}
    return Context(
        run=head.run,
        as_of=pd.Timestamp(inputs["as_of"]).date(),
        now=pd.Timestamp(inputs["now"]).to_pydatetime(),
        rules=rules_load(),
        supervisors=supervisors,
        suppliers=suppliers,
        locations=dict(rm.Location.objects.values_list("pk", "code")),
        usernames=dict(get_user_model().objects.values_list("pk", "username")),
        reliability={int(s): r for s, r in zip(stats["supplier_id"], stats["reliability"]) if np.isfinite(r)},
        receipts={int(s): n for s, n in zip(stats["supplier_id"], stats["n"]) if np.isfinite(n)},
        declining=detectors.supplier_decline(stats) if inputs["full"] and len(stats) else pd.DataFrame(),
        result=RefreshResult(run_id=head.run_id),
        check_current=inputs["check_current"],
        value_settings=value_settings(),
        floors=team_floors(),
    )


def _shared_lock(full: bool) -> None:
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if full else "pg_advisory_xact_lock"

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [ADVISORY_LOCK_KEY])


def _compute(chunk: RefreshChunk, ctx: Context, full: bool) -> dict:
    """Detect, value, route and write one chunk (inside its transaction); returns what the finish needs."""
    scope = (
        Chunk(ids=tuple(chunk.ids)) if chunk.ids is not None else Chunk(lo=chunk.item_lo, hi=chunk.item_hi)
    )
    timer = ctx.result.timed
    started = ctx.result.clock()
    data = _load_chunk(ctx.run, scope, ctx.as_of)
    started = timer("load", started)
    existing = existing_rows(PlanningException.objects.filter(scope.il_q(), status__in=LIVE))
    # a draft PO whose line leaves or changes is assembled again at the finish
    ctx.po_pairs |= {(e["supplier_id"], e["location_id"]) for e in existing if e["status"] == Status.IN_DRAFT}
    started = timer("existing", started)
    plans, rows, exposure, buyers = data["plans"], [], [], []
    if not plans.empty:
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
            exposure = detectors.supplier_exposure(plans, ctx.declining, data["po_lines"], ctx.value_settings)
            exposure = exposure.to_dict("records")
            buyers = (
                plans.groupby(["supplier_id", "buyer_id"]).size().rename("n").reset_index().to_dict("records")
            )
    _apply(rows, existing, ctx)
    timer("write", started)
    r = ctx.result
    return {
        **{name: getattr(r, name) for name in COUNTS},
        "by_type": r.by_type,
        "timings": r.timings,
        "cpu": r.cpu,
        "po_pairs": sorted(
            [int(s), int(loc)] for s, loc in ctx.po_pairs if s is not None and loc is not None
        ),
        "asn_lines": [_shipment_line(row) for row in ctx.asn_lines],
        "exposure": exposure,
        "buyers": [{k: int(v) for k, v in b.items()} for b in buyers],
    }


def _order_atp(chunk: RefreshChunk, ctx: Context) -> None:
    """The one list of at-risk order lines (the customer-service queue), synced by order-line ATP for the chunk
    before the chunk reads it, in a transaction of its own: its audit events (one per service task changed) hold the
    audit chain's head row only until the sync commits, not for the whole chunk, so chunks still run in parallel."""
    started = ctx.result.clock()
    at_risk_sync(
        item_range=None if chunk.ids is not None else (chunk.item_lo, chunk.item_hi),
        item_location_ids=chunk.ids,
    )
    ctx.result.timed("order_atp", started)


def _backend_cpu() -> float | None:
    """CPU seconds this connection's PostgreSQL backend has used, when the server runs on this machine (its
    /proc is readable); None otherwise. Measurement only (the benchmark's "db_cpu_seconds")."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def chunk_compute(*, chunk_id: int) -> RefreshResult | None:
    """Compute one chunk once (a repeated delivery of a done chunk is a no-op); the chunk that completes the set
    runs the finish. Returns the refresh's result when this call finished it."""
    chunk = RefreshChunk.objects.select_related("run").get(pk=chunk_id)
    if chunk.status != RefreshChunk.Status.PENDING:
        return None
    head = RefreshChunk.objects.get(batch=chunk.batch, number=0)
    full = head.result["inputs"]["full"]
    ctx = _context(head)
    started, cpu, db_cpu = time.perf_counter(), time.process_time(), _backend_cpu()
    _order_atp(chunk, ctx)
    with transaction.atomic():
        _shared_lock(full)
        locked = RefreshChunk.objects.select_for_update().get(pk=chunk.pk)
        if locked.status != RefreshChunk.Status.PENDING:
            return None
        current = rm.PlanRun.objects.filter(pk=chunk.run_id, is_current=True).exists()
        if ctx.check_current and not current:
            locked.status = RefreshChunk.Status.SKIPPED
            locked.result = {}
        else:
            with collector_paused():
                locked.result = _compute(locked, ctx, full)
            locked.result["cpu_seconds"] = round(
                time.process_time() - cpu, 3
            )  # this process's, not the database's
            db_cpu_now = _backend_cpu()  # the database's, where measurable
            if db_cpu is not None and db_cpu_now is not None:
                locked.result["db_cpu_seconds"] = round(db_cpu_now - db_cpu, 3)
            locked.status = RefreshChunk.Status.DONE
        locked.seconds = round(time.perf_counter() - started, 3)
        locked.save(update_fields=["status", "result", "seconds"])
    pending = RefreshChunk.objects.filter(batch=chunk.batch, number__gt=0, status=RefreshChunk.Status.PENDING)
    return None if pending.exists() else refresh_finish(batch=chunk.batch)


def _merged(chunks: list[RefreshChunk], run_id: int) -> RefreshResult:
    result = RefreshResult(
        run_id=run_id, chunks=sum(1 for c in chunks if c.status == RefreshChunk.Status.DONE)
    )
    for chunk in chunks:
        for name in COUNTS:
            setattr(result, name, getattr(result, name) + int(chunk.result.get(name, 0)))
        for kind, n in chunk.result.get("by_type", {}).items():
            result.by_type[kind] = result.by_type.get(kind, 0) + n
        for stage, seconds in chunk.result.get("timings", {}).items():
            result.timings[stage] = round(result.timings.get(stage, 0.0) + seconds, 3)
        for stage, seconds in chunk.result.get("cpu", {}).items():
            result.cpu[stage] = round(result.cpu.get(stage, 0.0) + seconds, 3)
    result.superseded = any(c.status == RefreshChunk.Status.SKIPPED for c in chunks)
    return result


def refresh_finish(*, batch: str) -> RefreshResult | None:
    """Once every chunk is done: the tasks that span chunks, then ANALYZE; run once (the head row is claimed)."""
    with transaction.atomic():
        head = RefreshChunk.objects.select_for_update().select_related("run").get(batch=batch, number=0)
        if head.status != RefreshChunk.Status.PENDING:
            return None
        chunks = list(RefreshChunk.objects.filter(batch=batch, number__gt=0).order_by("number"))
        if any(c.status == RefreshChunk.Status.PENDING for c in chunks):
            return None
        head.status = RefreshChunk.Status.DONE
        head.save(update_fields=["status"])
    started = RefreshResult.clock()
    ctx = _context(head)
    ctx.result = _merged(chunks, head.run_id)
    inputs = head.result["inputs"]
    if not ctx.result.superseded:
        _finish_tasks(ctx, chunks, inputs)
    analyzing = ctx.result.clock()
    _analyze(full=inputs["full"])
    ctx.result.timed("analyze", analyzing)  # a part of the finish's time, shown on its own

    queue_counts_invalidate()
    ctx.result.timed("finish", started)
    head.result = {**head.result, "result": {k: v for k, v in vars(ctx.result).items()}}
    RefreshChunk.objects.filter(pk=head.pk).update(result=head.result)
    return ctx.result


def _finish_tasks(ctx: Context, chunks: list[RefreshChunk], inputs: dict) -> None:
    for chunk in chunks:
        ctx.po_pairs |= {tuple(pair) for pair in chunk.result.get("po_pairs", [])}
        ctx.asn_lines.extend(chunk.result.get("asn_lines", []))
        if chunk.result.get("exposure"):
            ctx.supplier_exposure.append(pd.DataFrame(chunk.result["exposure"]))
            ctx.supplier_buyers.append(pd.DataFrame(chunk.result["buyers"]))
    if inputs["full"]:
        with transaction.atomic():
            refresh_lock()
            existing = existing_rows(
                PlanningException.objects.filter(
                    type__in=list(SUPPLIER_LEVEL_TYPES), item_location__isnull=True, status__in=LIVE
                )
            )
            _apply(_supplier_rows(ctx), existing, ctx)
    draft_pos_refresh(ctx, apply=_apply, existing_rows=existing_rows)
    touched = None if inputs["full"] else set(inputs["touched"])
    shipments_refresh(ctx, touched=touched, apply=_apply, existing_rows=existing_rows)


def _analyze(*, full: bool) -> None:
    """Fresh planner statistics after the refresh's writes (replenish.bulk.tables_analyze): the tasks with VACUUM too,
    so the queue's COUNTs are index-only scans of its covering indexes (exceptions.models); after a full refresh also
    the decisions, outbox messages and audit events its automation wrote in bulk, with ANALYZE alone (no screen counts
    them by index). A partial refresh (an event's few SKU-locations) leaves their statistics as they are: sampling
    those large tables would only slow the event's path."""
    tables_analyze(*((Decision, OutboxMessage, AuditEvent) if full else ()), vacuum=[PlanningException])
