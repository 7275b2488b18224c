"""DistOps replenishment engine: pure numerics (numpy, pandas, scipy, scikit-learn), never Django.

DataFrames and arrays in, DataFrames out; vectorized across the whole panel of SKU-locations.
Entry point: ``run_plan(PlanInputs) -> PlanResult``.
"""

from .classify import abc_xyz, classify_demand, weekly_demand_cv
from .forecast import ForecastResult, ForecastSettings, backtest_summary, forecast_panel
from .leadtime import LeadTimeSettings, learn_lead_times
from .pipeline import DEFAULT_POLICY_TABLE, PlanInputs, PlanOptions, PlanResult, run_plan
from .policy import (
    PolicySettings,
    compute_policy,
    inverse_normal_loss,
    lead_time_demand,
    normal_loss,
    service_targets,
)
from .projection import project_inventory
from .recommend import RecommendSettings, build_recommendations
from .synthetic import make_synthetic_panel

__all__ = [
    "DEFAULT_POLICY_TABLE",
    "ForecastResult",
    "ForecastSettings",
    "LeadTimeSettings",
    "PlanInputs",
    "PlanOptions",
    "PlanResult",
    "PolicySettings",
    "RecommendSettings",
    "abc_xyz",
    "backtest_summary",
    "classify_demand",
    "compute_policy",
    "forecast_panel",
    "inverse_normal_loss",
    "lead_time_demand",
    "learn_lead_times",
    "make_synthetic_panel",
    "normal_loss",
    "project_inventory",
    "build_recommendations",
    "run_plan",
    "service_targets",
    "weekly_demand_cv",
]
