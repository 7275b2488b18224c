"""The trade-off chart (unit fill rate against average inventory value) and the report's tables, for the page
(Chart.js, vendored), the PNG export (matplotlib, rendered on the server) and the standalone HTML export."""

from __future__ import annotations

import base64
import io
from typing import Any

from django.template.loader import render_to_string

from .report import ACCEPTANCE_TARGET_TOLERANCE, POLICY_LABELS

POLICY_COLORS = {"static": "#8a5a00", "dynamic": "#1f5fbf", "dynamic_plus": "#1b7f3b"}
GROUPS = ("A", "B", "C")


def inventory_basis(report: dict[str, Any]) -> str:
    """Inventory at cost, or in units when no SKU-location has a cost (e.g. an imported demand file)."""
    values = [data["total"].get("avg_on_hand_value") or 0.0 for data in report["policies"].values()]
    return "avg_on_hand_value" if any(v > 0 for v in values) else "avg_on_hand_units"


def chart_data(report: dict[str, Any]) -> dict[str, Any]:
    """Per policy, the network total and each ABC class as (inventory, unit fill rate) points; inventory at cost
    (or in units when nothing has a cost)."""
    basis = inventory_basis(report)
    datasets = []
    for name, data in report["policies"].items():
        points = [_point("All", data["total"], basis)]
        points += [_point(group, data["by_abc"][group], basis) for group in GROUPS if group in data["by_abc"]]
        datasets.append(
            {
                "policy": name,
                "label": data["label"],
                "color": POLICY_COLORS.get(name, "#5b6675"),
                "points": [p for p in points if p is not None],
            }
        )
    frontier = [
        {
            "label": f"min x{point['multiplier']:g}",
            "x": round(point[basis], 2),
            "y": round(point["unit_fill_rate"], 5),
        }
        for point in report.get("frontier", {}).get("static") or []
    ]
    unit = report.get("currency", "") if basis == "avg_on_hand_value" else "units"
    axis = f"Average inventory ({unit}{', at cost' if basis == 'avg_on_hand_value' else ''})"
    return {
        "datasets": datasets,
        "frontier": frontier,
        "currency": report.get("currency", ""),
        "unit": unit,
        "axis": axis,
    }


def _point(label: str, row: dict[str, Any], basis: str) -> dict[str, Any] | None:
    if row.get(basis) is None or row.get("unit_fill_rate") is None:
        return None
    return {"label": label, "x": round(row[basis], 2), "y": round(row["unit_fill_rate"], 5)}


def tradeoff_png(report: dict[str, Any]) -> bytes:
    """The trade-off chart as a PNG (Agg backend: no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    data = chart_data(report)
    figure, axis = plt.subplots(figsize=(8.5, 5.2), dpi=110)
    if data["frontier"]:
        axis.plot(
            [p["x"] for p in data["frontier"]],
            [p["y"] for p in data["frontier"]],
            color=POLICY_COLORS["static"],
            linestyle="--",
            marker=".",
            linewidth=1,
            label="Static min-max, min scaled (x0.5 ... x3)",
            zorder=2,
        )
    for dataset in data["datasets"]:
        xs = [p["x"] for p in dataset["points"]]
        ys = [p["y"] for p in dataset["points"]]
        sizes = [90 if p["label"] == "All" else 45 for p in dataset["points"]]
        axis.scatter(xs, ys, s=sizes, color=dataset["color"], label=dataset["label"], zorder=3)
        for point in dataset["points"]:
            axis.annotate(
                point["label"],
                (point["x"], point["y"]),
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=8,
            )
    positive = [p["x"] for d in data["datasets"] for p in d["points"] if p["x"] > 0]
    positive += [p["x"] for p in data["frontier"] if p["x"] > 0]
    if positive and max(positive) / max(min(positive), 1e-9) > 20:
        axis.set_xscale("log")
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    axis.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    axis.set_xlabel(data["axis"])
    axis.set_ylabel("Unit fill rate")
    parameters = report.get("parameters", {})
    axis.set_title(
        f"Fill rate against inventory: {parameters.get('n_series', 0):,} SKU-locations, "
        f"{parameters.get('weeks', '?')} weeks ({parameters.get('demand', '')} demand)",
        fontsize=10,
    )
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


TOTAL_COLUMNS = (
    ("unit_fill_rate", "Fill rate (units)", "pct"),
    ("line_fill_rate", "Fill rate (lines)", "pct"),
    ("stockout_week_rate", "Stockout weeks", "pct"),
    ("avg_on_hand_value", "Average inventory", "money"),
    ("avg_on_hand_units", "Average inventory (units)", "int"),
    ("turns", "Turns", "num"),
    ("orders", "Orders", "int"),
    ("expedites", "Expedites", "int"),
    ("emergency_freight", "Emergency freight", "money"),
    ("transfers_in", "Transfers", "int"),
    ("exceptions", "Exceptions to review", "int"),
)


def display(value: Any, kind: str) -> str:
    """A number as people read it: percentages with one decimal, money and counts with thousands separators."""
    if value is None:
        return "—"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "pts":
        return f"{100 * value:+.1f} pts"
    if kind in ("money", "int"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def report_tables(report: dict[str, Any]) -> dict[str, Any]:
    """The report's numbers arranged and formatted for the templates: one row per policy; per class, one row per
    policy with its achieved service against the class target."""
    policies = report["policies"]
    totals = [
        {
            "policy": name,
            "label": data["label"],
            "cells": [display(data["total"].get(key), kind) for key, _label, kind in TOTAL_COLUMNS],
        }
        for name, data in policies.items()
    ]
    targets = report.get("targets", {})
    segments = sorted({label for data in policies.values() for label in data["by_segment"]})
    classes = []
    for segment in segments:
        target = targets.get(segment, {})
        rows = []
        for name, data in policies.items():
            measured = data["by_segment"].get(segment, {})
            attained = report.get("attainment", {}).get(name, {}).get(segment, {})
            rows.append(
                {
                    "policy": name,
                    "label": data["label"],
                    "achieved": display(attained.get("achieved"), "pct"),
                    "gap": display(attained.get("gap"), "pts"),
                    "within": attained.get("within_tolerance"),
                    "unit_fill_rate": display(measured.get("unit_fill_rate"), "pct"),
                    "line_fill_rate": display(measured.get("line_fill_rate"), "pct"),
                    "avg_on_hand_value": display(measured.get("avg_on_hand_value"), "money"),
                    "turns": display(measured.get("turns"), "num"),
                    "expedites": display(measured.get("expedites"), "int"),
                    "exceptions": display(measured.get("exceptions"), "int"),
                }
            )
        classes.append(
            {
                "segment": segment,
                "target": display(target.get("target"), "pct"),
                "target_type": "fill rate" if target.get("target_type") == "fill_rate" else "cycle service",
                "n_series": display(target.get("n_series"), "int"),
                "rows": rows,
            }
        )
    acceptance = []
    for name, check in report.get("acceptance", {}).items():
        acceptance.append(
            {
                "policy": name,
                "label": policies[name]["label"],
                "met": check["met"],
                "fill": display(check["unit_fill_rate"], "pct"),
                "static_fill": display(check["static_unit_fill_rate"], "pct"),
                "fill_ok": check["fill_rate_at_least_static"],
                "reduction": _change(check["inventory_reduction"]),
                "basis": check.get("inventory_basis", "value"),
                "at_equal_fill": _change(check.get("inventory_reduction_at_equal_fill"))
                if check.get("inventory_reduction_at_equal_fill") is not None
                else "",
                "reduction_ok": check["inventory_reduction_met"],
                "classes_ok": check["classes_within_tolerance"],
                "off_target": ", ".join(check["classes_off_target"]) or "none",
                "min_class_series": check.get("min_class_series") or 0,
                "small_off_target": ", ".join(check.get("small_classes_off_target") or []),
            }
        )
    return {
        "columns": [label for _key, label, _kind in TOTAL_COLUMNS],
        "totals": totals,
        "classes": classes,
        "acceptance": acceptance,
        "sweep": sweep_tables(report),
        "attention": attention_table(report),
    }


def _interval(cell: dict[str, Any], kind: str = "pct") -> str:
    """A 95% interval as people read it: "94.1% to 95.3%" (fill) or "16.2% less to 19.0% less" (reduction)."""
    if cell.get("low") is None:
        return "—"
    if kind == "reduction":
        return f"{_change(cell['high'])} to {_change(cell['low'])}"
    return f"{display(cell['low'], 'pct')} to {display(cell['high'], 'pct')}"


def sweep_tables(report: dict[str, Any]) -> dict[str, Any] | None:
    """Several runs (--seeds, --targets): per target level and DistOps policy, each class's achieved service
    over the seeds (mean and 95% interval) against its target, and the network's fill and inventory reduction;
    None for a single run."""
    sweep = report.get("sweep")
    if not sweep:
        return None
    labels = {name: data["label"] for name, data in report["policies"].items()}
    dynamic = [row for row in sweep["by_class"] if row["policy"] != "static"]
    return {
        "seeds": ", ".join(str(seed) for seed in sweep["seeds"]),
        "levels": ", ".join(display(level, "pct") for level in sweep["levels"] if level is not None),
        "classes": [
            {
                "level": display(row["target_level"], "pct") if row["target_level"] is not None else "",
                "policy": labels.get(row["policy"], row["policy"]),
                "segment": row["segment"],
                "n_series": display(row["n_series"], "int"),
                "target": display(row["target"], "pct"),
                "achieved": display(row["achieved"]["mean"], "pct"),
                "interval": _interval(row["achieved"]),
                "gap": display(row["gap"], "pts"),
                "within": None if row["gap"] is None else abs(row["gap"]) <= ACCEPTANCE_TARGET_TOLERANCE,
            }
            for row in dynamic
        ],
        "totals": [
            {
                "level": display(row["target_level"], "pct") if row["target_level"] is not None else "",
                "policy": labels.get(row["policy"], row["policy"]),
                "fill": display(row["unit_fill_rate"]["mean"], "pct"),
                "fill_interval": _interval(row["unit_fill_rate"]),
                "reduction": _change(row["inventory_reduction"]["mean"]),
                "reduction_interval": _interval(row["inventory_reduction"], "reduction"),
                "at_equal_fill": _change(row["inventory_reduction_at_equal_fill"]["mean"]),
                "at_equal_fill_interval": _interval(row["inventory_reduction_at_equal_fill"], "reduction"),
            }
            for row in sweep["totals"]
            if row["policy"] != "static"
        ],
    }


ATTENTION_COLUMNS = (
    ("unit_fill_rate", "Fill (units)", "pct"),
    ("line_fill_rate", "Fill (lines)", "pct"),
    ("value_fill_rate", "Fill (value)", "pct"),
    ("avg_on_hand_value", "Avg inventory", "money"),
    ("expedites", "Expedites", "int"),
    ("emergency_freight", "Emergency freight", "money"),
    ("tasks_by_people", "Tasks by people", "int"),
    ("decisions_by_people", "Decisions by people", "int"),
    ("tasks_automatic", "Automatic", "int"),
    ("waited_share", "Task-days waiting", "pct"),
    ("average_wait_days", "Avg wait (days)", "num"),
    ("fill_share", "Fill improvement captured", "pct"),
    ("value_fill_share", "Value fill improvement captured", "pct"),
    ("inventory_share", "Inventory improvement captured", "pct"),
)


def attention_table(report: dict[str, Any]) -> dict[str, Any] | None:
    """The attention simulation (evaluation/attention.py) formatted: static min-max, then one row per ordering."""
    section = report.get("attention")
    if not section:
        return None
    rows = [{"label": section["static"]["label"], "ordering": "static", "row": section["static"]}]
    rows += [{"label": row["label"], "ordering": row["ordering"], "row": row} for row in section["rows"]]
    check = section.get("acceptance") or {}
    return {
        "capacity": section["capacity"],
        "planners": section["planners"],
        "planner_source": section["planner_source"],
        "policy": POLICY_LABELS.get(section["policy"], section["policy"]),
        "automation": section["automation"],
        "columns": [label for _key, label, _kind in ATTENTION_COLUMNS],
        "rows": [
            {
                "label": r["label"],
                "ordering": r["ordering"],
                "cells": [display(r["row"].get(key), kind) for key, _label, kind in ATTENTION_COLUMNS],
            }
            for r in rows
        ],
        "check": check
        and {
            "met": check["met"],
            "fill": display(check["fill_share"], "pct"),
            "inventory": display(check["inventory_share"], "pct"),
            "oldest": display(check["oldest_fill_share"], "pct"),
            "fill_ok": check["fill_ok"],
            "inventory_ok": check["inventory_ok"],
            "beats_oldest": check["beats_oldest"],
            "oldest_at_ceiling": bool(check.get("oldest_at_ceiling")),  # reports stored before: absent
        },
    }


def forecast_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Backtest reports: per demand class and method, MASE and bias against the naive forecast, and the chosen
    forecast's error on the held-out weeks relative to naive."""
    holdout = report.get("holdout_accuracy", {}).get("by_demand_class", {})
    rows = []
    for row in report.get("forecast_accuracy", {}).get("by_demand_class", []):
        held = holdout.get(row["demand_class"], {}) if row["method"] == "selected" else {}
        rows.append(
            {
                "demand_class": row["demand_class"],
                "method": row["method"],
                "selected": row["method"] == "selected",
                "n_series": display(row["n_series"], "int"),
                "mase": display(row["mase_mean"], "num"),
                "naive_mase": display(row["naive_mase_mean"], "num"),
                "beats_naive": display(row["share_beating_naive"], "pct"),
                "bias": display(row["bias_mean"], "num"),
                "holdout_relative_mae": display(held.get("relative_mae"), "num") if held else "",
                "holdout_bias": display(held.get("bias"), "pct") if held else "",
            }
        )
    return rows


def _change(reduction: float | None) -> str:
    """An inventory reduction as words: "12.3% less" or "4.5% more"."""
    if reduction is None:
        return "—"
    return f"{100 * abs(reduction):.1f}% {'less' if reduction >= 0 else 'more'}"


def report_html(report: dict[str, Any]) -> str:
    """A standalone HTML page of the report (tables and the PNG chart inline): no server or script needed."""
    png = base64.b64encode(tradeoff_png(report)).decode("ascii")
    return render_to_string(
        "replenish/simulation_export.html",
        {"report": report, "tables": report_tables(report), "forecast": forecast_table(report), "png": png},
    )
