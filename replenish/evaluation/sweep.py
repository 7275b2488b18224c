"""Service targets set for an evaluation, and several runs summarized: achieved against target per class over
simulation seeds (with a confidence interval) and along a sweep of targets (the achieved-against-target curve).

- `--target CLASS=VALUE` (repeatable): CLASS is an ABC-XYZ segment (AX), an ABC class (A: AX, AY, AZ) or `all`;
  VALUE a fill rate as a fraction (0.95) or a percentage (95). Applied in the order given over the default policy
  table (later wins).
- `--targets 0.90,0.95,0.98`: one evaluation per value with every class at that value (then the `--target`
  overrides), so the report draws achieved against target.
- `--seeds 1-5` (or `1,3,7`): one evaluation per simulation seed; each class's achieved service is reported as the
  mean over the seeds with a 95% Student-t interval (mean +- t(0.975, n-1) x sd / sqrt(n)).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from replenish.engine import DEFAULT_POLICY_TABLE

from .window import EvaluationError

ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")
CONFIDENCE = 0.95
MAX_RUNS = 60  # seeds x target levels in one command


def add_target_arguments(parser: Any) -> None:
    """--target, --targets and --seeds of the simulate and backtest commands."""
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="CLASS=VALUE",
        help="set a service (fill-rate) target for this run, repeatable: a segment (AX=0.97), an ABC class "
        "(A=0.96) or all (all=0.95)",
    )
    parser.add_argument(
        "--targets",
        metavar="LIST",
        help="run once per fill rate with every class at it, e.g. 0.90,0.95,0.98: the achieved-against-target curve",
    )
    parser.add_argument(
        "--seeds",
        metavar="SEEDS",
        help="run once per simulation seed (1-5 or 1,3,7) and report each class's achieved service with its 95%% "
        "interval over the seeds (default: --seed alone)",
    )


def target_options(options: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of simulation_run / backtest_run from the parsed command options."""
    return {
        "targets": [parse_target(text) for text in options.get("target") or []],
        "target_levels": parse_levels(options["targets"]) if options.get("targets") else None,
        "seeds": parse_seeds(options["seeds"]) if options.get("seeds") else None,
    }


def parse_target(text: str) -> tuple[str, float]:
    """'AX=0.97' / 'A=97' / 'all=0.9' -> (class, fraction); a clear error naming the bad part."""
    match = re.fullmatch(r"\s*([A-Za-z]{1,3})\s*=\s*([0-9.]+)\s*(%?)\s*", text or "")
    if not match:
        raise EvaluationError(f"--target {text!r}: expected CLASS=VALUE, e.g. AX=0.97, A=0.95 or all=0.9.")
    name, number = match.group(1).upper(), match.group(2)
    if name != "ALL" and not (
        (len(name) == 2 and name[0] in ABC and name[1] in XYZ) or (len(name) == 1 and name in ABC)
    ):
        raise EvaluationError(
            f"--target {text!r}: unknown class {match.group(1)!r} (an ABC-XYZ segment like AX, A, B, C or all)."
        )
    return ("all" if name == "ALL" else name), _fraction(number, f"--target {text!r}", bool(match.group(3)))


def parse_levels(text: str) -> list[float]:
    """'0.90,0.95,0.98' -> [0.9, 0.95, 0.98]."""
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise EvaluationError("--targets: give one or more fill rates, e.g. 0.90,0.95,0.98.")
    return [_fraction(p.rstrip("%"), f"--targets value {p!r}", p.endswith("%")) for p in parts]


def parse_seeds(text: str) -> list[int]:
    """'1-5' -> [1, 2, 3, 4, 5]; '1,3,7' -> [1, 3, 7]."""
    seeds: list[int] = []
    for part in [p.strip() for p in (text or "").split(",") if p.strip()]:
        bounds = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        if bounds:
            low, high = int(bounds.group(1)), int(bounds.group(2))
            if high < low:
                raise EvaluationError(f"--seeds {part!r}: the range runs backwards.")
            seeds.extend(range(low, high + 1))
        elif part.isdigit():
            seeds.append(int(part))
        else:
            raise EvaluationError(f"--seeds {part!r}: expected seeds like 1-5 or 1,3,7.")
    if not seeds:
        raise EvaluationError("--seeds: give seeds like 1-5 or 1,3,7.")
    return list(dict.fromkeys(seeds))


def _fraction(number: str, where: str, percent: bool) -> float:
    try:
        value = float(number)
    except ValueError:
        raise EvaluationError(f"{where}: {number!r} is not a number.") from None
    if percent or value > 1.0:
        value /= 100.0
    if not 0.5 <= value <= 0.9999:
        raise EvaluationError(f"{where}: a fill-rate target must be between 0.5 and 0.9999 (50% to 99.99%).")
    return value


def target_table(
    overrides: Sequence[tuple[str, float]] = (),
    *,
    level: float | None = None,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """The policy table with every class at `level` (if given), then the overrides in order; None when nothing
    is set (the plan's own table applies). Set classes get fill-rate targets."""
    if level is None and not overrides:
        return None
    table = (DEFAULT_POLICY_TABLE if base is None else base).copy()
    table["target"] = table["target"].astype(float)
    for name, value in [*([("all", level)] if level is not None else []), *overrides]:
        rows = _class_rows(table, name)
        table.loc[rows, "target"] = value
        table.loc[rows, "target_type"] = "fill_rate"
    return table


def _class_rows(table: pd.DataFrame, name: str) -> np.ndarray:
    if name == "all":
        return np.ones(len(table), dtype=bool)
    if len(name) == 1:
        return (table["abc"] == name).to_numpy()
    return ((table["abc"] == name[0]) & (table["xyz"] == name[1])).to_numpy()


def run_grid(
    run: Callable[..., dict[str, Any]],
    *,
    seeds: Sequence[int],
    levels: Sequence[float | None],
    overrides: Sequence[tuple[str, float]] = (),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run `run(seed=..., policy_table=...)` for every target level and seed; the first run's report carries the
    `sweep` summary of all of them (see `summarize`)."""
    say = progress or (lambda _message: None)
    if len(seeds) * len(levels) > MAX_RUNS:
        raise EvaluationError(
            f"{len(seeds) * len(levels)} runs asked for: at most {MAX_RUNS} in one command."
        )
    runs = []
    first = None
    for level in levels:
        table = target_table(overrides, level=level)
        for seed in seeds:
            say(f"run: seed {seed}" + ("" if level is None else f", every class at {level:.1%}"))
            report = run(seed=seed, policy_table=table)
            first = first or report
            runs.append(run_summary(report, seed=seed, level=level))
    assert first is not None
    if len(runs) > 1:
        first["sweep"] = summarize(runs)
    first.setdefault("parameters", {})["targets_set"] = [f"{name}={value:g}" for name, value in overrides]
    return first


def run_summary(report: dict[str, Any], *, seed: int, level: float | None) -> dict[str, Any]:
    """What the sweep keeps of one run: totals and the acceptance per policy, attainment per class."""
    return {
        "seed": seed,
        "target_level": level,
        "totals": {
            name: {
                key: data["total"].get(key)
                for key in ("unit_fill_rate", "avg_on_hand_value", "avg_on_hand_units", "demand_units")
            }
            for name, data in report["policies"].items()
        },
        "acceptance": report.get("acceptance", {}),
        "attainment": {
            name: {
                segment: {key: row[key] for key in ("target", "achieved", "gap", "demand_units")}
                for segment, row in rows.items()
            }
            for name, rows in report.get("attainment", {}).items()
        },
        "n_series": {segment: row["n_series"] for segment, row in report.get("targets", {}).items()},
    }


def confidence_interval(
    values: Sequence[float | None],
    confidence: float = CONFIDENCE,
    bounds: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Mean and Student-t interval of the values (None: left out; no interval with fewer than two), the interval
    kept within `bounds` (a fill rate within [0, 1])."""
    data = np.asarray([v for v in values if v is not None], dtype=float)
    if data.size == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = float(data.mean())
    if data.size < 2:
        return {"mean": mean, "low": None, "high": None, "n": 1}
    half = float(stats.t.ppf(0.5 + confidence / 2, data.size - 1) * data.std(ddof=1) / np.sqrt(data.size))
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return {"mean": mean, "low": low, "high": high, "n": int(data.size)}


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per target level, policy and class: the target, the achieved service over the seeds (mean and 95%
    interval), the gap; per level and policy the network's unit fill and inventory; the runs themselves."""
    rows: list[dict[str, Any]] = []
    totals = []
    levels = list(dict.fromkeys(run["target_level"] for run in runs))
    for level in levels:
        at_level = [run for run in runs if run["target_level"] == level]
        for policy in dict.fromkeys(p for run in at_level for p in run["attainment"]):
            rows.extend(_class_summaries(at_level, level, policy))
            totals.append(_total_summary(at_level, level, policy))
    return {
        "seeds": list(dict.fromkeys(run["seed"] for run in runs)),
        "levels": levels,
        "confidence": CONFIDENCE,
        "by_class": rows,
        "totals": totals,
        "runs": runs,
    }


def _class_summaries(
    at_level: list[dict[str, Any]], level: float | None, policy: str
) -> list[dict[str, Any]]:
    rows = []
    for segment in sorted({s for run in at_level for s in run["attainment"].get(policy, {})}):
        cells = [run["attainment"][policy].get(segment) for run in at_level]
        cells = [c for c in cells if c and c["achieved"] is not None]
        if not cells:
            continue
        achieved = confidence_interval([c["achieved"] for c in cells], bounds=(0.0, 1.0))
        target = float(np.mean([c["target"] for c in cells]))
        rows.append(
            {
                "target_level": level,
                "policy": policy,
                "segment": segment,
                "n_series": max(run["n_series"].get(segment, 0) for run in at_level),
                "target": round(target, 4),
                "achieved": achieved,
                "gap": None if achieved["mean"] is None else round(achieved["mean"] - target, 4),
            }
        )
    return rows


def _total_summary(at_level: list[dict[str, Any]], level: float | None, policy: str) -> dict[str, Any]:
    fills = [run["totals"][policy]["unit_fill_rate"] for run in at_level if policy in run["totals"]]
    checks = [run["acceptance"][policy] for run in at_level if policy in run.get("acceptance", {})]
    return {
        "target_level": level,
        "policy": policy,
        "unit_fill_rate": confidence_interval(fills, bounds=(0.0, 1.0)),
        "inventory_reduction": confidence_interval([c["inventory_reduction"] for c in checks]),
        "inventory_reduction_at_equal_fill": confidence_interval(
            [c.get("inventory_reduction_at_equal_fill") for c in checks]
        ),
    }


def robustness_summary(
    runs: Sequence[tuple[int, dict[str, Any]]],
    *,
    policy: str = "dynamic",
    min_class_series: int = 200,
    tolerance: float = 0.015,
) -> dict[str, Any]:
    """Runs over scenario seeds x simulation seeds (`(scenario seed, run_summary)` pairs): per run the policy's
    fill against static, its inventory reduction and the gap of each class with at least `min_class_series`
    SKU-locations; over the runs the spread (min, mean, max) of the reduction and of each class's gap, and how many
    runs held (fill at least static's, reduction at least 15%, those classes within `tolerance`)."""
    rows = []
    for scenario_seed, run in runs:
        check = run["acceptance"].get(policy, {})
        totals = run["totals"]
        gaps = {
            segment: cell["gap"]
            for segment, cell in run["attainment"].get(policy, {}).items()
            if cell["gap"] is not None and run["n_series"].get(segment, 0) >= min_class_series
        }
        reduction = check.get("inventory_reduction")
        fill, static_fill = totals[policy]["unit_fill_rate"], totals["static"]["unit_fill_rate"]
        off = sorted(segment for segment, gap in gaps.items() if abs(gap) > tolerance)
        held = bool(
            reduction is not None
            and reduction >= 0.15
            and fill is not None
            and fill >= (static_fill or 0)
            and not off
        )
        rows.append(
            {
                "scenario_seed": scenario_seed,
                "seed": run["seed"],
                "unit_fill_rate": fill,
                "static_unit_fill_rate": static_fill,
                "inventory_reduction": reduction,
                "gaps": gaps,
                "classes_off_target": off,
                "held": held,
            }
        )
    by_class: dict[str, list[float]] = {}
    for row in rows:
        for segment, gap in row["gaps"].items():
            by_class.setdefault(segment, []).append(gap)
    return {
        "policy": policy,
        "min_class_series": min_class_series,
        "tolerance": tolerance,
        "runs": rows,
        "inventory_reduction": _spread([row["inventory_reduction"] for row in rows]),
        "unit_fill_rate": _spread([row["unit_fill_rate"] for row in rows]),
        "class_gaps": {segment: _spread(gaps) for segment, gaps in sorted(by_class.items())},
        "max_abs_gap": max((abs(g) for gaps in by_class.values() for g in gaps), default=None),
        "runs_held": sum(row["held"] for row in rows),
    }


def _spread(values: Sequence[float | None]) -> dict[str, Any]:
    data = [v for v in values if v is not None]
    if not data:
        return {"min": None, "mean": None, "max": None, "n": 0}
    return {"min": min(data), "mean": float(np.mean(data)), "max": max(data), "n": len(data)}
