"""Plain-text tables of a report, for the management commands (and the README)."""

from __future__ import annotations

from typing import Any

TOTAL_COLUMNS = (
    ("unit_fill_rate", "fill units", "pct"),
    ("line_fill_rate", "fill lines", "pct"),
    ("stockout_week_rate", "stockout wks", "pct"),
    ("avg_on_hand_value", "avg inventory", "money"),
    ("avg_on_hand_units", "avg units", "int"),
    ("turns", "turns", "num"),
    ("orders", "orders", "int"),
    ("expedites", "expedites", "int"),
    ("emergency_freight", "emerg. freight", "money"),
    ("transfers_in", "transfers", "int"),
    ("exceptions", "exceptions", "int"),
)


def _format(value: Any, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "int":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(cell).ljust(width) if i < left else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def policy_totals(report: dict[str, Any]) -> list[str]:
    header = ["policy", *[label for _, label, _ in TOTAL_COLUMNS]]
    rows = [
        [name, *[_format(data["total"].get(key), kind) for key, _, kind in TOTAL_COLUMNS]]
        for name, data in report["policies"].items()
    ]
    return _table(header, rows)


def class_rows(report: dict[str, Any], grouping: str = "by_segment") -> list[str]:
    """Per class: target, then each policy's achieved service, fill rate and inventory."""
    targets = report.get("targets", {})
    policies = report["policies"]
    header = ["class", "target"]
    for name in policies:
        header += [f"{name} service", f"{name} fill", f"{name} inventory"]
    labels = sorted({label for data in policies.values() for label in data[grouping]})
    rows = []
    for label in labels:
        target = targets.get(label)
        row = [
            label,
            "-" if target is None else f"{100 * target['target']:.1f}% {_type(target['target_type'])}",
        ]
        for name, data in policies.items():
            measured = data[grouping].get(label, {})
            attained = report.get("attainment", {}).get(name, {}).get(label)
            row += [
                "-" if not attained or attained["achieved"] is None else _format(attained["achieved"], "pct"),
                _format(measured.get("unit_fill_rate"), "pct"),
                _format(measured.get("avg_on_hand_value"), "money"),
            ]
        rows.append(row)
    return _table(header, rows)


def _type(target_type: str) -> str:
    return "fill" if target_type == "fill_rate" else "cycle"


def acceptance_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for name, check in report.get("acceptance", {}).items():
        reduction = check["inventory_reduction"]
        if reduction is None:
            inventory = "inventory: no static value to compare"
        elif reduction >= 0:
            inventory = f"{100 * reduction:.1f}% less inventory than static"
        else:
            inventory = f"{-100 * reduction:.1f}% MORE inventory than static"
        unit = (
            " (at cost)" if check.get("inventory_basis", "value") == "value" else " (in units: no unit costs)"
        )
        inventory += unit
        fill = "equal or higher" if check["fill_rate_at_least_static"] else "LOWER"
        classes = (
            "all" if check["classes_within_tolerance"] else "not " + ", ".join(check["classes_off_target"])
        )
        if check.get("min_class_series"):
            classes = f"{classes} of those with {check['min_class_series']:,}+ SKU-locations"
        if check.get("small_classes_off_target"):
            classes += f" (smaller classes off target: {', '.join(check['small_classes_off_target'])})"
        lines.append(
            f"{name}: unit fill {_format(check['unit_fill_rate'], 'pct')} vs static "
            f"{_format(check['static_unit_fill_rate'], 'pct')} ({fill}); {inventory} (goal: 15% less, "
            f"{'met' if check['inventory_reduction_met'] else 'not met'}); classes within 1.5 points of their "
            f"target: {classes}. Acceptance {'MET' if check['met'] else 'NOT MET'}."
        )
        at_equal = check.get("inventory_reduction_at_equal_fill")
        if at_equal is not None:
            lines.append(
                f"  At equal fill rate: static min-max scaled to fill {_format(check['unit_fill_rate'], 'pct')} "
                f"would hold {check['static_inventory_at_equal_fill']:,.0f}{unit}; {name} holds "
                f"{100 * at_equal:.1f}% {'less' if at_equal >= 0 else 'more'}."
            )
    return lines


def frontier_lines(report: dict[str, Any]) -> list[str]:
    curve = report.get("frontier", {}).get("static") or []
    if not curve:
        return []
    header = ["static min x", "fill units", "avg inventory", "avg units"]
    rows = [
        [
            f"{point['multiplier']:g}",
            _format(point["unit_fill_rate"], "pct"),
            _format(point["avg_on_hand_value"], "money"),
            _format(point["avg_on_hand_units"], "int"),
        ]
        for point in curve
    ]
    return _table(header, rows)


def forecast_rows(report: dict[str, Any]) -> list[str]:
    accuracy = report.get("forecast_accuracy", {}).get("by_demand_class", [])
    holdout = report.get("holdout_accuracy", {}).get("by_demand_class", {})
    header = [
        "class",
        "method",
        "series",
        "MASE",
        "naive MASE",
        "beats naive",
        "bias",
        "held-out MAE/naive",
        "held-out bias",
    ]
    rows = []
    for row in accuracy:
        if row["method"] != "selected":
            continue
        held = holdout.get(row["demand_class"], {})
        rows.append(
            [
                row["demand_class"],
                row["method"],
                f"{row['n_series']:,}",
                _format(row["mase_mean"], "num"),
                _format(row["naive_mase_mean"], "num"),
                _format(row["share_beating_naive"], "pct"),
                _format(row["bias_mean"], "num"),
                _format(held.get("relative_mae"), "num"),
                _format(held.get("bias"), "pct"),
            ]
        )
    return _table(header, rows, left=2)


def method_rows(report: dict[str, Any]) -> list[str]:
    accuracy = report.get("forecast_accuracy", {}).get("by_demand_class", [])
    header = ["class", "method", "series", "MASE", "naive MASE", "beats naive", "bias"]
    rows = [
        [
            row["demand_class"],
            row["method"],
            f"{row['n_series']:,}",
            _format(row["mase_mean"], "num"),
            _format(row["naive_mase_mean"], "num"),
            _format(row["share_beating_naive"], "pct"),
            _format(row["bias_mean"], "num"),
        ]
        for row in accuracy
        if row["method"] != "selected"
    ]
    return _table(header, rows, left=2)


def _signed(reduction: float | None) -> str:
    """An inventory reduction as a change: 0.18 -> '-18.0%' (less), -0.05 -> '+5.0%' (more)."""
    return "-" if reduction is None else f"{-100 * reduction:+.1f}%"


def _interval(cell: dict[str, Any], signed: bool = False) -> str:
    if cell["low"] is None:
        return "-"
    if signed:
        return f"{_signed(cell['high'])} to {_signed(cell['low'])}"
    return f"{100 * cell['low']:.1f}-{100 * cell['high']:.1f}%"


def sweep_rows(report: dict[str, Any]) -> list[str]:
    """Achieved against target per class over the seeds (mean, 95% interval, gap), per target level, for the
    DistOps policies; then each policy's network fill and inventory reduction against static."""
    sweep = report.get("sweep")
    if not sweep:
        return []
    levels = [level for level in sweep["levels"] if level is not None]
    header = [
        "class",
        "series",
        *(["targets at"] if levels else []),
        "target",
        "achieved",
        "95% interval",
        "gap",
    ]
    rows = [
        [
            f"{row['segment']} ({row['policy']})",
            f"{row['n_series']:,}",
            *([_format(row["target_level"], "pct")] if levels else []),
            _format(row["target"], "pct"),
            _format(row["achieved"]["mean"], "pct"),
            _interval(row["achieved"]),
            "-" if row["gap"] is None else f"{100 * row['gap']:+.1f}",
        ]
        for row in sweep["by_class"]
        if row["policy"] != "static"
    ]
    lines = _table(header, rows)
    total_header = [
        "policy",
        *(["targets at"] if levels else []),
        "unit fill",
        "95% interval",
        "inventory vs static",
        "95% interval",
        "vs static curve at equal fill",
        "95% interval",
    ]
    total_rows = [
        [
            row["policy"],
            *([_format(row["target_level"], "pct")] if levels else []),
            _format(row["unit_fill_rate"]["mean"], "pct"),
            _interval(row["unit_fill_rate"]),
            _signed(row["inventory_reduction"]["mean"]),
            _interval(row["inventory_reduction"], signed=True),
            _signed(row["inventory_reduction_at_equal_fill"]["mean"]),
            _interval(row["inventory_reduction_at_equal_fill"], signed=True),
        ]
        for row in sweep["totals"]
        if row["policy"] != "static"
    ]
    return [*lines, "", *_table(total_header, total_rows)]


def sweep_section(report: dict[str, Any]) -> list[str]:
    """The sweep's heading and tables (nothing for a single run)."""
    sweep = report.get("sweep")
    if not sweep:
        return []
    levels = [f"{level:.0%}" for level in sweep["levels"] if level is not None]
    heading = (
        f"Achieved against target per class over simulation seeds {', '.join(map(str, sweep['seeds']))}"
        + (f", every class's target set to {', '.join(levels)} in turn" if levels else "")
        + f" (mean and {sweep['confidence']:.0%} interval over the seeds):"
    )
    return ["", heading, *sweep_rows(report), "(The per-class and total tables above are the first run's.)"]


ATTENTION_COLUMNS = (
    ("unit_fill_rate", "fill units", "pct"),
    ("line_fill_rate", "fill lines", "pct"),
    ("value_fill_rate", "fill value", "pct"),
    ("avg_on_hand_value", "avg inventory", "money"),
    ("expedites", "expedites", "int"),
    ("emergency_freight", "emerg. freight", "money"),
    ("tasks_by_people", "by people", "int"),
    ("decisions_by_people", "decisions", "int"),
    ("tasks_automatic", "automatic", "int"),
    ("waited_share", "waited", "pct"),
    ("average_wait_days", "avg wait d", "num"),
    ("fill_share", "fill captured", "pct"),
    ("value_fill_share", "value captured", "pct"),
    ("inventory_share", "inv. captured", "pct"),
)


def attention_section(report: dict[str, Any]) -> list[str]:
    """The attention simulation: per ordering the measures and the share of the unlimited-attention improvement
    over static min-max captured (nothing without --attention)."""
    section = report.get("attention")
    if not section:
        return []
    automation = section["automation"]
    auto = (
        "no automation"
        if automation is None
        else f"automation: the policies in force on {automation['on']} (actions "
        f"{', '.join(automation['actions']) or 'none'}; {automation['confident_series']:,} SKU-locations at "
        f"confidence >= 0.5, {automation['reliable_suppliers']:,} suppliers on time >= 80%)"
    )
    header = ["ordering", *[label for _, label, _ in ATTENTION_COLUMNS]]
    static = section["static"]
    rows = [["static min-max", *[_format(static.get(key), kind) for key, _, kind in ATTENTION_COLUMNS]]]
    rows += [
        [row["ordering"], *[_format(row.get(key), kind) for key, _, kind in ATTENTION_COLUMNS]]
        for row in section["rows"]
    ]
    lines = [
        "",
        f"Attention: {section['capacity']} tasks per planner per day, {section['planners']} planners "
        f"({section['planner_source']}), tasks from {section['policy']}; {auto}.",
        *_table(header, rows),
        "Captured: (ordering - static) / (unlimited - static), unit fill and value fill (demand at its price) in "
        "points, average inventory value.",
    ]
    check = section.get("acceptance")
    if check:
        beats = check["beats_oldest"]
        lines.append(
            f"Acceptance (>= 90% of the improvement on fill and inventory, clearly more than oldest first): "
            f"{'met' if check['met'] else 'NOT met'} (fill {_format(check['fill_share'], 'pct')}, inventory "
            f"{_format(check['inventory_share'], 'pct')}, oldest first fill "
            f"{_format(check['oldest_fill_share'], 'pct')}"
            f"{'' if beats is None else ', clearly more' if beats else ', not clearly more'})."
        )
        if check.get("oldest_at_ceiling") and not beats:
            lines.append(
                "Oldest first already captures over 95% of the improvement: attention costs little in this run "
                "(re-proposed tasks are caught the next day), so no order can be 5 points ahead. The ranking "
                "matters where attention binds harder, e.g. the go-live weeks (--warmup-weeks 4; README)."
            )
    return lines
