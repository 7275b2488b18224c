"""Plan orchestration: clean -> classify -> forecast -> segment -> lead times -> projection -> policy -> recommend."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .calibration import calibration_groups, group_factors, planning_target
from .classify import INTERMITTENT, LUMPY, abc_xyz, classify_demand, weekly_demand_cv
from .fill_rate import rounding_draw
from .forecast import (
    ForecastResult,
    ForecastSettings,
    error_growth_at,
    forecast_panel,
    horizon_error_growth,
    pooled_forecast_sd,
)
from .leadtime import LeadTimeSettings, learn_lead_times
from .network import PoolingSettings, policy_outside_pools, pooled_policy, pooled_supply
from .panel import clean_demand
from .plan_record import POLICY_INPUT_COLUMNS, policy_settings_of
from .policy import PolicySettings, horizon_demand, service_targets
from .projection import clean_open_supply, project_inventory
from .recommend import (
    RECOMMENDATION_COLUMNS,
    RecommendSettings,
    build_recommendations,
)
from .seasonality import SeasonalitySettings, pooled_seasonal_indices

SERIES_DEFAULTS: dict[str, Any] = {
    "item_location_id": None,  # defaults to the row number
    "item_id": None,  # defaults to the row number (every series its own item: no transfers)
    "location_id": 0,
    "supplier_id": -1,
    "unit_cost": np.nan,
    "unit_price": np.nan,
    "on_hand": 0.0,
    "allocated": 0.0,
    "backordered": 0.0,
    "capacity": np.nan,
    "pack_size": 1.0,
    "moq": 0.0,
    "contracted_lead_time_days": np.nan,
    "ordering_cost": np.nan,
    "holding_rate": np.nan,
    "static_min": np.nan,
    "static_max": np.nan,
    "service_target": np.nan,
    "safety_stock_floor": np.nan,  # an approved minimum safety stock (units); NaN = none
}

# Unit fill-rate targets for every class, as distributors set them (a customer sees the share of units shipped on
# time, whatever the class); slow movers get their reorder point from the negative binomial loss function
# (policy.discrete_reorder_point). A cycle-service target on lumpy C items over-serves them: a 90 % chance of no
# stockout per cycle filled ~95 % of units at a large stock of slow, dear items.
DEFAULT_POLICY_TABLE = pd.DataFrame(
    [
        ("A", "X", "fill_rate", 0.98),
        ("A", "Y", "fill_rate", 0.97),
        ("A", "Z", "fill_rate", 0.95),
        ("B", "X", "fill_rate", 0.95),
        ("B", "Y", "fill_rate", 0.95),
        ("B", "Z", "fill_rate", 0.93),
        ("C", "X", "fill_rate", 0.92),
        ("C", "Y", "fill_rate", 0.90),
        ("C", "Z", "fill_rate", 0.90),
    ],
    columns=["abc", "xyz", "target_type", "target"],
)

RECEIPT_COLUMNS = ["supplier_id", "item_id", "lead_time_days", "received_date"]
OPEN_SUPPLY_COLUMNS = ["series", "po_line_id", "quantity", "arrival_day", "expedite_days", "kind"]


@dataclass(frozen=True)
class PlanOptions:
    horizon_days: int = 90
    # R of the protection interval L + R: the plan is refreshed (and orders can be placed) every night, so an order
    # decided today protects until the one that can be placed tomorrow arrives. Measured with the policy simulator
    # (daily review, demand stationary at the forecast): R = 0 reached 97.4% on a 98% fill target (AX) and 95.7%
    # on 97% (AY); R = 1 reached 98.0% and 96.6%.
    review_days: float = 1.0
    backtest_periods: int = 13
    revenue_weeks: int = 52  # ABC on revenue of the last this-many weeks
    abc_cutoffs: tuple[float, float] = (0.80, 0.95)
    xyz_cutoffs: tuple[float, float] = (0.5, 1.0)
    forecast: ForecastSettings | None = None  # when None: ForecastSettings(backtest_periods=backtest_periods)
    policy: PolicySettings | None = None  # when None: PolicySettings(review_days=review_days)
    lead_time: LeadTimeSettings = field(default_factory=LeadTimeSettings)
    recommend: RecommendSettings = field(default_factory=RecommendSettings)
    # seasonal indices pooled by the series' optional ``category`` column (no column: no pooled seasonality)
    seasonality: SeasonalitySettings = field(default_factory=SeasonalitySettings)
    lead_time_error_growth: bool = (
        True  # grow the forecast sd over the lead time as the backtest's error grew
    )
    pooled_forecast_sd: bool = (
        True  # combine each series' backtest sd with its segment's pooled sd(forecast) fit
    )
    pool_errors_by_category: bool = True  # pool the sd fit and the error growth by segment x category
    # MOQ pooling: branches whose supplier lot is many weeks of their demand are supplied from the item's hub
    pooling: PoolingSettings = field(default_factory=PoolingSettings)


@dataclass
class PlanInputs:
    """Everything the engine needs, as plain data (the Django side fills it from selectors)."""

    series: pd.DataFrame  # one row per SKU-location, columns: see SERIES_DEFAULTS (missing ones get defaults)
    demand: np.ndarray  # (n, T) weekly demand, NaN before history / unobserved
    promo: np.ndarray | None = None  # (n, T) bool
    receipts: pd.DataFrame | None = None  # supplier_id, item_id, lead_time_days, received_date
    open_supply: pd.DataFrame | None = None  # series, po_line_id, quantity, arrival_day, expedite_days, kind
    policy_table: pd.DataFrame | None = None  # abc, xyz, target_type, target (None: DEFAULT_POLICY_TABLE)
    transfer_days: float | pd.DataFrame = 2.0  # scalar, or matrix: index = from location_id, columns = to
    promo_next: np.ndarray | None = None  # (n,) bool: promotion planned for the next period
    # (n,) int: a fixed supply assignment (row of the hub each series is supplied from, -1 = its supplier) instead
    # of the pooling rule's (e.g. kept from an earlier plan); None: the rule decides (PlanOptions.pooling)
    supply_from: np.ndarray | None = None
    # service calibration (engine/calibration.py): a factor c on the shortage each target allows, planning
    # target = 1 - (1 - target) x c, per calibration group ("AX|own", "CZ|branch", ...; evaluation/calibration.py
    # learns them by replaying history); None: c = 1
    service_calibration: Mapping[str, float] | None = None
    # (n,) float: the factor per series instead (wins over service_calibration)
    target_calibration: np.ndarray | None = None
    # targets allocated within a group at least stock (engine/allocation.py): the natural log of each group's price
    # of a unit short to plan at (a partial re-plan keeps the full plan's); None or a group without: solved here
    allocation_prices: Mapping[str, float] | None = None
    options: PlanOptions = field(default_factory=PlanOptions)


@dataclass
class PlanResult:
    plan: pd.DataFrame
    recommendations: pd.DataFrame
    timings: dict[str, float]
    forecast: ForecastResult | None = None
    lead_times: pd.DataFrame | None = None


def _prepared_series(series: pd.DataFrame, n_series: int) -> pd.DataFrame:
    if len(series) != n_series:
        raise ValueError(f"series has {len(series)} rows but demand has {n_series}")
    frame = series.reset_index(drop=True)
    columns: dict[str, Any] = {}
    for name, default in SERIES_DEFAULTS.items():
        if name in frame:
            columns[name] = frame[name].to_numpy()
        elif default is None:
            columns[name] = np.arange(n_series)
        else:
            columns[name] = np.full(n_series, default)
    prepared = pd.DataFrame(columns)
    for name in SERIES_DEFAULTS:
        if name not in ("item_location_id", "item_id", "location_id", "supplier_id"):
            prepared[name] = pd.to_numeric(prepared[name], errors="coerce").astype(np.float64)
    for optional in ("service_target_type", "category"):
        if optional in frame:
            prepared[optional] = frame[optional].to_numpy(dtype=object)
    return prepared


def _with_safety_stock_floor(policy: pd.DataFrame, floor: np.ndarray) -> pd.DataFrame:
    """Raise the safety stock to an approved floor where the computed one is lower; the reorder point and the
    order-up-to level move up by the same number of units (ROP = mean lead-time demand + SS)."""
    raise_by = np.where(np.isfinite(floor), np.maximum(floor - policy["safety_stock"].to_numpy(), 0.0), 0.0)
    policy = policy.copy()
    for column in ("safety_stock", "reorder_point", "order_up_to"):
        policy[column] = policy[column].to_numpy() + raise_by
    policy["flag_safety_stock_floor"] = raise_by > 0
    return policy


def _supply_assignment(
    inputs: PlanInputs, series: pd.DataFrame, forecast_weekly: np.ndarray, clean: Any
) -> np.ndarray:
    """Row of the hub each series is supplied from (-1: its supplier): the fixed assignment given, or the MOQ
    pooling rule's (network.py)."""
    n_series = len(series)
    if inputs.supply_from is not None:
        supply_from = np.asarray(inputs.supply_from, dtype=np.int64)
        if supply_from.shape != (n_series,) or (supply_from >= n_series).any():
            raise ValueError("supply_from must give one row (or -1) per series")
        return supply_from
    return pooled_supply(
        series["item_id"].to_numpy(),
        series["location_id"].to_numpy(),
        forecast_weekly,
        series["moq"].to_numpy(),
        series["pack_size"].to_numpy(),
        eligible=~clean.flag_no_history,
        settings=inputs.options.pooling,
    )


def run_plan(inputs: PlanInputs) -> PlanResult:
    """Run the whole replenishment plan for a panel; see the module docstring for the stages."""
    options = inputs.options
    timings: dict[str, float] = {}

    def timed(stage: str, function: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = function()
        timings[stage] = round(time.perf_counter() - started, 3)
        return value

    demand = np.asarray(inputs.demand)
    n_series, n_periods = demand.shape
    series = timed("prepare", lambda: _prepared_series(inputs.series, n_series))
    clean = timed("clean", lambda: clean_demand(demand))
    demand_by_series = clean.demand_by_period.T  # (n, T) view of the cleaned panel
    classes = timed("classify", lambda: classify_demand(demand_by_series))

    forecast_settings = options.forecast or ForecastSettings(backtest_periods=options.backtest_periods)
    seasonal = timed(
        "seasonality",
        lambda: pooled_seasonal_indices(
            clean.demand_by_period,
            series.get("category"),
            horizon=forecast_settings.horizon_weeks,
            settings=options.seasonality,
        ),
    )
    forecast = timed(
        "forecast",
        lambda: forecast_panel(
            clean,
            classes["demand_class"],
            promo=inputs.promo,
            promo_next=inputs.promo_next,
            settings=forecast_settings,
            seasonal=seasonal,
        ),
    )

    def segment() -> pd.DataFrame:
        recent = clean.demand_by_period[max(n_periods - options.revenue_weeks, 0) :]  # time-major
        # at its run rate: a SKU-location that started selling 10 weeks ago is ranked on 10 weeks x 52 / 10, not
        # on the 10 weeks alone (which would file a new fast mover under C, with a C target and C's pooled error)
        observed = np.isfinite(recent).sum(axis=0)
        units = np.nansum(recent, axis=0, dtype=np.float64) * recent.shape[0] / np.maximum(observed, 1)
        price = series["unit_price"].to_numpy()
        revenue = units * np.where(np.isfinite(price) & (price > 0), price, 0.0)
        return abc_xyz(
            revenue,
            weekly_demand_cv(demand_by_series),
            a_cutoff=options.abc_cutoffs[0],
            b_cutoff=options.abc_cutoffs[1],
            x_cutoff=options.xyz_cutoffs[0],
            y_cutoff=options.xyz_cutoffs[1],
        )

    segments = timed("segment", segment)

    def lead_times() -> tuple[pd.DataFrame, pd.DataFrame]:
        receipts = inputs.receipts if inputs.receipts is not None else pd.DataFrame(columns=RECEIPT_COLUMNS)
        contracted = series[["supplier_id", "item_id", "contracted_lead_time_days"]]
        learned = learn_lead_times(receipts, contracted, options.lead_time)
        per_series = series[["supplier_id", "item_id"]].merge(
            learned, on=["supplier_id", "item_id"], how="left"
        )
        return learned, per_series

    learned_lead_times, series_lead_times = timed("lead_time", lead_times)
    lead_time_days = series_lead_times["lead_time_planned"].to_numpy(dtype=np.float64)

    def projection() -> tuple[pd.DataFrame, pd.DataFrame]:
        raw_supply = (
            inputs.open_supply
            if inputs.open_supply is not None
            else pd.DataFrame(columns=OPEN_SUPPLY_COLUMNS)
        )
        supply = clean_open_supply(raw_supply, n_series)
        frame, _ = project_inventory(
            series["on_hand"].to_numpy(),
            series["allocated"].to_numpy(),
            series["backordered"].to_numpy(),
            forecast.horizon,
            supply,
            lead_time_days,
            horizon_days=options.horizon_days,
            supply_is_clean=True,
        )
        return frame, supply

    projected, supply = timed("projection", projection)

    def policy() -> tuple[pd.DataFrame, pd.DataFrame]:
        targets = service_targets(
            segments["abc"],
            segments["xyz"],
            inputs.policy_table if inputs.policy_table is not None else DEFAULT_POLICY_TABLE,
            override=series["service_target"],
            override_type=series.get("service_target_type"),
        )
        supply_from = _supply_assignment(inputs, series, forecast.frame["forecast"].to_numpy(), clean)
        groups = calibration_groups(
            segments["abc"].to_numpy(),
            segments["xyz"].to_numpy(),
            supply_from,
            np.isfinite(demand).sum(axis=1),
        )
        if inputs.target_calibration is not None:
            factor = np.asarray(inputs.target_calibration, dtype=np.float64)
            if factor.shape != (n_series,):
                raise ValueError("target_calibration must give one factor per series")
        else:
            factor = group_factors(groups, inputs.service_calibration)
        targets["calibration_group"] = groups
        targets["calibration_factor"] = np.nan_to_num(factor, nan=1.0)
        targets["planning_target"] = planning_target(targets["service_target"].to_numpy(), factor)
        target_for_policy = targets["planning_target"].to_numpy(dtype=np.float64)
        policy_frame = pd.DataFrame(
            {
                "forecast_weekly": forecast.frame["forecast"].to_numpy(),
                "forecast_sd_weekly": forecast.frame["forecast_sd"].to_numpy(),
                "demand_class": classes["demand_class"].array,
                "lead_time_days": lead_time_days,
                "lead_time_sd_days": series_lead_times["lead_time_sd"].to_numpy(dtype=np.float64),
                "target_type": targets["target_type"].to_numpy(),
                "service_target": target_for_policy,
                "unit_cost": series["unit_cost"].to_numpy(),
                "ordering_cost": series["ordering_cost"].to_numpy(),
                "holding_rate": series["holding_rate"].to_numpy(),
                "moq": series["moq"].to_numpy(),
                "pack_size": series["pack_size"].to_numpy(),
                "capacity": series["capacity"].to_numpy(),
                "inventory_position": projected["inventory_position"].to_numpy(),
                "static_min": series["static_min"].to_numpy(),
                "static_max": series["static_max"].to_numpy(),
                "flag_no_history": clean.flag_no_history,
            }
        )
        policy_settings = policy_settings_of(options)
        # sizes of the non-zero demands (mean, and CV2 from the classification) for the undershoot of s
        nonzero = np.where(np.isfinite(demand_by_series) & (demand_by_series > 0), demand_by_series, 0.0)
        nonzero_count = (nonzero > 0).sum(axis=1)
        # only where a non-zero week is about one demand occurrence (intermittent / lumpy, ADI >= 1.32); a fast
        # mover's week is many daily demands, whose undershoot is small against Q
        occasional = np.isin(np.asarray(classes["demand_class"]).astype(str), [INTERMITTENT, LUMPY])
        policy_frame["demand_size_mean"] = np.where(
            occasional & (nonzero_count > 0),
            nonzero.sum(axis=1, dtype=np.float64) / np.maximum(nonzero_count, 1),
            np.nan,
        )
        policy_frame["demand_size_cv2"] = classes["cv2"].to_numpy(dtype=np.float64)
        # each SKU-location's fixed draw between the two whole reorder points around a fill target (mixed rounding)
        policy_frame["rounding_draw"] = rounding_draw(series["item_location_id"].to_numpy(dtype=np.float64))
        # a class's targets are allocated within its calibration group, at the group's given price or its own
        policy_frame["allocation_group"] = groups
        policy_frame["allocation_log_price"] = (
            pd.Series(groups).map(dict(inputs.allocation_prices)).to_numpy(dtype=np.float64)
            if inputs.allocation_prices
            else np.nan
        )
        segment = np.char.add(
            np.asarray(segments["abc"]).astype(str), np.asarray(segments["xyz"]).astype(str)
        )
        if options.pool_errors_by_category and "category" in series:
            # categories differ in how their demand moves (weather-driven surges, events): pool within them
            segment = np.char.add(
                np.char.add(segment, "|"), series["category"].astype(str).to_numpy().astype(str)
            )
        if options.pooled_forecast_sd:
            policy_frame["forecast_sd_weekly"] = pooled_forecast_sd(
                forecast.frame["forecast"].to_numpy(),
                forecast.frame["forecast_sd"].to_numpy(),
                forecast.frame["n_backtest_residuals"].to_numpy(),
                np.char.add(segment, np.asarray(classes["demand_class"]).astype(str)),
            )
        # expected demand over L + R and over L: the sum of the (seasonal) forecast path, not d x L
        policy_frame["protection_demand_mean"] = horizon_demand(
            forecast.horizon, lead_time_days + policy_settings.review_days
        )
        policy_frame["lead_demand_mean"] = horizon_demand(forecast.horizon, lead_time_days)
        # forecast error over the lead time: the one-step sd grown as the backtest's error grew with the horizon,
        # pooled by ABC-XYZ segment (forecast.horizon_error_growth)
        if options.lead_time_error_growth and forecast.backtest_forecast is not None:
            growth = horizon_error_growth(
                forecast.backtest_actual, forecast.backtest_forecast, forecast.backtest_season, segment
            )
            policy_frame["protection_error_growth"] = error_growth_at(
                growth, segment, (lead_time_days + policy_settings.review_days) / 7.0
            )
            policy_frame["lead_error_growth"] = error_growth_at(growth, segment, lead_time_days / 7.0)
        computed = policy_outside_pools(policy_frame, supply_from, policy_settings)
        computed["forecast_sd_planning"] = policy_frame["forecast_sd_weekly"].to_numpy()
        effective = policy_frame
        if (supply_from >= 0).any():
            computed, effective = pooled_policy(
                policy_frame,
                computed,
                supply_from,
                forecast.horizon,
                series,
                inputs.transfer_days,
                policy_settings,
                options.pooling,
                options.recommend.default_transfer_days,
            )
        computed["supply_from_series"] = supply_from
        if "pool_credit_cap" not in computed:
            computed["pool_credit_cap"] = np.zeros(n_series)
        for column, name in POLICY_INPUT_COLUMNS.items():
            computed[name] = (
                effective[column].to_numpy(dtype=np.float64)
                if column in effective
                else np.full(n_series, np.nan)
            )
        # the target the reorder point met: the row's own, or its share of its group's target at least cost
        # and the log of its group's price of a unit short (NaN where not allocated)
        allocated = computed.pop("allocated_target").to_numpy(dtype=np.float64)
        stated = computed["policy_target"].to_numpy(dtype=np.float64)
        computed["policy_target"] = np.where(np.isfinite(stated), allocated, np.nan)
        return targets, computed

    targets, policy_result = timed("policy", policy)
    policy_result = _with_safety_stock_floor(
        policy_result, series["safety_stock_floor"].to_numpy(dtype=np.float64)
    )

    supply_from_series = policy_result["supply_from_series"].to_numpy(dtype=np.int64)

    def assemble() -> pd.DataFrame:
        pack = series["pack_size"].to_numpy()
        moq = series["moq"].to_numpy()
        price = series["unit_price"].to_numpy()
        return pd.DataFrame(
            {
                "item_location_id": series["item_location_id"].to_numpy(),
                "item_id": series["item_id"].to_numpy(),
                "location_id": series["location_id"].to_numpy(),
                "supplier_id": series["supplier_id"].to_numpy(),
                "demand_class": classes["demand_class"].array,
                "adi": classes["adi"].to_numpy(),
                "cv2": classes["cv2"].to_numpy(),
                "abc": segments["abc"].array,
                "xyz": segments["xyz"].array,
                "method": forecast.frame["method"].array,
                "forecast_weekly": forecast.frame["forecast"].to_numpy(),
                "forecast_sd_weekly": forecast.frame["forecast_sd"].to_numpy(),
                # the weekly sd the policy used: the backtest sd combined with its segment's pooled estimate
                "forecast_sd_planning": policy_result["forecast_sd_planning"].to_numpy(),
                "mase": forecast.frame["mase"].to_numpy(),
                "bias": forecast.frame["bias"].to_numpy(),
                "naive_mase": forecast.frame["naive_mase"].to_numpy(),
                "lead_time_mean": lead_time_days,
                "lead_time_sd": series_lead_times["lead_time_sd"].to_numpy(dtype=np.float64),
                "lead_time_long_run_mean": series_lead_times["lead_time_mean"].to_numpy(dtype=np.float64),
                "lead_time_recent_mean": series_lead_times["recent_mean"].to_numpy(dtype=np.float64),
                "lead_time_n_samples": series_lead_times["n_samples"].to_numpy(),
                "lead_time_source": series_lead_times["source"].to_numpy(),
                "lead_time_unstable": series_lead_times["unstable"].to_numpy(dtype=bool),
                "service_target": targets["service_target"].to_numpy(),
                "planning_target": targets["planning_target"].to_numpy(),
                "calibration_group": targets["calibration_group"].to_numpy(),
                "calibration_factor": targets["calibration_factor"].to_numpy(),
                # log of the group's price of a unit short its target was allocated at (NaN: not allocated)
                "allocation_log_price": policy_result["allocation_log_price"].to_numpy(),
                "target_type": targets["target_type"].to_numpy(),
                **{
                    name: policy_result[name].to_numpy()
                    for name in (
                        "lead_time_demand_mean",
                        "lead_time_demand_sd",
                        "lead_time_demand_distribution",
                        "safety_factor",
                        "undershoot",
                        *POLICY_INPUT_COLUMNS.values(),
                        "safety_stock",
                        "reorder_point",
                        "eoq",
                        "order_quantity",
                        "order_up_to",
                    )
                },
                "available": projected["available"].to_numpy(),
                "on_order": projected["on_order"].to_numpy(),
                "inventory_position": projected["inventory_position"].to_numpy(),
                "stockout_probability": policy_result["stockout_probability"].to_numpy(),
                "safety_stock_floor": series["safety_stock_floor"].to_numpy(),
                "projected_stockout_day": projected["projected_stockout_day"].to_numpy(),
                "projected_at_lead_time": projected["projected_at_lead_time"].to_numpy(),
                "static_min": series["static_min"].to_numpy(),
                "static_max": series["static_max"].to_numpy(),
                "flag_no_history": clean.flag_no_history,
                "flag_negative_demand_cleaned": clean.flag_negative_demand_cleaned,
                "flag_nonfinite_demand_cleaned": clean.flag_nonfinite_demand_cleaned,
                "flag_missing_periods": clean.flag_missing_periods,
                "flag_no_backtest": ~np.isfinite(forecast.frame["mase"].to_numpy()),
                "flag_zero_cost": policy_result["flag_zero_cost"].to_numpy(),
                "flag_zero_price": ~(np.isfinite(price) & (price > 0)),
                "flag_eoq_fallback": policy_result["flag_eoq_fallback"].to_numpy(),
                "flag_capacity_limited": policy_result["flag_capacity_limited"].to_numpy(),
                "flag_invalid_pack_or_moq": ~(np.isfinite(pack) & (pack > 0))
                | (np.isfinite(moq) & (moq < 0)),
                "flag_no_lead_time_history": series_lead_times["flag_no_lead_time_history"].to_numpy(
                    dtype=bool
                ),
                "flag_no_contracted_lead_time": series_lead_times["flag_no_contracted_lead_time"].to_numpy(
                    dtype=bool
                ),
                "flag_no_policy_match": targets["flag_no_policy_match"].to_numpy(),
                "flag_static_min_max_used": policy_result["flag_static_min_max_used"].to_numpy(),
                "flag_safety_stock_floor": policy_result["flag_safety_stock_floor"].to_numpy(),
                "flag_supplied_from_hub": supply_from_series >= 0,
                "flag_pooled_hub": np.isin(np.arange(n_series), supply_from_series[supply_from_series >= 0]),
                "supply_from_series": supply_from_series,
                # a pooled branch's demand over its hub's lead time and review: the most of its stock above its
                # order-up-to level its hub counts as its own position (recommend.pool_credit)
                "pool_credit_cap": policy_result["pool_credit_cap"].to_numpy(dtype=np.float64),
                "supply_location_id": np.where(
                    supply_from_series >= 0,
                    series["location_id"].to_numpy()[np.maximum(supply_from_series, 0)],
                    None,
                ),
            }
        )

    plan = timed("assemble", assemble)

    def recommendations() -> pd.DataFrame:
        recommend_frame = plan[
            [
                "item_id",
                "location_id",
                "supplier_id",
                "inventory_position",
                "available",
                "reorder_point",
                "order_up_to",
                "forecast_weekly",
                "projected_stockout_day",
                "flag_no_history",
                "supply_from_series",
                "pool_credit_cap",
            ]
        ].assign(
            lead_time_days=lead_time_days,
            moq=series["moq"].to_numpy(),
            pack_size=series["pack_size"].to_numpy(),
            capacity=series["capacity"].to_numpy(),
            ordering_cost=series["ordering_cost"].to_numpy(),
        )
        return build_recommendations(
            recommend_frame, supply, transfer_days=inputs.transfer_days, settings=options.recommend
        )

    recs = timed("recommend", recommendations)
    timings["total"] = round(sum(timings.values()), 3)
    for part, seconds in forecast.timings.items():  # breakdown of the forecast stage, not added to the total
        timings[f"forecast.{part}"] = seconds
    return PlanResult(
        plan=plan,
        recommendations=recs.loc[:, list(RECOMMENDATION_COLUMNS)],
        timings=timings,
        forecast=forecast,
        lead_times=learned_lead_times,
    )
