"""What a plan run records besides its figures: the policy's inputs per row and the settings of the run, so that
every figure can be re-derived from what is stored (governance/explain and its scipy test read these)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .forecast import METHODS, ForecastSettings
from .policy import PolicySettings

# The inputs of the policy as it computed each row (a pooled hub's network demand, a branch's transfer lead time),
# kept in the plan under these names so every figure can be re-derived from the stored row (``explain``).
POLICY_INPUT_COLUMNS = {
    "forecast_weekly": "policy_forecast_weekly",
    "forecast_sd_weekly": "policy_forecast_sd_weekly",
    "lead_time_days": "policy_lead_time_days",
    "lead_time_sd_days": "policy_lead_time_sd_days",
    "service_target": "policy_target",
    "protection_error_growth": "error_growth",
    "demand_size_mean": "demand_size_mean",
    "demand_size_cv2": "demand_size_cv2",
    "unit_cost": "unit_cost",
    "ordering_cost": "ordering_cost",
    "holding_rate": "holding_rate",
    "moq": "moq",
    "pack_size": "pack_size",
    "capacity": "capacity",
}


def policy_settings_of(options: Any) -> PolicySettings:
    """The policy settings a plan with these options (pipeline.PlanOptions) computes with."""
    return options.policy or PolicySettings(review_days=options.review_days)


def plan_options_snapshot(options: Any) -> dict[str, Any]:
    """The settings a run planned with, as plain JSON-ready data (stored with the run, read by explain)."""
    forecast = options.forecast or ForecastSettings(backtest_periods=options.backtest_periods)
    return {
        "review_days": float(options.review_days),
        "policy": asdict(policy_settings_of(options)),
        "forecast_methods": list(METHODS),
        "forecast_selection_metric": forecast.selection_metric,
        "backtest_periods": int(forecast.backtest_periods),
        "horizon_weeks": int(forecast.horizon_weeks),
        "lead_time": {k: v for k, v in asdict(options.lead_time).items() if k != "as_of"},
    }
