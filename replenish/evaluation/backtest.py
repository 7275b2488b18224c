"""Backtest: forecast accuracy against the naive forecast, and static min-max against the dynamic policy on held-out
actual demand.

The last `holdout_weeks` of stored history are held out; the plan runs on the periods before (and re-plans as the
held-out periods are revealed); both policies replay the held-out actual demand. The report is the simulation
report (see `simulation`) plus:
- `forecast_accuracy`: `replenish.engine.backtest_summary` of the plan on the training history (rolling-origin
  one-step backtest: MASE and bias per class and per method, and the naive forecast's MASE on the same series);
- `holdout_accuracy`: the plan's forecast against the held-out periods it never saw, per class: mean absolute
  error relative to the naive forecast (the last training period repeated) and bias;
- `service_comparison`: which policy came closer to the service targets per class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from replenish.engine import backtest_summary

from .simulation import DEFAULT_REPLAN_WEEKS, DYNAMIC, RANDOM, STATIC, class_labels, evaluate
from .sweep import run_grid
from .window import ACTUALS, EvaluationWindow

DEFAULT_HOLDOUT_WEEKS = 26


def backtest_run(
    *,
    holdout_weeks: int = DEFAULT_HOLDOUT_WEEKS,
    warmup_weeks: int = 0,
    seed: int = 1,
    location: str | None = None,
    replan_weeks: int = DEFAULT_REPLAN_WEEKS,
    day_spread: str = RANDOM,
    targets: Sequence[tuple[str, float]] = (),
    target_levels: Sequence[float] | None = None,
    seeds: Sequence[int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The backtest report (see the module doc); `targets`, `target_levels` and `seeds` as in
    `simulation.simulation_run` (several runs: the first run's report carries the `sweep` summary)."""

    def run(*, seed: int, policy_table: pd.DataFrame | None) -> dict[str, Any]:
        return _backtest_once(
            holdout_weeks=holdout_weeks,
            warmup_weeks=warmup_weeks,
            seed=seed,
            location=location,
            replan_weeks=replan_weeks,
            day_spread=day_spread,
            progress=progress,
            policy_table=policy_table,
        )

    return run_grid(
        run, seeds=seeds or [seed], levels=target_levels or [None], overrides=targets, progress=progress
    )


def _backtest_once(
    *,
    holdout_weeks: int,
    warmup_weeks: int,
    seed: int,
    location: str | None,
    replan_weeks: int,
    day_spread: str,
    progress: Callable[[str], None] | None,
    policy_table: pd.DataFrame | None,
) -> dict[str, Any]:
    evaluation = evaluate(
        demand=ACTUALS,
        weeks=holdout_weeks,
        warmup_weeks=warmup_weeks,
        seed=seed,
        policies=(STATIC, DYNAMIC),
        location=location,
        replan_weeks=replan_weeks,
        day_spread=day_spread,
        progress=progress,
        policy_table=policy_table,
        calibration=True,  # as the nightly plan: targets corrected by the replay of the training history
    )
    report = evaluation.report
    report["kind"] = "backtest"
    plan = evaluation.schedule.plan
    forecast = evaluation.schedule.forecast
    labels = class_labels(plan)
    if forecast is not None:
        report["forecast_accuracy"] = {
            "by_demand_class": _records(backtest_summary(forecast, labels["demand_class"])),
            "by_segment": _records(backtest_summary(forecast, labels["segment"])),
        }
        report["holdout_accuracy"] = {
            "by_demand_class": holdout_accuracy(evaluation.window, forecast.horizon, labels["demand_class"]),
            "by_segment": holdout_accuracy(evaluation.window, forecast.horizon, labels["segment"]),
        }
    report["service_comparison"] = service_comparison(report["attainment_summary"])
    return report


def holdout_accuracy(window: EvaluationWindow, horizon: np.ndarray, labels: pd.Series) -> dict[str, dict]:
    """The first plan's forecast over the held-out periods (its horizon, the last horizon value beyond it) against
    the actual demand, by class: MAE relative to the naive forecast and bias (forecast - actual) / actual."""
    actual = window.future.astype(np.float64)
    n, periods = actual.shape
    path = np.asarray(horizon, dtype=np.float64)
    if path.shape[1] < periods:
        path = np.concatenate([path, np.repeat(path[:, -1:], periods - path.shape[1], axis=1)], axis=1)
    path = np.nan_to_num(path[:, :periods])
    history = window.inputs.demand
    observed = np.isfinite(history)
    last = np.where(observed.any(axis=1), observed.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1), -1)
    naive = np.where(last >= 0, np.nan_to_num(history[np.arange(n), np.maximum(last, 0)]), 0.0)
    frame = pd.DataFrame(
        {
            "label": np.asarray(labels),
            "forecast_error": np.abs(path - actual).sum(axis=1),
            "naive_error": np.abs(naive[:, None] - actual).sum(axis=1),
            "forecast_sum": path.sum(axis=1),
            "actual_sum": actual.sum(axis=1),
        }
    )
    out = {}
    for label, group in [("all", frame), *frame.groupby("label", sort=True)]:
        naive_error = group["naive_error"].sum()
        actual_sum = group["actual_sum"].sum()
        out[str(label)] = {
            "n_series": len(group),
            "relative_mae": None
            if naive_error <= 0
            else round(float(group["forecast_error"].sum() / naive_error), 4),
            "bias": None
            if actual_sum <= 0
            else round(float((group["forecast_sum"].sum() - actual_sum) / actual_sum), 4),
        }
    return out


def service_comparison(summary: dict[str, dict]) -> dict[str, Any]:
    """Whether the dynamic policy reached its service targets more closely than static min-max."""
    static, dynamic = summary.get(STATIC), summary.get(DYNAMIC)
    if not static or not dynamic or static["mean_abs_gap"] is None or dynamic["mean_abs_gap"] is None:
        return {}
    closer = dynamic["mean_abs_gap"] < static["mean_abs_gap"]
    return {
        "static_mean_abs_gap": static["mean_abs_gap"],
        "dynamic_mean_abs_gap": dynamic["mean_abs_gap"],
        "static_segments_within": static["segments_within"],
        "dynamic_segments_within": dynamic["segments_within"],
        "segments": dynamic["segments"],
        "dynamic_closer": closer,
        "sentence": (
            f"The dynamic policy came {'closer to' if closer else 'no closer to'} its service targets than static "
            f"min-max: mean gap {dynamic['mean_abs_gap']:.1%} against {static['mean_abs_gap']:.1%}, "
            f"{dynamic['segments_within']} of {dynamic['segments']} classes within 1.5 points against "
            f"{static['segments_within']}."
        ),
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in frame.to_dict(orient="records"):
        records.append(
            {
                key: (None if isinstance(value, float) and not np.isfinite(value) else value)
                for key, value in row.items()
            }
        )
    for row in records:
        for key, value in row.items():
            if isinstance(value, np.integer):
                row[key] = int(value)
            elif isinstance(value, np.floating):
                row[key] = float(value)
    return records
