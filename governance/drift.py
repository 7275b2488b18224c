"""Drift: is the world the engine learned from still the world it plans for?

Four checks, monthly on a schedule and on demand; each flagged category becomes a DriftFinding (a review task):
- forecast error drift: mean MASE and relative bias of the latest full plan run vs. the previous full runs;
- demand distribution shift: population stability index (PSI) of weekly demand per SKU-location, last 13 weeks vs.
  the 52 weeks before (Siddiqi, "Credit Risk Scorecards", 2006: < 0.1 stable, 0.1-0.25 moderate, > 0.25 shifted);
- lead-time shift by category and supplier: receipts of the last 13 weeks vs. the 52 before, flagged when the mean
  moves by at least 2 days and 20% and a Mann-Whitney U test rejects "same distribution" at 1%;
- service calibration: a calibration group (ABC-XYZ segment x supply role) whose factor on the allowed shortage
  sits at a bound or halved / doubled against the previous calibrations (replenish/planning/calibration.py).
The numeric parts are pure functions (arrays in, numbers out); `drift_report_run` reads the database and writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Avg, Max, Sum
from django.utils import timezone
from scipy import stats

from replenish.core.audit import audit_record
from replenish.core.models import AuditEvent
from replenish.models import DemandHistory, ItemLocation, PlanRun, Receipt, SkuPlan
from replenish.planning.calibration import calibration_drift_check

from .models import DriftFinding, DriftReport

PSI_THRESHOLD = 0.25
PSI_BINS = 10
PSI_EPSILON = 1e-4  # floor for an empty bin's share, so ln(a/e) stays finite
PSI_SAMPLE = 3_000  # SKU-locations per category: PSI of 3,000 series x 65 weeks is stable to ~0.01, and the
# monthly job stays under a minute per category at 900,000 SKU-locations
MASE_RELATIVE_RISE = 0.20
MASE_ABSOLUTE_RISE = 0.10
BIAS_RISE_POINTS = 10.0
LEAD_TIME_MIN_DAYS = 2.0
LEAD_TIME_MIN_SHARE = 0.20
LEAD_TIME_ALPHA = 0.01
RECENT_WEEKS, REFERENCE_WEEKS = 13, 52


# --- pure numerics -----------------------------------------------------------------------------------------------


def psi(expected_counts: np.ndarray, actual_counts: np.ndarray, *, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index: sum over bins of (a - e) * ln(a / e), with a, e the bins' shares."""
    expected = np.asarray(expected_counts, dtype=float)
    actual = np.asarray(actual_counts, dtype=float)
    e = np.maximum(expected / expected.sum(), epsilon)
    a = np.maximum(actual / actual.sum(), epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def demand_bin_counts(
    reference: np.ndarray, reference_zeros: int, recent: np.ndarray, recent_zeros: int, bins: int = PSI_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram counts of weekly demand: one bin for zero-demand weeks (stored sparsely, so passed as counts),
    then quantile bins of the reference period's positive weeks."""
    reference = np.asarray(reference, dtype=float)
    recent = np.asarray(recent, dtype=float)
    reference, recent = reference[reference > 0], recent[recent > 0]
    if len(reference):
        edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    else:
        edges = np.array([])
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    rec_counts = np.bincount(np.searchsorted(edges, recent, side="right"), minlength=len(edges) + 1)
    return (np.concatenate([[reference_zeros], ref_counts]), np.concatenate([[recent_zeros], rec_counts]))


def lead_time_shift(reference_days: np.ndarray, recent_days: np.ndarray) -> dict | None:
    """Mean shift and Mann-Whitney p-value of recent vs. reference lead times; None when too few receipts."""
    reference = np.asarray(reference_days, dtype=float)
    recent = np.asarray(recent_days, dtype=float)
    if len(reference) < 10 or len(recent) < 5:
        return None
    shift = float(recent.mean() - reference.mean())
    if np.all(reference == reference[0]) and np.all(recent == reference[0]):
        p_value = 1.0
    else:
        p_value = float(stats.mannwhitneyu(recent, reference, alternative="two-sided").pvalue)
    flagged = (
        abs(shift) >= LEAD_TIME_MIN_DAYS
        and abs(shift) >= LEAD_TIME_MIN_SHARE * max(reference.mean(), 1e-9)
        and p_value < LEAD_TIME_ALPHA
    )
    return {
        "reference_mean": float(reference.mean()),
        "recent_mean": float(recent.mean()),
        "shift_days": shift,
        "p_value": p_value,
        "n_reference": len(reference),
        "n_recent": len(recent),
        "flagged": bool(flagged),
    }


# --- checks against the database ---------------------------------------------------------------------------------


def _category_of_item_locations() -> dict[str, list[int]]:
    by_category: dict[str, list[int]] = defaultdict(list)
    for pk, category in (
        ItemLocation.objects.values_list("pk", "item__category").order_by("pk").iterator(10_000)
    ):
        by_category[category].append(pk)
    return by_category


def demand_shift_check(*, seed: int = 0) -> list[dict]:
    """PSI per category of weekly demand per SKU-location: last 13 weeks vs. the 52 weeks before."""
    last_week = DemandHistory.objects.aggregate(m=Max("period_start"))["m"]
    if last_week is None:
        return []
    recent_start = last_week - timedelta(weeks=RECENT_WEEKS - 1)
    reference_start = recent_start - timedelta(weeks=REFERENCE_WEEKS)
    rng = np.random.default_rng(seed)
    results = []
    established = set(
        ItemLocation.objects.filter(history_start__lte=reference_start).values_list("pk", flat=True)
    )
    for category, ids in sorted(_category_of_item_locations().items()):
        ids = [pk for pk in ids if pk in established]
        if len(ids) < 20:
            continue
        if len(ids) > PSI_SAMPLE:
            ids = sorted(rng.choice(ids, PSI_SAMPLE, replace=False).tolist())
        reference: list[int] = []
        recent: list[int] = []
        for start in range(0, len(ids), 900):  # SQLite's parameter limit
            rows = DemandHistory.objects.filter(
                item_location_id__in=ids[start : start + 900],
                period_start__gte=reference_start,
                period_start__lte=last_week,
            ).values_list("period_start", "quantity")
            for week, quantity in rows:
                (recent if week >= recent_start else reference).append(quantity)
        reference_arr, recent_arr = np.array(reference), np.array(recent)
        reference_zeros = len(ids) * REFERENCE_WEEKS - int((reference_arr > 0).sum())
        recent_zeros = len(ids) * RECENT_WEEKS - int((recent_arr > 0).sum())
        expected, actual = demand_bin_counts(reference_arr, reference_zeros, recent_arr, recent_zeros)
        value = psi(expected, actual)
        results.append(
            {
                "kind": DriftFinding.Kind.DEMAND_SHIFT,
                "category": category,
                "supplier_id": None,
                "score": value,
                "flagged": value > PSI_THRESHOLD,
                "metrics": {
                    "psi": round(value, 4),
                    "series": len(ids),
                    "reference_weeks": REFERENCE_WEEKS,
                    "recent_weeks": RECENT_WEEKS,
                    "reference_mean": float(reference_arr.sum()) / (len(ids) * REFERENCE_WEEKS),
                    "recent_mean": float(recent_arr.sum()) / (len(ids) * RECENT_WEEKS),
                    "last_week": last_week.isoformat(),
                },
                "message": f"Weekly demand in {category} has shifted: PSI {value:.2f} (> {PSI_THRESHOLD}) between the "
                f"last {RECENT_WEEKS} weeks and the {REFERENCE_WEEKS} before.",
            }
        )
    return results


def _category_forecast_stats(run: PlanRun) -> dict[str, dict]:
    rows = (
        SkuPlan.objects.filter(run=run, mase__isnull=False)
        .values("item_location__item__category")
        .annotate(mase=Avg("mase"), bias=Sum("bias"), forecast=Sum("forecast_weekly"))
    )
    return {
        r["item_location__item__category"]: {
            "mase": r["mase"],
            "bias_pct": 100.0 * r["bias"] / r["forecast"] if r["forecast"] else 0.0,
        }
        for r in rows
    }


def forecast_drift_check(*, previous_runs: int = 3) -> list[dict]:
    runs = list(
        PlanRun.objects.filter(status=PlanRun.Status.COMPLETE, scope=PlanRun.Scope.FULL).order_by(
            "-finished_at", "-pk"
        )[: previous_runs + 1]
    )
    if len(runs) < 2:
        return []
    now = _category_forecast_stats(runs[0])
    before_runs = [_category_forecast_stats(run) for run in runs[1:]]
    results = []
    for category, current in sorted(now.items()):
        history = [stats_[category] for stats_ in before_runs if category in stats_]
        if not history:
            continue
        mase_before = float(np.mean([h["mase"] for h in history]))
        bias_before = float(np.mean([h["bias_pct"] for h in history]))
        rise = current["mase"] - mase_before
        relative = rise / mase_before if mase_before else 0.0
        bias_rise = abs(current["bias_pct"]) - abs(bias_before)
        mase_flag = relative > MASE_RELATIVE_RISE and rise > MASE_ABSOLUTE_RISE
        bias_flag = bias_rise > BIAS_RISE_POINTS
        parts = []
        if mase_flag:
            parts.append(f"MASE rose from {mase_before:.2f} to {current['mase']:.2f} ({relative:+.0%})")
        if bias_flag:
            parts.append(f"bias moved from {bias_before:+.1f}% to {current['bias_pct']:+.1f}% of forecast")
        results.append(
            {
                "kind": DriftFinding.Kind.FORECAST_ERROR,
                "category": category,
                "supplier_id": None,
                "score": relative,
                "flagged": mase_flag or bias_flag,
                "metrics": {
                    "mase_now": current["mase"],
                    "mase_before": mase_before,
                    "bias_pct_now": current["bias_pct"],
                    "bias_pct_before": bias_before,
                    "run": runs[0].pk,
                    "previous_runs": [r.pk for r in runs[1:]],
                },
                "message": f"Forecast error in {category}: " + "; ".join(parts) + "." if parts else "",
            }
        )
    return results


def lead_time_check() -> list[dict]:
    last = Receipt.objects.aggregate(m=Max("received_date"))["m"]
    if last is None:
        return []
    recent_start = last - timedelta(weeks=RECENT_WEEKS) + timedelta(days=1)
    reference_start = recent_start - timedelta(weeks=REFERENCE_WEEKS)
    groups: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    rows = (
        Receipt.objects.filter(received_date__gte=reference_start, received_date__lte=last)
        .values_list("item__category", "supplier_id", "supplier__code", "order_date", "received_date")
        .iterator(20_000)
    )
    codes = {}
    for category, supplier_id, code, ordered, received in rows:
        codes[supplier_id] = code
        reference, recent = groups[(category, supplier_id)]
        (recent if received >= recent_start else reference).append((received - ordered).days)
    results = []
    for (category, supplier_id), (reference, recent) in sorted(groups.items()):
        shift = lead_time_shift(np.array(reference), np.array(recent))
        if shift is None:
            continue
        direction = "longer" if shift["shift_days"] > 0 else "shorter"
        results.append(
            {
                "kind": DriftFinding.Kind.LEAD_TIME_SHIFT,
                "category": category,
                "supplier_id": supplier_id,
                "score": shift["shift_days"],
                "flagged": shift["flagged"],
                "metrics": shift,
                "message": f"Lead times of {codes[supplier_id]} for {category} are {abs(shift['shift_days']):.1f} days "
                f"{direction}: {shift['reference_mean']:.1f} -> {shift['recent_mean']:.1f} days "
                f"(p = {shift['p_value']:.3g}, {shift['n_recent']} recent receipts).",
            }
        )
    return results


@transaction.atomic
def drift_report_run(*, actor=None) -> DriftReport:
    """Run every check; flagged subjects open a finding (or refresh the open one); record the report."""
    now = timezone.now()
    report = DriftReport.objects.create(run_at=now, triggered_by=actor)
    checked = {
        "forecast_error": forecast_drift_check(),
        "demand_shift": demand_shift_check(),
        "lead_time_shift": lead_time_check(),
        # a calibration group whose factor sits at a bound or moved sharply (replenish/planning/calibration.py)
        "service_calibration": calibration_drift_check(),
    }
    opened = refreshed = 0
    for results in checked.values():
        for result in results:
            if not result["flagged"]:
                continue
            existing = (
                DriftFinding.objects.select_for_update()
                .filter(
                    kind=result["kind"],
                    category=result["category"],
                    supplier_id=result["supplier_id"],
                    status=DriftFinding.Status.OPEN,
                )
                .first()
            )
            if existing:
                existing.report, existing.score, existing.metrics = report, result["score"], result["metrics"]
                existing.message, existing.last_seen_at = result["message"], now
                existing.save(update_fields=["report", "score", "metrics", "message", "last_seen_at"])
                refreshed += 1
            else:
                DriftFinding.objects.create(
                    report=report,
                    kind=result["kind"],
                    category=result["category"],
                    supplier_id=result["supplier_id"],
                    score=result["score"],
                    metrics=result["metrics"],
                    message=result["message"],
                    created_at=now,
                    last_seen_at=now,
                )
                opened += 1
    report.summary = {
        kind: {"checked": len(results), "flagged": sum(r["flagged"] for r in results)}
        for kind, results in checked.items()
    } | {"opened": opened, "refreshed": refreshed}
    report.save(update_fields=["summary"])
    audit_record(
        kind=AuditEvent.Kind.SYSTEM,
        action="drift_report",
        actor=actor,
        subject_type="drift_report",
        subject_id=report.pk,
        payload=report.summary,
    )
    return report


def drift_due(today: date | None = None) -> bool:
    """The monthly schedule: run when no report exists for this calendar month yet."""
    today = today or timezone.localdate()
    return not DriftReport.objects.filter(run_at__year=today.year, run_at__month=today.month).exists()
