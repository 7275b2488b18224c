"""Service calibration of the nightly plan: learn, store, apply, watch.

- Learn (`service_calibration_learn`, nightly after the plan, `service_calibration_task`): replay the last 26
  weeks of the plan's own history (`replenish.evaluation.calibration.calibrate`: the plan as of 26 weeks ago,
  re-planned weekly, simulated against the actual demand and the recorded lead times) on a sample of whole items,
  one pass from the factors the current run planned with (two from c = 1 the first time), so the factors follow
  the plan's recent history night after night. Stored with the run (`PlanRun.calibration_learned`).
- Apply: a new run takes the latest learned factors (`calibration_latest`) into `PlanRun.calibration_applied`; its
  chunks plan each SKU-location for 1 - (1 - target) x its group's factor; `SkuPlan` keeps the planning target,
  the factor and the group beside the business target (the SKU-location page and `explain` show them).
- Bounded: factors stay within `engine.calibration.FACTOR_BOUNDS`.
- Watched: `calibration_drift_check` flags a group whose factor sits at a bound or moved by more than
  `DRIFT_FACTOR_RATIO` against the previous calibrations (governance drift calls it).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from django.db import transaction
from django.utils import timezone

from replenish import models as m
from replenish.core.audit import audit_record
from replenish.engine.calibration import FACTOR_BOUNDS, NEW
from replenish.evaluation.calibration import CALIBRATION_PASSES, Calibration, calibrate
from replenish.evaluation.window import MONTH, WEEK, monthly_item_locations, plan_window

from .inputs import load_plan_inputs

CALIBRATION_MAX_ITEMS = (
    20_000  # whole items replayed (every k-th item): ~100,000 SKU-locations at 5 locations
)
CALIBRATION_REPLAN_WEEKS = 1  # the replay re-plans weekly (the plan itself re-plans nightly)
CALIBRATION_REPLAN_MONTHS = 1  # monthly history (items imported wide-monthly): re-planned monthly
CALIBRATION_SEED = 1
DRIFT_FACTOR_RATIO = 2.0  # a factor that halved or doubled against the previous calibrations is flagged
DRIFT_PREVIOUS = 3


class CalibrationError(RuntimeError):
    pass


def calibration_latest() -> dict:
    """The factors of the latest calibration, as a run applies them: {"factors": {...}, "learned_by_run": id,
    "learned_at": iso}; {} when nothing was learned yet."""
    run = (
        m.PlanRun.objects.filter(calibration_learned__has_key="factors")
        .order_by("-started_at", "-pk")
        .only("pk", "calibration_learned")
        .first()
    )
    if run is None:
        return {}
    learned = run.calibration_learned
    return {
        "factors": learned.get("factors", {}),
        "learned_by_run": run.pk,
        "learned_at": learned.get("learned_at"),
    }


def service_calibration_learn(
    *,
    run: m.PlanRun | None = None,
    actor=None,
    passes: int | None = None,
    max_items: int = CALIBRATION_MAX_ITEMS,
    seed: int = CALIBRATION_SEED,
    progress=None,
) -> m.PlanRun:
    """Replay the recent history of the current (or given) complete run and store the learned factors with it.
    The replay takes minutes at full scale, so it runs outside any transaction; the write is one transaction with
    its audit event."""
    run = run or m.PlanRun.objects.filter(is_current=True).first()
    if run is None or run.status != m.PlanRun.Status.COMPLETE:
        raise CalibrationError("No complete plan run to calibrate: run plan_refresh first.")
    as_of = date.fromisoformat(run.filters["as_of"])
    items = _sampled_items(max_items)
    ids = np.fromiter(
        m.ItemLocation.objects.filter(item_id__in=items).order_by("pk").values_list("pk", flat=True),
        dtype=np.int64,
    )
    if ids.size == 0:
        raise CalibrationError("No SKU-locations to replay.")
    start = (run.calibration_applied or {}).get("factors") or {}
    monthly = monthly_item_locations(ids)
    calibrations = []
    for period, part in ((WEEK, ids[~monthly]), (MONTH, ids[monthly])):
        if part.size == 0:
            continue
        loaded = load_plan_inputs(as_of=as_of, item_location_ids=part)
        calibration = calibrate(
            plan_window(loaded, period=period),
            seed=seed,
            replan_periods=CALIBRATION_REPLAN_WEEKS if period == WEEK else CALIBRATION_REPLAN_MONTHS,
            passes=passes or (1 if start else CALIBRATION_PASSES),
            start=start,
            series_groups=_run_groups(run, loaded.item_location_ids),
            progress=progress,
        )
        if calibration is None:
            needed = "52 weeks" if period == WEEK else "24 months"
            raise CalibrationError(
                f"The stored {period}ly history is too short to replay ({needed} are needed)."
            )
        calibrations.append(calibration)
    groups, factors = _merged(calibrations)
    learned = {
        **calibrations[0].summary(),
        "groups": groups,
        "factors": factors,
        "by_period": {
            c.period: {"periods": c.periods, "series": sum(g["series"] for g in c.groups.values())}
            for c in calibrations
        },
        "learned_at": timezone.now().isoformat(),
        "as_of": as_of.isoformat(),
        "items": len(items),
        "series": int(ids.size),
        "started_from": (run.calibration_applied or {}).get("learned_by_run"),
    }
    return _calibration_store(run=run, learned=learned, actor=actor)


@transaction.atomic
def _calibration_store(*, run: m.PlanRun, learned: dict, actor=None) -> m.PlanRun:
    run = m.PlanRun.objects.select_for_update().get(pk=run.pk)
    run.calibration_learned = learned
    run.save(update_fields=["calibration_learned"])
    audit_record(
        kind="system",
        action="service_calibration",
        actor=actor if getattr(actor, "pk", None) else None,
        subject_type="plan_run",
        subject_id=run.pk,
        payload={"factors": learned["factors"], "series": learned["series"], "as_of": learned["as_of"]},
    )
    return run


def _run_groups(run: m.PlanRun, ids: np.ndarray) -> np.ndarray:
    """Each SKU-location's calibration group in the run ("new" where it has no plan row)."""
    stored = dict(
        m.SkuPlan.objects.filter(run=run, item_location_id__in=[int(i) for i in ids]).values_list(
            "item_location_id", "calibration_group"
        )
    )
    return np.array([stored.get(int(i)) or NEW for i in ids], dtype=object)


def _merged(calibrations: list[Calibration]) -> tuple[dict, dict]:
    """Groups and factors of the weekly and the monthly replay as one: a group both measured gets the
    series-weighted geometric mean of their factors (one factor per group, as the plan applies it)."""
    if len(calibrations) == 1:
        return calibrations[0].groups, calibrations[0].factors()
    groups: dict = {}
    factors: dict = {}
    for calibration in calibrations:
        for name, row in calibration.groups.items():
            groups.setdefault(name, []).append({**row, "period": calibration.period})
    merged = {}
    for name, rows in groups.items():
        calibrated = [row for row in rows if row.get("calibrated")]
        merged[name] = {**rows[0], "series": sum(r["series"] for r in rows), "by_period": rows}
        if calibrated:
            weights = np.array([row["series"] for row in calibrated], dtype=float)
            logs = np.log([row["factor"] for row in calibrated])
            factors[name] = round(float(np.exp(np.average(logs, weights=weights))), 4)
            merged[name].update(factor=factors[name], calibrated=True)
    return merged, factors


def _sampled_items(max_items: int) -> list[int]:
    """Every k-th item (by id), at most `max_items`: whole items, so MOQ pooling is replayed as planned."""
    item_ids = list(m.Item.objects.order_by("pk").values_list("pk", flat=True))
    step = max(1, math.ceil(len(item_ids) / max(max_items, 1)))
    return item_ids[::step]


def calibration_history(*, runs: int = DRIFT_PREVIOUS + 1) -> list[m.PlanRun]:
    """The latest calibrated runs, newest first (their `calibration_learned` holds the factors per group)."""
    return list(
        m.PlanRun.objects.filter(calibration_learned__has_key="factors")
        .order_by("-started_at", "-pk")
        .only("pk", "started_at", "calibration_learned")[:runs]
    )


def calibration_drift_check(*, previous_runs: int = DRIFT_PREVIOUS) -> list[dict]:
    """Per calibrated group of the latest calibration: flagged when its factor sits at a bound (the formulas
    misjudge the group badly) or moved by more than DRIFT_FACTOR_RATIO against the mean (in logs) of the previous
    calibrations. Results in the shape of governance/drift.py's checks (kind "service_calibration")."""
    history = calibration_history(runs=previous_runs + 1)
    if not history:
        return []
    latest, earlier = history[0], history[1:]
    groups = latest.calibration_learned.get("groups", {})
    results = []
    for group, factor in sorted(latest.calibration_learned.get("factors", {}).items()):
        before = [
            run.calibration_learned["factors"][group]
            for run in earlier
            if group in run.calibration_learned.get("factors", {})
        ]
        typical = float(np.exp(np.mean(np.log(before)))) if before else None
        ratio = factor / typical if typical else 1.0
        at_bound = factor <= FACTOR_BOUNDS[0] * 1.0001 or factor >= FACTOR_BOUNDS[1] * 0.9999
        moved = max(ratio, 1.0 / ratio) > DRIFT_FACTOR_RATIO
        row = groups.get(group, {})
        parts = []
        if at_bound:
            parts.append(f"its factor is at the bound {factor:g}")
        if moved:
            parts.append(f"its factor moved from {typical:.2f} to {factor:.2f}")
        results.append(
            {
                "kind": "service_calibration",
                "category": group,
                "supplier_id": None,
                "score": float(np.log(ratio)) if typical else 0.0,
                "flagged": bool(at_bound or moved),
                "metrics": {
                    "factor_now": factor,
                    "factors_before": before,
                    "target": row.get("target"),
                    "achieved_in_replay": row.get("achieved"),
                    "achieved_standard_error": row.get("achieved_se"),
                    "run": latest.pk,
                    "previous_runs": [run.pk for run in earlier],
                },
                "message": (
                    f"Service calibration of {group}: " + "; ".join(parts) + f" (replay achieved "
                    f"{row.get('achieved')}"
                    + (f" +- {row['achieved_se']}" if row.get("achieved_se") is not None else "")
                    + f" against {row.get('target')})."
                    if parts
                    else ""
                ),
            }
        )
    return results
