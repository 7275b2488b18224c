"""Plan refresh: split the network into item chunks that any Celery worker can compute, each idempotent, then make
the run current in one step, so readers never see half old, half new results.

- Full refresh: every chunk writes SkuPlan and Recommendation rows under the new run (invisible to readers); the
  last chunk to finish flips `PlanRun.is_current` in one transaction.
- Partial refresh (a location, some items, or the SKU-locations an event touched): one chunk; at the end the
  touched rows of the current run are swapped for the new ones in one transaction.

Chunks cover whole items (all locations of an item), so transfers between locations are found inside a chunk.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import asdict
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from replenish import models as m
from replenish.bulk import bulk_insert_frame, tables_analyze
from replenish.core.audit import audit_record
from replenish.engine import PlanOptions, run_plan
from replenish.engine.plan_record import POLICY_INPUT_COLUMNS, plan_options_snapshot
from replenish.signals import plan_run_completed

from .calibration import calibration_latest
from .inputs import load_plan_inputs

log = logging.getLogger(__name__)

# ~25,000 items (125,000 SKU-locations at 5 locations) a chunk: the engine needs ~1 GB and ~10 s for that on one
# core, so a 2-core worker runs two at once within 4 GB, and 180,000 items make 8 chunks to spread over workers.
CHUNK_ITEMS = 25_000
KEEP_RUNS = 3  # plan rows of older runs are pruned (recommendations that people acted on are kept)
ENGINE_VERSION = "distops-engine-1"


def model_version() -> str:
    options = repr(asdict(PlanOptions()))
    return f"{ENGINE_VERSION}+{hashlib.sha256(options.encode()).hexdigest()[:10]}"


def plan_today() -> date:
    return timezone.localdate()


class RefreshError(RuntimeError):
    pass


# --- start --------------------------------------------------------------------------------------------------------


@transaction.atomic
def plan_refresh_start(
    *,
    actor=None,
    location_code: str | None = None,
    skus: list[str] | None = None,
    item_location_ids: list[int] | None = None,
    chunk_items: int = CHUNK_ITEMS,
    as_of: date | None = None,
) -> m.PlanRun:
    """Create a run and its chunks. Call `plan_refresh_dispatch` (or compute the chunks inline) afterwards."""
    as_of = as_of or plan_today()
    filters: dict = {"as_of": as_of.isoformat()}
    scope = m.PlanRun.Scope.FULL
    if location_code or skus or item_location_ids is not None:
        scope = m.PlanRun.Scope.PARTIAL
        ids = m.ItemLocation.objects.all()
        if location_code:
            location = m.Location.objects.filter(code=location_code).first()
            if location is None:
                raise RefreshError(f"Unknown location code {location_code!r}.")
            ids = ids.filter(location=location)
            filters["location"] = location_code
        if skus:
            known = set(m.Item.objects.filter(sku__in=skus).values_list("sku", flat=True))
            unknown = sorted(set(skus) - known)
            if unknown:
                raise RefreshError(f"Unknown SKU(s): {', '.join(unknown[:10])}.")
            ids = ids.filter(item__sku__in=skus)
            filters["skus"] = list(skus)
        if item_location_ids is not None:
            ids = ids.filter(pk__in=item_location_ids)
        filters["item_location_ids"] = sorted(ids.values_list("pk", flat=True))
    run = m.PlanRun.objects.create(
        scope=scope,
        filters=filters,
        model_version=model_version(),
        options=plan_options_snapshot(PlanOptions()),
        triggered_by=actor if getattr(actor, "pk", None) else None,
        # every chunk plans with the factors of the latest calibration at the start (one set for the whole run)
        calibration_applied=calibration_latest(),
        allocation_prices=_allocation_prices_applied() if scope == m.PlanRun.Scope.PARTIAL else {},
    )
    if scope == m.PlanRun.Scope.PARTIAL:
        chunks = [m.PlanChunk(run=run, index=0, item_id_low=0, item_id_high=0)]
    else:
        item_ids = np.fromiter(m.Item.objects.order_by("pk").values_list("pk", flat=True), dtype=np.int64)
        chunks = [
            m.PlanChunk(run=run, index=i, item_id_low=int(part[0]), item_id_high=int(part[-1]))
            for i, part in enumerate(
                np.array_split(item_ids, max(1, int(np.ceil(len(item_ids) / chunk_items))))
            )
            if len(part)
        ]
    m.PlanChunk.objects.bulk_create(chunks)
    run.chunks_total = len(chunks)
    run.save(update_fields=["chunks_total"])
    return run


def plan_refresh_dispatch(run: m.PlanRun) -> None:
    """Send one Celery task per chunk after the run is committed (workers on any machine take them)."""
    from celery import group

    from replenish.tasks import plan_chunk_task

    chunk_ids = list(run.chunks.values_list("pk", flat=True))
    transaction.on_commit(lambda: group(plan_chunk_task.s(chunk_id) for chunk_id in chunk_ids).apply_async())


def plan_refresh(
    *,
    actor=None,
    location_code: str | None = None,
    skus: list[str] | None = None,
    item_location_ids: list[int] | None = None,
    as_of: date | None = None,
    chunk_items: int = CHUNK_ITEMS,
    inline: bool = True,
) -> m.PlanRun:
    """Start a refresh and run it: inline in this process, or through the Celery workers."""
    run = plan_refresh_start(
        actor=actor,
        location_code=location_code,
        skus=skus,
        item_location_ids=item_location_ids,
        as_of=as_of,
        chunk_items=chunk_items,
    )
    if inline:
        for chunk_id in run.chunks.order_by("index").values_list("pk", flat=True):
            plan_chunk_compute(chunk_id=chunk_id)
    else:
        plan_refresh_dispatch(run)
    run.refresh_from_db()
    return run


# --- one chunk ----------------------------------------------------------------------------------------------------


def plan_chunk_compute(*, chunk_id: int) -> None:
    """Compute one chunk and write its rows. Idempotent: a chunk already done returns at once; a retried chunk
    replaces whatever a crashed attempt left behind."""
    chunk = m.PlanChunk.objects.select_related("run").get(pk=chunk_id)
    run = chunk.run
    if chunk.status == m.PlanChunk.Status.DONE or run.status != m.PlanRun.Status.RUNNING:
        return
    started = time.perf_counter()
    as_of = date.fromisoformat(run.filters["as_of"])
    try:
        touched = None
        if run.scope == m.PlanRun.Scope.PARTIAL:
            # the engine sees every location of the touched items (MOQ pooling and transfers are decided per
            # item), and only the touched SKU-locations are written
            touched = np.array(run.filters["item_location_ids"], dtype=np.int64)
            items = m.ItemLocation.objects.filter(pk__in=touched.tolist()).values("item_id")
            context = m.ItemLocation.objects.filter(item_id__in=items).values_list("pk", flat=True)
            loaded = load_plan_inputs(
                as_of=as_of, item_location_ids=np.array(sorted(context), dtype=np.int64)
            )
        else:
            loaded = load_plan_inputs(as_of=as_of, item_range=(chunk.item_id_low, chunk.item_id_high))
        loaded.inputs.service_calibration = (run.calibration_applied or {}).get("factors") or None
        loaded.inputs.allocation_prices = (run.allocation_prices or {}).get("applied") or None
        result = run_plan(loaded.inputs) if len(loaded.item_location_ids) else None
    except Exception as error:
        _chunk_failed(chunk, error)
        raise
    plans = _plan_rows(run, loaded, result)
    allocation_sums = _allocation_sums(result) if run.scope == m.PlanRun.Scope.FULL else {}
    recommendations = _recommendation_rows(run, loaded, result)
    ids = loaded.item_location_ids.tolist()
    if touched is not None:
        ids = touched.tolist()
        if len(plans):
            plans = plans[plans["item_location_id"].isin(ids)].reset_index(drop=True)
        if len(recommendations):
            recommendations = recommendations[recommendations["item_location_id"].isin(ids)].reset_index(
                drop=True
            )
    with transaction.atomic():
        locked = m.PlanChunk.objects.select_for_update().get(pk=chunk.pk)
        if locked.status == m.PlanChunk.Status.DONE:
            return
        m.SkuPlan.objects.filter(run=run, item_location_id__in=ids).delete()
        m.Recommendation.objects.filter(run=run, item_location_id__in=ids).delete()
        bulk_insert_frame(m.SkuPlan, plans)
        bulk_insert_frame(m.Recommendation, recommendations)
        locked.status = m.PlanChunk.Status.DONE
        locked.series_count = len(plans)
        locked.seconds = round(time.perf_counter() - started, 3)
        locked.timings = result.timings if result else {}
        locked.save(update_fields=["status", "series_count", "seconds", "timings"])
        m.PlanRun.objects.filter(pk=run.pk).update(
            chunks_done=F("chunks_done") + 1,
            series_count=F("series_count") + len(plans),
            recommendation_count=F("recommendation_count") + len(recommendations),
        )
        run = m.PlanRun.objects.select_for_update().get(pk=run.pk)
        snapshot = dict(run.input_snapshot)
        for key, value in loaded.snapshot.items():
            if isinstance(value, int | float) and key != "locations":
                snapshot[key] = snapshot.get(key, 0) + value
        snapshot["as_of"] = loaded.snapshot["as_of"]
        run.input_snapshot = snapshot
        if allocation_sums:
            run.allocation_prices = _allocation_prices_added(run.allocation_prices, allocation_sums)
        run.save(update_fields=["input_snapshot", "allocation_prices"])
        if run.chunks_done >= run.chunks_total:
            _finalize(run)


def _allocation_sums(result) -> dict[str, list[float]]:
    """One chunk's allocation prices: per group, [sum of weekly demand x log price, sum of weekly demand] over the
    rows it allocated (computed before the chunk's transaction, which only adds them to the run's)."""
    if result is None:
        return {}
    plan = result.plan
    price = plan["allocation_log_price"].to_numpy(dtype=np.float64)
    rows = np.isfinite(price)
    if not rows.any():
        return {}
    weight = np.maximum(np.nan_to_num(plan["forecast_weekly"].to_numpy(dtype=np.float64)[rows]), 1e-9)
    frame = pd.DataFrame(
        {
            "group": plan["calibration_group"].astype(str).to_numpy()[rows],
            "weighted": weight * price[rows],
            "weight": weight,
        }
    )
    sums = frame.groupby("group")[["weighted", "weight"]].sum()
    return {str(group): [float(row.weighted), float(row.weight)] for group, row in sums.iterrows()}


def _allocation_prices_added(recorded: dict, sums: dict[str, list[float]]) -> dict:
    """The run's allocation prices with one chunk's sums added, group by group."""
    groups = dict((recorded or {}).get("groups") or {})
    for group, (weighted, weight) in sums.items():
        before = groups.get(group, [0.0, 0.0])
        groups[group] = [before[0] + weighted, before[1] + weight]
    return {"groups": groups}


def _allocation_prices_applied() -> dict:
    """A partial run's prices: the current full run's per group (weighted mean of its chunks' log prices)."""
    current = (
        m.PlanRun.objects.filter(is_current=True, scope=m.PlanRun.Scope.FULL)
        .values("pk", "allocation_prices")
        .first()
    )
    if current is None:
        return {}
    groups = (current["allocation_prices"] or {}).get("groups") or {}
    applied = {group: sums[0] / sums[1] for group, sums in groups.items() if sums[1] > 0}
    return {"applied": applied, "from_run": current["pk"]} if applied else {}


def _chunk_failed(chunk: m.PlanChunk, error: Exception) -> None:
    with transaction.atomic():
        m.PlanChunk.objects.filter(pk=chunk.pk).update(
            status=m.PlanChunk.Status.FAILED, error=str(error)[:2000], attempts=F("attempts") + 1
        )
    log.exception("plan chunk %s of run %s failed", chunk.index, chunk.run_id)


def plan_run_fail(*, run_id: int, error: str) -> None:
    m.PlanRun.objects.filter(pk=run_id, status=m.PlanRun.Status.RUNNING).update(
        status=m.PlanRun.Status.FAILED, error=error[:4000], finished_at=timezone.now()
    )


# --- finalize -----------------------------------------------------------------------------------------------------


def _finalize(run: m.PlanRun) -> None:
    """Make the run's results visible in one step (called inside the last chunk's transaction)."""
    current = m.PlanRun.objects.select_for_update().filter(is_current=True).exclude(pk=run.pk).first()
    touched: list[int] | None = None
    if run.scope == m.PlanRun.Scope.PARTIAL and current is not None:
        touched = list(run.filters.get("item_location_ids", []))
        m.SkuPlan.objects.filter(run=current, item_location_id__in=touched).delete()
        m.SkuPlan.objects.filter(run=run).update(run=current)
        new_ids = list(m.Recommendation.objects.filter(run=run).values_list("pk", flat=True))
        m.Recommendation.objects.filter(run=current, item_location_id__in=touched).update(
            run=run
        )  # to history
        m.Recommendation.objects.filter(pk__in=new_ids).update(run=current)
        visible = current
    else:
        m.PlanRun.objects.filter(is_current=True).update(is_current=False)
        run.is_current = True
        visible = run
    run.status = m.PlanRun.Status.COMPLETE
    run.finished_at = timezone.now()
    run.timings = _merged_timings(run)
    run.save(update_fields=["status", "finished_at", "is_current", "timings"])
    audit_record(
        kind="recommendation",
        action="plan_run",
        actor=run.triggered_by,
        subject_type="plan_run",
        subject_id=run.pk,
        payload={
            "model_version": run.model_version,
            "scope": run.scope,
            "input_snapshot": run.input_snapshot,
            "series": run.series_count,
            "recommendations": run.recommendation_count,
            "visible_run": visible.pk,
        },
    )
    if run.scope == m.PlanRun.Scope.FULL:
        # a full run's plan rows and recommendations, written by COPY, get statistics before the exceptions refresh
        # the signal starts reads them; on commit, so the chunk's locks are not held through it. A partial run (an
        # event's few SKU-locations) changes too little to be worth sampling the table on the event's path.
        transaction.on_commit(lambda: tables_analyze(m.SkuPlan, m.Recommendation), robust=True)
    transaction.on_commit(
        lambda: plan_run_completed.send(sender=m.PlanRun, run=visible, item_location_ids=touched)
    )


def _merged_timings(run: m.PlanRun) -> dict:
    totals: dict[str, float] = {}
    for timings in run.chunks.values_list("timings", flat=True):
        for stage, seconds in (timings or {}).items():
            totals[stage] = round(totals.get(stage, 0.0) + float(seconds), 3)
    return totals


def plan_runs_prune(*, keep: int = KEEP_RUNS) -> int:
    """Delete plan rows of all but the newest `keep` complete full runs; keep recommendations someone acted on."""
    keep_ids = list(
        m.PlanRun.objects.filter(status=m.PlanRun.Status.COMPLETE, scope=m.PlanRun.Scope.FULL)
        .order_by("-started_at")
        .values_list("pk", flat=True)[:keep]
    )
    current = m.PlanRun.objects.filter(is_current=True).values_list("pk", flat=True)
    old = m.PlanRun.objects.exclude(pk__in=[*keep_ids, *current]).exclude(status=m.PlanRun.Status.RUNNING)
    deleted, _ = m.SkuPlan.objects.filter(run__in=old).delete()
    unreferenced = m.Recommendation.objects.filter(run__in=old)
    for relation in m.Recommendation._meta.related_objects:
        if relation.one_to_many or relation.one_to_one:
            unreferenced = unreferenced.exclude(**{f"{relation.name}__isnull": False})
    deleted += unreferenced.delete()[0]
    return deleted


# --- rows ---------------------------------------------------------------------------------------------------------


FLAG_PREFIX = "flag_"


def _plan_rows(run: m.PlanRun, loaded, result) -> pd.DataFrame:
    if result is None:
        return pd.DataFrame()
    plan = result.plan
    as_of = loaded.as_of
    stockout_day = plan["projected_stockout_day"].to_numpy(dtype=float)
    stockout_date = [
        None if not np.isfinite(d) else (as_of + timedelta(days=int(d))).isoformat() for d in stockout_day
    ]
    flag_columns = [c for c in plan.columns if c.startswith(FLAG_PREFIX)]
    flag_matrix = plan[flag_columns].to_numpy(dtype=bool)
    names = np.array([c.removeprefix(FLAG_PREFIX) for c in flag_columns])
    flags = [list(names[row]) for row in flag_matrix]

    def finite(column: str, default: float = 0.0) -> np.ndarray:
        values = plan[column].to_numpy(dtype=float)
        return np.where(np.isfinite(values), values, default)

    def nullable(column: str) -> np.ndarray:
        # NaN is written as NULL (COPY's empty field; None on SQLite): no Python float per value at 900,000 rows
        values = plan[column].to_numpy(dtype=float)
        return np.where(np.isfinite(values), values, np.nan)

    return pd.DataFrame(
        {
            "run_id": run.pk,
            "item_location_id": loaded.item_location_ids,
            "demand_class": plan["demand_class"].astype(str).to_numpy(),
            "abc": plan["abc"].astype(str).to_numpy(),
            "xyz": plan["xyz"].astype(str).to_numpy(),
            "method": plan["method"].astype(str).to_numpy(),
            "forecast_weekly": finite("forecast_weekly"),
            "forecast_sd_weekly": finite("forecast_sd_weekly"),
            "mase": nullable("mase"),
            "bias": nullable("bias"),
            "lead_time_mean": finite("lead_time_mean"),
            "lead_time_sd": finite("lead_time_sd"),
            "lead_time_source": plan["lead_time_source"].astype(str).to_numpy(),
            "lead_time_unstable": plan["lead_time_unstable"].to_numpy(dtype=bool),
            "target_type": plan["target_type"].astype(str).to_numpy(),
            "service_target": finite("service_target"),
            "planning_target": finite("planning_target"),
            "calibration_factor": finite("calibration_factor", 1.0),
            "calibration_group": plan["calibration_group"].astype(str).to_numpy(),
            "safety_stock": finite("safety_stock"),
            "reorder_point": finite("reorder_point"),
            "order_up_to": finite("order_up_to"),
            "order_quantity": finite("order_quantity"),
            "inventory_position": finite("inventory_position"),
            "stockout_probability": finite("stockout_probability"),
            "projected_stockout_date": stockout_date,
            "flags": [json.dumps(f) for f in flags],
            "forecast_sd_planning": nullable("forecast_sd_planning"),
            "backtest": _backtest_json(result),
            "lead_time_long_run_mean": nullable("lead_time_long_run_mean"),
            "lead_time_recent_mean": nullable("lead_time_recent_mean"),
            "lead_time_n_samples": pd.array(
                pd.to_numeric(plan["lead_time_n_samples"], errors="coerce"), dtype="Int64"
            ),
            **{name: nullable(name) for name in POLICY_STORED_COLUMNS},
            "lead_time_demand_distribution": plan["lead_time_demand_distribution"].astype(str).to_numpy(),
            "supply_location_id": pd.array(
                pd.to_numeric(plan["supply_location_id"], errors="coerce"), dtype="Int64"
            ),
        }
    )


# the policy's inputs and intermediate figures, stored as the engine computed them (explain re-derives from these)
POLICY_STORED_COLUMNS = (
    *POLICY_INPUT_COLUMNS.values(),
    "undershoot",
    "lead_time_demand_mean",
    "lead_time_demand_sd",
    "safety_factor",
    "eoq",
    "safety_stock_floor",
)


def _json_rows(values: np.ndarray, digits: int = 4) -> list[str]:
    """One JSON array per row of a 2-d array (NaN -> null), printed by pandas' C writer: a Python json.dumps per
    row of 900,000 would cost seconds per chunk."""
    n_rows = values.shape[0]
    if n_rows == 0:
        return []
    if values.ndim != 2 or values.shape[1] == 0:
        return ["[]"] * n_rows
    text = pd.DataFrame(values.astype(np.float64)).to_json(orient="values", double_precision=digits)
    return ["[" + part + "]" for part in text[2:-2].split("],[")]


def _backtest_json(result) -> list[str]:
    """Per row: the backtest RMSE, MASE and bias of every candidate method (PlanRun.options["forecast_methods"]
    order, null where not eligible), the chosen method's one-step forecasts over the backtest weeks ("fit") and its
    forecast of the next weeks ("path")."""
    forecast = result.forecast
    n_rows = len(result.plan)
    if forecast is None:
        return ["{}"] * n_rows
    empty = np.full((n_rows, 0), np.nan)
    rmse = forecast.rmse_by_method.to_numpy() if forecast.rmse_by_method is not None else empty
    fit = forecast.backtest_forecast.T if forecast.backtest_forecast is not None else empty
    parts = zip(
        _json_rows(rmse),
        _json_rows(forecast.mase_by_method.to_numpy()),
        _json_rows(forecast.bias_by_method.to_numpy()),
        _json_rows(fit, 3),
        _json_rows(np.asarray(forecast.horizon), 3),
        strict=True,
    )
    return [f'{{"rmse":{r},"mase":{m},"bias":{b},"fit":{f},"path":{h}}}' for r, m, b, f, h in parts]


_DAY = re.compile(r"\bday (\d+)\b")
_SUPPLIER = re.compile(r"\bsupplier (-?\d+)\b")
_LOCATION = re.compile(r"\blocation (\d+)\b")


def _plain_sentence(reason: str, as_of: date, suppliers: dict[int, str], locations: dict[int, str]) -> str:
    """The engine speaks in day numbers and ids; people read dates and codes."""

    def day(match: re.Match) -> str:
        offset = int(match.group(1))
        return "today" if offset == 0 else (as_of + timedelta(days=offset)).strftime("%a %d %b")

    text = _DAY.sub(day, reason).replace("by today", "today")
    text = _SUPPLIER.sub(lambda mt: suppliers.get(int(mt.group(1)), "an unknown supplier"), text)
    text = _LOCATION.sub(lambda mt: locations.get(int(mt.group(1)), mt.group(0)), text)
    return text.rstrip(".") + "."


def _recommendation_rows(run: m.PlanRun, loaded, result) -> pd.DataFrame:
    if result is None or result.recommendations.empty:
        return pd.DataFrame()

    recs = result.recommendations
    plan = result.plan
    as_of = loaded.as_of
    series = recs["series"].to_numpy(dtype=np.int64)
    suppliers = dict(m.Supplier.objects.values_list("pk", "code"))
    locations = dict(m.Location.objects.values_list("pk", "code"))
    from_series = pd.to_numeric(recs["from_series"], errors="coerce").to_numpy()
    source_location = [
        None if not np.isfinite(s) else int(plan["location_id"].iloc[int(s)]) for s in from_series
    ]
    supplier = pd.to_numeric(recs["supplier_id"], errors="coerce").to_numpy()
    due_day = pd.to_numeric(recs["due_day"], errors="coerce").fillna(0).to_numpy()
    new_day = [f.get("new_arrival_day", f.get("expedited_arrival_day")) for f in recs["factors"]]
    confidence = _confidence(plan, series)
    action = recs["action"].astype(str).to_numpy()
    return pd.DataFrame(
        {
            "run_id": run.pk,
            "item_location_id": loaded.item_location_ids[series],
            "action": action,
            "quantity": np.ceil(np.maximum(recs["quantity"].to_numpy(dtype=float), 0)).astype(np.int64),
            "due_date": [(as_of + timedelta(days=int(max(d, 0)))).isoformat() for d in due_day],
            "supplier_id": [
                None if not np.isfinite(s) or s < 0 or a == "transfer" else int(s)
                for s, a in zip(supplier, action)
            ],
            "source_location_id": source_location,
            "po_line_id": [None if p is None or pd.isna(p) else int(p) for p in recs["po_line_id"]],
            "new_date": [
                None if d is None or not np.isfinite(d) else (as_of + timedelta(days=int(d))).isoformat()
                for d in new_day
            ],
            "factors": [json.dumps(f) for f in recs["factors"]],
            "reason": [_plain_sentence(r, as_of, suppliers, locations) for r in recs["reason"]],
            "confidence": confidence,
        }
    )


def _confidence(plan: pd.DataFrame, series: np.ndarray) -> np.ndarray:
    """Forecast quality, lead-time evidence and data-quality flags, 0..1 (the acceptance model adds to this later).

    Forecast: 1 / (1 + MASE) (MASE 1 = as good as naive -> 0.5); lead time: 1 with 10+ receipts of the
    supplier-item, less with fewer, 0.5 when only the contract is known; each data-quality flag costs 15%.
    """
    mase = plan["mase"].to_numpy(dtype=float)[series]
    forecast_quality = np.where(np.isfinite(mase), 1.0 / (1.0 + np.maximum(mase, 0)), 0.4)
    samples = plan["lead_time_n_samples"].to_numpy(dtype=float)[series]
    lead_evidence = np.where(np.isfinite(samples), 0.5 + 0.5 * np.minimum(samples, 10) / 10, 0.5)
    flag_columns = [
        c
        for c in plan.columns
        if c.startswith(FLAG_PREFIX)
        and c not in ("flag_capacity_limited", "flag_missing_periods", "flag_eoq_fallback")
    ]
    n_flags = plan[flag_columns].to_numpy(dtype=bool)[series].sum(axis=1)
    return np.round(np.clip(forecast_quality * lead_evidence * (0.85**n_flags) * 1.4, 0.05, 0.99), 3)
