"""The evaluation report: per policy the totals and the rows per class, the service targets per class and how close
each policy came to them, and the acceptance checks of the simulator issue (dynamic against static min-max)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from replenish.engine import simulate as sim

STATIC = "static"
DYNAMIC = "dynamic"
DYNAMIC_PLUS = "dynamic_plus"
POLICY_LABELS = {
    STATIC: "Static min-max (the ERP's)",
    DYNAMIC: "DistOps dynamic reorder points",
    DYNAMIC_PLUS: "DistOps + transfers and prioritized expediting",
}

# The acceptance: at equal or higher unit fill rate, >= 15% less average inventory value than static
# min-max, and the achieved service of every class with at least 200 SKU-locations within 1.5 points of its target
# (issue 17; a smaller class's fill is one of few series, reported but not held to the tolerance).
ACCEPTANCE_INVENTORY_REDUCTION = 0.15
ACCEPTANCE_TARGET_TOLERANCE = 0.015
ACCEPTANCE_MIN_CLASS_SERIES = 200

METRICS = (
    "n_series", "demand_units", "demand_lines", "unit_fill_rate", "line_fill_rate", "stockout_week_rate",
    "stockout_day_rate", "cycle_service_level", "avg_on_hand_units", "avg_on_hand_value", "turns", "orders",
    "expedites", "emergency_freight", "transfers_in", "transfers_out", "transfer_units_in", "transfer_cost",
    "exceptions",
    "exception_days", "ending_backorder_units",
)  # fmt: skip


def frontier_inventory_at(
    curve: list[dict[str, Any]], fill_rate: float, key: str = "avg_on_hand_value"
) -> float | None:
    """The static frontier's inventory at this fill rate (linear between its points); None outside the curve."""
    ordered = sorted(curve, key=lambda point: point["unit_fill_rate"])
    fills = np.array([point["unit_fill_rate"] for point in ordered])
    values = np.array([point[key] for point in ordered])
    if len(fills) < 2 or not fills[0] <= fill_rate <= fills[-1]:
        return None
    return float(np.interp(fill_rate, fills, values))


def assemble_report(
    results: dict[str, sim.SimulationResult],
    labels: pd.DataFrame,
    plan: pd.DataFrame,
    *,
    measured_days: int,
    frontier: list[dict[str, Any]] | None = None,
    min_class_series: int = ACCEPTANCE_MIN_CLASS_SERIES,
) -> dict[str, Any]:
    """Per policy: totals and rows per segment / ABC class / demand class; targets per segment; attainment of the
    targets by the dynamic policies; the acceptance checks (classes of at least `min_class_series` SKU-locations
    held to the tolerance)."""
    policies: dict[str, Any] = {}
    demand_units = None
    for name, result in results.items():
        per_series = result.per_series
        if demand_units is None:
            demand_units = per_series["demand_units"].to_numpy()
        policies[name] = {
            "label": POLICY_LABELS[name],
            "total": _rows(result.total)["total"],
            "by_segment": _rows(sim.aggregate(per_series, labels["segment"], measured_days=measured_days)),
            "by_abc": _rows(sim.aggregate(per_series, labels["abc"], measured_days=measured_days)),
            "by_demand_class": _rows(
                sim.aggregate(per_series, labels["demand_class"], measured_days=measured_days)
            ),
        }
    assert demand_units is not None
    targets = service_targets(plan, labels["segment"].to_numpy(), demand_units)
    attainment = {name: target_attainment(policies[name]["by_segment"], targets) for name in policies}
    return {
        "policies": policies,
        "targets": targets,
        "attainment": attainment,
        "attainment_summary": {name: attainment_summary(rows) for name, rows in attainment.items()},
        "acceptance": acceptance(
            policies, attainment, frontier, n_series=_class_sizes(targets), min_class_series=min_class_series
        ),
        "frontier": {STATIC: frontier} if frontier else {},
    }


def service_targets(plan: pd.DataFrame, segment: np.ndarray, demand_units: np.ndarray) -> dict[str, Any]:
    """The service target of each segment: its target type and the demand-weighted mean target of its
    SKU-locations (fill rates are demand-weighted, so the target they are held to is too)."""
    frame = pd.DataFrame(
        {
            "segment": segment,
            "target": plan["service_target"].to_numpy(dtype=float),
            "type": plan["target_type"].astype(str).to_numpy(),
            "weight": demand_units,
        }
    )
    out: dict[str, Any] = {}
    for name, group in frame.groupby("segment", sort=True):
        weight = group["weight"].to_numpy()
        target = group["target"].to_numpy()
        mean = float(np.average(target, weights=weight)) if weight.sum() > 0 else float(target.mean())
        out[str(name)] = {
            "target_type": str(group["type"].mode().iloc[0]),
            "target": round(mean, 4),
            "n_series": len(group),
        }
    return out


def target_attainment(by_segment: dict[str, dict], targets: dict[str, dict]) -> dict[str, Any]:
    """Achieved service against the target per segment: the unit fill rate for fill-rate targets, the cycle
    service level (share of replenishment cycles without a stockout) for cycle-service targets."""
    rows = {}
    for segment, target in targets.items():
        measured = by_segment.get(segment)
        if measured is None:
            continue
        measure = "unit_fill_rate" if target["target_type"] == "fill_rate" else "cycle_service_level"
        achieved = measured.get(measure)
        gap = None if achieved is None else round(achieved - target["target"], 4)
        rows[segment] = {
            "measure": measure,
            "target": target["target"],
            "achieved": achieved,
            "unit_fill_rate": measured.get("unit_fill_rate"),
            "gap": gap,
            "within_tolerance": gap is not None and abs(gap) <= ACCEPTANCE_TARGET_TOLERANCE,
            "demand_units": measured.get("demand_units"),
        }
    return rows


def attainment_summary(rows: dict[str, dict]) -> dict[str, Any]:
    """How close a policy came to the targets overall: the demand-weighted mean absolute gap over the segments
    and the number of segments within the tolerance."""
    measured = [row for row in rows.values() if row["achieved"] is not None]
    weights = np.array([row["demand_units"] or 0.0 for row in measured])
    gaps = np.array([abs(row["gap"]) for row in measured])
    mean_gap = float(np.average(gaps, weights=weights)) if weights.sum() > 0 else None
    return {
        "mean_abs_gap": None if mean_gap is None else round(mean_gap, 4),
        "segments_within": sum(row["within_tolerance"] for row in measured),
        "segments": len(measured),
    }


def _class_sizes(targets: dict[str, Any]) -> dict[str, int]:
    return {segment: int(row["n_series"]) for segment, row in targets.items()}


def acceptance(
    policies: dict[str, Any],
    attainment: dict[str, Any],
    frontier: list[dict[str, Any]] | None = None,
    *,
    n_series: dict[str, int] | None = None,
    min_class_series: int = ACCEPTANCE_MIN_CLASS_SERIES,
) -> dict[str, Any]:
    """The issue's acceptance, for each dynamic policy against static min-max (empty when static was not run).

    Classes with at least `min_class_series` SKU-locations (by `n_series`; every class when sizes are not given)
    must be within the tolerance; smaller classes off target are listed apart (`small_classes_off_target`).

    Inventory is compared at cost; when no SKU-location has a cost (an imported demand file), in units. Besides
    the ERP's own min-max, the dynamic policy is compared with the static frontier at its own fill rate (the ERP's
    min-max scaled until it fills as well), when that fill rate lies on the simulated frontier.
    """
    if STATIC not in policies:
        return {}
    static = policies[STATIC]["total"]
    basis = "avg_on_hand_value" if static["avg_on_hand_value"] else "avg_on_hand_units"
    out = {}
    for name, rows in attainment.items():
        if name == STATIC:
            continue
        total = policies[name]["total"]
        reduction = 1.0 - total[basis] / static[basis] if static[basis] else None
        fill_ok = (total["unit_fill_rate"] or 0.0) >= (static["unit_fill_rate"] or 0.0)
        at_equal_fill = None
        if frontier and total["unit_fill_rate"] is not None:
            at_equal_fill = frontier_inventory_at(frontier, total["unit_fill_rate"], basis)
        off_target = sorted(
            segment
            for segment, row in rows.items()
            if row["achieved"] is not None and not row["within_tolerance"]
        )
        small = {s for s in off_target if n_series is not None and n_series.get(s, 0) < min_class_series}
        classes_ok = not set(off_target) - small
        reduction_met = reduction is not None and reduction >= ACCEPTANCE_INVENTORY_REDUCTION
        out[name] = {
            "unit_fill_rate": total["unit_fill_rate"],
            "static_unit_fill_rate": static["unit_fill_rate"],
            "fill_rate_at_least_static": fill_ok,
            "inventory_basis": "value" if basis == "avg_on_hand_value" else "units",
            "inventory_reduction": None if reduction is None else round(reduction, 4),
            "inventory_reduction_met": reduction_met,
            "static_inventory_at_equal_fill": at_equal_fill,
            "inventory_reduction_at_equal_fill": None
            if not at_equal_fill
            else round(1.0 - total[basis] / at_equal_fill, 4),
            "classes_within_tolerance": classes_ok,
            "min_class_series": min_class_series if n_series is not None else 0,
            "classes_off_target": [s for s in off_target if s not in small],
            "small_classes_off_target": sorted(small),
            "met": bool(fill_ok and reduction_met and classes_ok),
        }
    return out


def _rows(frame: pd.DataFrame) -> dict[str, dict[str, float | int | None]]:
    out = {}
    for label, row in frame.iterrows():
        values: dict[str, float | int | None] = {}
        for column in METRICS:
            number = float(row[column])
            values[column] = (
                None if not np.isfinite(number) else (int(number) if column == "n_series" else number)
            )
        out[str(label)] = values
    return out
