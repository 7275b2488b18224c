"""Inventory policy: lead-time demand, safety stock, reorder point, order quantity, stockout probability.

References (textbook forms):
- Silver, Pyke & Thomas (2017), *Inventory and Production Management in Supply Chains*, 4th ed., ch. 4 (EOQ)
  and ch. 6 (safety stock: cycle service level and fill rate, standard normal loss function G(k)).
- Axsater (2015), *Inventory Control*, 3rd ed., section 5.3: negative binomial lead-time demand fitted by
  moments for slow movers.
- The loss functions and the reorder points that meet a fill rate exactly, n(s) - n(s + Q) <= Q (1 - beta)
  (Hadley-Whitin), are in ``fill_rate.py`` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .allocation import allocate_fill_targets
from .classify import INTERMITTENT, LUMPY
from .fill_rate import (
    discrete_reorder_point,
    discrete_reorder_point_search,
    inverse_normal_loss,
    mixed_fill_rate_point,
    negative_binomial_parameters,
    normal_fill_rate_factor,
    normal_loss,
)

__all__ = [
    "compute_policy",
    "discrete_reorder_point",
    "inverse_normal_loss",
    "negative_binomial_parameters",
    "normal_loss",
    "service_targets",
]

CYCLE = "cycle"
FILL_RATE = "fill_rate"
NORMAL = "normal"
NEGATIVE_BINOMIAL = "negative_binomial"
POISSON = "poisson"
DAYS_PER_WEEK = 7.0
WEEKS_PER_YEAR = 52.0


def lead_time_demand(
    forecast_weekly: np.ndarray,
    forecast_sd_weekly: np.ndarray,
    lead_time_days: np.ndarray,
    lead_time_sd_days: np.ndarray,
    review_days: float | np.ndarray = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of demand over the protection interval L + R with a random lead time.

    mean = d * (L + R), sd = sqrt((L + R) * sd_d^2 + d^2 * sd_L^2)  (Silver-Pyke-Thomas eq. 6.14-6.15)
    with d = weekly forecast / 7 and sd_d = weekly forecast sd / sqrt(7) (independent days), L and sd_L in days.
    The review period R is known, so only L carries variability.
    """
    daily_demand = np.asarray(forecast_weekly, dtype=np.float64) / DAYS_PER_WEEK
    daily_sd = np.asarray(forecast_sd_weekly, dtype=np.float64) / np.sqrt(DAYS_PER_WEEK)
    protection = np.asarray(lead_time_days, dtype=np.float64) + np.asarray(review_days, dtype=np.float64)
    lead_time_sd = np.asarray(lead_time_sd_days, dtype=np.float64)
    mean = daily_demand * protection
    sd = np.sqrt(protection * daily_sd**2 + daily_demand**2 * lead_time_sd**2)
    return mean, sd


def horizon_demand(horizon_weekly: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Expected demand over the next ``days`` days from weekly forecasts (n, H): the sum of the daily forecast
    (each week's forecast spread evenly over its 7 days), so a seasonal forecast is summed over the protection
    interval instead of multiplying one period's rate by its length. Beyond the H forecast weeks the last week's
    rate continues. Row-wise: sum_{w < floor(D/7)} f_w + (D/7 - floor(D/7)) f_floor(D/7), D = days.
    """
    horizon = np.maximum(np.nan_to_num(np.asarray(horizon_weekly, dtype=np.float64)), 0.0)
    n_series, n_weeks = horizon.shape
    weeks = np.maximum(np.nan_to_num(np.asarray(days, dtype=np.float64)), 0.0) / DAYS_PER_WEEK
    if n_weeks == 0:
        return np.zeros(n_series)
    cumulative = np.concatenate([np.zeros((n_series, 1)), np.cumsum(horizon, axis=1)], axis=1)
    whole = np.minimum(np.floor(weeks).astype(np.int64), n_weeks)
    rows = np.arange(n_series)
    total = cumulative[rows, whole]
    within = whole < n_weeks
    partial_rate = np.where(within, horizon[rows, np.minimum(whole, n_weeks - 1)], horizon[:, -1])
    beyond = np.where(within, weeks - whole, weeks - n_weeks)  # fraction of a week, or the weeks past H
    return total + beyond * partial_rate


def economic_order_quantity(
    annual_demand: np.ndarray, ordering_cost: np.ndarray, holding_rate: np.ndarray, unit_cost: np.ndarray
) -> np.ndarray:
    """EOQ = sqrt(2 * D * A / (r * v)) (Harris 1913; Silver-Pyke-Thomas eq. 4.3). NaN where r * v <= 0."""
    holding = np.asarray(holding_rate, dtype=np.float64) * np.asarray(unit_cost, dtype=np.float64)
    numerator = (
        2.0 * np.asarray(annual_demand, dtype=np.float64) * np.asarray(ordering_cost, dtype=np.float64)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        eoq = np.sqrt(np.maximum(numerator, 0.0) / holding)
    return np.where(np.isfinite(eoq) & (holding > 0), eoq, np.nan)


def round_up_to_pack(quantity: np.ndarray, pack_size: np.ndarray) -> np.ndarray:
    pack = np.where(np.asarray(pack_size, dtype=np.float64) > 0, pack_size, 1.0)
    return np.ceil(np.asarray(quantity, dtype=np.float64) / pack - 1e-9) * pack


def round_down_to_pack(quantity: np.ndarray, pack_size: np.ndarray) -> np.ndarray:
    pack = np.where(np.asarray(pack_size, dtype=np.float64) > 0, pack_size, 1.0)
    return np.floor(np.asarray(quantity, dtype=np.float64) / pack + 1e-9) * pack


def bound_order_quantity(
    quantity: np.ndarray, moq: np.ndarray, pack_size: np.ndarray, capacity_room: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bound below by the MOQ, round up to the pack size, cap by the storage room (rounded down to a pack).

    ``capacity_room`` is capacity - position (NaN or +inf when there is no capacity limit). A zero quantity
    stays zero (no demand, no order). Returns (quantity, capacity_limited flag).
    """
    quantity = np.asarray(quantity, dtype=np.float64)
    wanted = round_up_to_pack(
        np.maximum(quantity, np.nan_to_num(np.asarray(moq, dtype=np.float64))), pack_size
    )
    wanted = np.where(quantity > 0, wanted, 0.0)
    room = np.asarray(capacity_room, dtype=np.float64)
    room = np.where(np.isnan(room), np.inf, room)
    room = np.where(np.isfinite(room), round_down_to_pack(np.maximum(room, 0.0), pack_size), np.inf)
    limited = wanted > room
    return np.where(limited, room, wanted), limited


def discrete_stockout_probability(position: np.ndarray, mean: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """P(X > position) for negative binomial / Poisson X fitted by moments; 1 when position < 0."""
    position = np.asarray(position, dtype=np.float64)
    r, p, is_poisson = negative_binomial_parameters(mean, variance)
    level = np.floor(np.maximum(position, 0.0))
    level, mean, r, p, is_poisson = np.broadcast_arrays(
        level, np.asarray(mean, dtype=np.float64), r, p, is_poisson
    )
    tail = np.empty(level.shape)
    poisson, negative_binomial = is_poisson, ~is_poisson  # each row's own family only
    with np.errstate(invalid="ignore", divide="ignore"):
        tail[poisson] = stats.poisson.sf(level[poisson], np.maximum(mean[poisson], 0.0))
        tail[negative_binomial] = stats.nbinom.sf(
            level[negative_binomial], r[negative_binomial], p[negative_binomial]
        )
    return np.where(position < 0, 1.0, np.nan_to_num(tail))


def normal_stockout_probability(position: np.ndarray, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """P(X > position) for normal X; a degenerate X (sd = 0) is certain: 1 when mean > position, else 0."""
    position = np.asarray(position, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(sd, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        tail = stats.norm.sf((position - mean) / sd)
    return np.where(sd > 0, tail, (mean > position).astype(np.float64))


def service_targets(
    abc: pd.Series,
    xyz: pd.Series,
    policy_table: pd.DataFrame,
    *,
    override: pd.Series | None = None,
    override_type: pd.Series | None = None,
    default_type: str = CYCLE,
    default_target: float = 0.95,
) -> pd.DataFrame:
    """Service target per series from a policy table (abc, xyz, target_type, target) joined on abc/xyz.

    A per-series ``override`` (NaN = none) wins over the table's target and ``override_type`` over its type.
    Combinations missing from the table get (default_type, default_target) and flag_no_policy_match.
    Targets are clipped into [0.5, 0.9999]; an unknown target_type falls back to "cycle".
    Returns columns target_type, service_target, flag_no_policy_match.
    """
    keys = pd.DataFrame({"abc": np.asarray(abc).astype(str), "xyz": np.asarray(xyz).astype(str)})
    table = policy_table.loc[:, ["abc", "xyz", "target_type", "target"]].copy()
    table["abc"] = table["abc"].astype(str)
    table["xyz"] = table["xyz"].astype(str)
    joined = keys.merge(table.drop_duplicates(["abc", "xyz"], keep="last"), on=["abc", "xyz"], how="left")
    target = pd.to_numeric(joined["target"], errors="coerce").to_numpy(dtype=np.float64)
    target_type = joined["target_type"].astype(object).to_numpy()
    no_match = np.isnan(target)
    if override is not None:
        override_values = pd.to_numeric(pd.Series(override), errors="coerce").to_numpy(dtype=np.float64)
        target = np.where(np.isfinite(override_values), override_values, target)
    if override_type is not None:
        override_types = pd.Series(override_type).astype(object).to_numpy()
        target_type = np.where(pd.isna(override_types), target_type, override_types)
    target_type = np.where(pd.isna(target_type), default_type, target_type)
    target_type = np.where(np.isin(target_type, [CYCLE, FILL_RATE]), target_type, CYCLE)
    target = np.where(np.isfinite(target), target, default_target)
    return pd.DataFrame(
        {
            "target_type": target_type.astype(str),
            "service_target": np.clip(target, 0.5, 0.9999),
            "flag_no_policy_match": no_match,
        }
    )


@dataclass(frozen=True)
class PolicySettings:
    review_days: float = 0.0  # R: protection interval is L + R
    slow_mover_mean_threshold: float = 10.0  # mean lead-time demand below this: negative binomial, not normal
    discrete_max_mean: float = 500.0  # above this mean the normal is used even for intermittent classes
    fallback_cover_weeks: float = 4.0  # order quantity when the EOQ is undefined (zero/NaN cost)
    # The EOQ kept between these weeks of supply (of the weekly forecast), as buyers bound lot sizes: the EOQ's
    # cost curve is flat near its optimum (Silver-Pyke-Thomas 4.5), while a slow mover's EOQ at a fixed ordering
    # cost per line can be a year of supply (obsolescence, cash) and a cheap fast mover's a day or two. NaN: none.
    min_cover_weeks: float = 1.0
    max_cover_weeks: float = 13.0
    # floor for k under the normal: a fill-rate target on a large order quantity can ask for a negative k (the
    # order quantity alone gives most of the fill), as the discrete rows already may; 0 would over-serve those
    min_safety_factor: float = -2.0
    review_undershoot: bool = True  # cover the undershoot of s at a review (see compute_policy)
    discrete_undershoot_shift: bool = True  # slow movers too (their lumps)
    # the exact fill-rate condition n(s) - n(s + Q) <= Q (1 - beta) (fill_rate.py); False: n(s) <= Q (1 - beta),
    # which over-serves when Q is small against the spread of the lead-time demand
    exact_fill_rate: bool = True
    # a discrete fill-rate reorder point is s or s - 1 by the series' fixed draw (``rounding_draw`` column), so that
    # the expected fill meets the target rather than the next whole unit's (fill_rate.mixed_fill_rate_point)
    mixed_rounding: bool = True
    # fill-rate targets of the normal rows allocated within each ``allocation_group`` (the plan's calibration
    # group) at least inventory cost for the group's demand-weighted target, none more than
    # ``allocation_floor_points`` below its own (allocation.py); False: every row at its own target. Measured with
    # the policy simulator (20,000 x 5, scenario seeds 1, 3, 7 x two simulation seeds): 4.7-5.4 points more
    # inventory reduction against static min-max in every run, at the same fill.
    allocate_targets: bool = True
    allocation_floor_points: float = 0.10


def compute_policy(frame: pd.DataFrame, settings: PolicySettings | None = None) -> pd.DataFrame:
    """Reorder point, safety stock, order quantity and stockout probability per series.

    ``frame`` columns: forecast_weekly, forecast_sd_weekly, demand_class, lead_time_days, lead_time_sd_days,
    target_type, service_target, unit_cost, ordering_cost, holding_rate, moq, pack_size, capacity (NaN = none),
    inventory_position, and optionally static_min, static_max, flag_no_history, and the expected demand over the
    protection interval L + R and over L from a (seasonal) forecast path, ``protection_demand_mean`` and
    ``lead_demand_mean`` (``horizon_demand``); without them the mean is d x (L + R) as in ``lead_time_demand``.
    The sd keeps the form sqrt((L + R) sd_d^2 + dbar^2 sd_L^2) with dbar = mean / (L + R), the interval's mean
    daily demand; optional ``protection_error_growth`` / ``lead_error_growth`` (R >= 1, clipped there) scale sd_d
    for the growth of the forecast error with the horizon (``forecast.horizon_error_growth``).
    """
    settings = settings or PolicySettings()

    def column(name: str, default: float = np.nan) -> np.ndarray:
        if name not in frame:
            return np.full(len(frame), default)
        return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

    weekly = np.maximum(np.nan_to_num(column("forecast_weekly")), 0.0)
    weekly_sd = np.maximum(np.nan_to_num(column("forecast_sd_weekly")), 0.0)
    lead_time = np.maximum(np.nan_to_num(column("lead_time_days")), 0.0)
    lead_time_sd = np.maximum(np.nan_to_num(column("lead_time_sd_days")), 0.0)
    position = np.nan_to_num(column("inventory_position"))
    unit_cost = column("unit_cost")
    pack = column("pack_size")
    pack = np.where(np.isfinite(pack) & (pack > 0), pack, 1.0)
    moq = np.maximum(np.nan_to_num(column("moq")), 0.0)
    fill = frame["target_type"].astype(str).to_numpy() == FILL_RATE
    target = np.clip(np.nan_to_num(column("service_target"), nan=0.95), 0.5, 0.9999)

    protection_mean, protection_sd = lead_time_demand(
        weekly, weekly_sd, lead_time, lead_time_sd, settings.review_days
    )
    lead_mean, lead_sd = lead_time_demand(weekly, weekly_sd, lead_time, lead_time_sd, 0.0)
    protection_days = lead_time + settings.review_days
    daily_sd = weekly_sd / np.sqrt(DAYS_PER_WEEK)
    protection_growth = np.clip(np.nan_to_num(column("protection_error_growth", 1.0), nan=1.0), 1.0, None)
    lead_growth = np.clip(np.nan_to_num(column("lead_error_growth", 1.0), nan=1.0), 1.0, None)
    if "protection_demand_mean" in frame or "protection_error_growth" in frame:
        given = column("protection_demand_mean")
        protection_mean = np.where(np.isfinite(given), np.maximum(given, 0.0), protection_mean)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(protection_days > 0, protection_mean / protection_days, weekly / DAYS_PER_WEEK)
        protection_sd = np.sqrt(
            protection_days * (protection_growth * daily_sd) ** 2 + rate**2 * lead_time_sd**2
        )
    if "lead_demand_mean" in frame or "lead_error_growth" in frame:
        given = column("lead_demand_mean")
        lead_mean = np.where(np.isfinite(given), np.maximum(given, 0.0), lead_mean)
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(lead_time > 0, lead_mean / lead_time, weekly / DAYS_PER_WEEK)
        lead_sd = np.sqrt(lead_time * (lead_growth * daily_sd) ** 2 + rate**2 * lead_time_sd**2)

    # order quantity: EOQ, explicit fallback to weeks of cover when the cost makes it undefined
    holding_rate = column("holding_rate")
    zero_cost = ~(np.isfinite(unit_cost) & (unit_cost > 0))
    bad_holding = ~(np.isfinite(holding_rate) & (holding_rate > 0))
    ordering_cost = column("ordering_cost")
    bad_ordering = ~(np.isfinite(ordering_cost) & (ordering_cost >= 0))
    eoq = economic_order_quantity(weekly * WEEKS_PER_YEAR, ordering_cost, holding_rate, unit_cost)
    eoq_undefined = zero_cost | bad_holding | bad_ordering | np.isnan(eoq)
    lower_cover = np.nan_to_num(settings.min_cover_weeks, nan=0.0) * weekly
    upper_cover = np.nan_to_num(settings.max_cover_weeks, nan=np.inf) * weekly
    eoq = np.where(np.isnan(eoq), eoq, np.clip(eoq, lower_cover, np.maximum(upper_cover, lower_cover)))
    base_quantity = np.where(eoq_undefined, settings.fallback_cover_weeks * weekly, eoq)
    base_quantity = np.where(weekly > 0, base_quantity, 0.0)
    order_quantity, capacity_limited = bound_order_quantity(
        base_quantity, moq, pack, column("capacity") - position
    )

    # distribution: negative binomial / Poisson for slow movers, normal otherwise
    labels = (
        frame["demand_class"].astype(str).to_numpy() if "demand_class" in frame else np.full(len(frame), "")
    )
    slow = (protection_mean < settings.slow_mover_mean_threshold) | np.isin(labels, [INTERMITTENT, LUMPY])
    discrete = slow & (protection_mean <= settings.discrete_max_mean)

    # Demand per replenishment cycle of an (s, S) policy reviewed each period: S - s plus the expected undershoot
    # of s when the reorder is triggered, E[U] ~ (E[X^2] / E[X] - 1) / 2 for demand occurrences of size X
    # (renewal approximation, Silver-Pyke-Thomas 7.5 / Hadley-Whitin): with lumpy demand a cycle sees much more
    # than Q, so the shortage a fill-rate target allows per cycle is (Q + E[U]) (1 - beta), not Q (1 - beta).
    # E[X^2] / E[X] = mean size x (1 + CV2 of the sizes). Without ``demand_size_mean``: Q alone.
    size_mean = np.nan_to_num(column("demand_size_mean", 1.0), nan=1.0)
    size_cv2 = np.nan_to_num(column("demand_size_cv2", 0.0), nan=0.0)
    undershoot = np.maximum((np.maximum(size_mean, 1.0) * (1.0 + np.maximum(size_cv2, 0.0)) - 1.0) / 2.0, 0.0)
    # Every series is reviewed once per review period (at least daily): the position crosses s by a period's
    # demand D, so E[U] ~ (E[D^2] / E[D] - 1) / 2 with E[D^2] / E[D] = var(D) / E[D] + E[D]; the weekly index of
    # dispersion stands for the period's (independent days). A fast mover ordered in large lines undershoots by
    # tens of units, a real share of its safety stock.
    period_days = max(float(settings.review_days), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dispersion = np.where(weekly > 0, weekly_sd**2 / weekly, 0.0)
    period_undershoot = np.maximum((dispersion + weekly * period_days / DAYS_PER_WEEK - 1.0) / 2.0, 0.0)
    if settings.review_undershoot:
        undershoot = np.where(
            discrete, undershoot, np.maximum(undershoot, np.where(weekly > 0, period_undershoot, 0.0))
        )
    cycle_demand = np.where(order_quantity > 0, order_quantity + undershoot, order_quantity)
    # The order is placed at s - U, so the lead-time demand the reorder point must cover is X + U (Silver-Pyke-
    # Thomas 7.5): its mean grows by E[U] and its variance by var(U) ~ E[U]^2 / 3 (U spread over [0, 2 E[U]]).
    # Slow movers (the discrete rows below) keep the size-based undershoot in the cycle demand only: measured with
    # the policy simulator, shifting their reorder point too over-served B and C items by 2-4 points.
    cover_mean, cover_sd = protection_mean, protection_sd
    if settings.review_undershoot:
        shift = discrete & ~settings.discrete_undershoot_shift
        cover_mean = np.where(shift, protection_mean, protection_mean + undershoot)
        cover_sd = np.where(shift, protection_sd, np.sqrt(protection_sd**2 + undershoot**2 / 3.0))
    variance = cover_sd**2
    _, _, is_poisson = negative_binomial_parameters(cover_mean, variance)

    # normal: cycle k = z_alpha; fill rate G(k) - G(k + q / sd) = q (1 - beta) / sd with q = Q + E[U] the demand
    # per cycle (Silver-Pyke-Thomas eq. 6.23 with Hadley-Whitin's second term; without it when not exact)
    with np.errstate(invalid="ignore", divide="ignore"):
        cycle_over_sd = np.where(cover_sd > 0, cycle_demand / cover_sd, np.inf)
    k_cycle = stats.norm.ppf(target)
    finite = np.isfinite(cycle_over_sd)
    allocation_price = np.full(len(frame), np.nan)  # log lambda of the row's group, where allocated
    if settings.allocate_targets and "allocation_group" in frame:
        holding = unit_cost * holding_rate
        eligible = fill & (order_quantity > 0) & ~discrete & finite & (cover_sd > 0) & (weekly > 0)
        eligible &= np.isfinite(holding) & (holding > 0)
        if eligible.any():
            target = target.copy()
            target[eligible], allocation_price[eligible] = allocate_fill_targets(
                frame["allocation_group"].to_numpy()[eligible],
                target[eligible],
                weekly[eligible],
                holding[eligible],
                cycle_demand[eligible],
                cycle_over_sd[eligible],
                min_safety_factor=settings.min_safety_factor,
                floor_points=settings.allocation_floor_points,
                log_price=column("allocation_log_price")[eligible],
            )
    if settings.exact_fill_rate:
        k_fill = normal_fill_rate_factor(np.where(finite, cycle_over_sd, 1.0), target)
    else:
        k_fill = inverse_normal_loss(np.where(finite, cycle_over_sd * (1.0 - target), 1.0))
    k = np.where(fill & (order_quantity > 0), k_fill, k_cycle)
    k = np.maximum(k, settings.min_safety_factor)
    reorder_point = cover_mean + np.where(cover_sd > 0, k * cover_sd, 0.0)
    # safety stock: the reorder point above the mean lead-time demand (so it includes the undershoot allowance)
    safety_stock = reorder_point - protection_mean

    discrete_rows = np.flatnonzero(discrete)
    if discrete_rows.size:
        search = discrete_reorder_point_search(
            cover_mean[discrete_rows],
            variance[discrete_rows],
            fill_rate=fill[discrete_rows],
            target=target[discrete_rows],
            order_quantity=cycle_demand[discrete_rows],
            exact=settings.exact_fill_rate,
        )
        discrete_rop, resolved = search.reorder_point, search.resolved
        discrete[discrete_rows[~resolved]] = False  # beyond the capped support: keep the normal figure
        chosen = discrete_rows[resolved]
        draw = column("rounding_draw")
        mixed = np.isfinite(draw[discrete_rows]) & fill[discrete_rows] & (cycle_demand[discrete_rows] > 0)
        mixed &= resolved & settings.mixed_rounding & settings.exact_fill_rate
        if mixed.any():
            rows = discrete_rows[mixed]
            discrete_rop[mixed] = mixed_fill_rate_point(
                discrete_rop[mixed],
                cover_mean[rows],
                variance[rows],
                cycle_demand[rows],
                target[rows],
                draw[rows],
                shortage_at=search.shortage_at[mixed],  # the search's, not evaluated again
                shortage_below=search.shortage_below[mixed],
            )
        reorder_point[chosen] = discrete_rop[resolved]
        safety_stock[chosen] = discrete_rop[resolved] - protection_mean[chosen]  # may be negative
        # the implied safety factor, for display: SS / sd
        k[chosen] = np.where(
            protection_sd[chosen] > 0, safety_stock[chosen] / np.maximum(protection_sd[chosen], 1e-12), 0.0
        )

    # stockout within the lead time (L only) under the same distribution family
    stockout = normal_stockout_probability(position, lead_mean, lead_sd)
    if discrete.any():
        stockout[discrete] = discrete_stockout_probability(
            position[discrete], lead_mean[discrete], lead_sd[discrete] ** 2
        )

    order_up_to = reorder_point + order_quantity
    # no history: fall back to the ERP's static min/max when given (explicit, flagged)
    no_history = (
        frame["flag_no_history"].to_numpy(dtype=bool)
        if "flag_no_history" in frame
        else np.zeros(len(frame), bool)
    )
    static_min, static_max = column("static_min"), column("static_max")
    use_static = no_history & np.isfinite(static_min) & (static_min >= 0)
    static_max = np.where(np.isfinite(static_max) & (static_max >= static_min), static_max, static_min)
    reorder_point = np.where(use_static, static_min, reorder_point)
    order_up_to = np.where(use_static, static_max, order_up_to)
    order_quantity = np.where(use_static, order_up_to - reorder_point, order_quantity)
    safety_stock = np.where(use_static, 0.0, safety_stock)

    distribution = np.where(discrete, np.where(is_poisson, POISSON, NEGATIVE_BINOMIAL), NORMAL)
    return pd.DataFrame(
        {
            "lead_time_demand_mean": protection_mean,
            "lead_time_demand_sd": protection_sd,
            "lead_time_demand_distribution": distribution,
            "safety_factor": k,
            "undershoot": undershoot,  # E[U], the expected undershoot of s at a review (explain recomputes from it)
            "safety_stock": safety_stock,
            "reorder_point": reorder_point,
            "eoq": base_quantity,  # the weeks-of-cover fallback where flag_eoq_fallback
            "order_quantity": order_quantity,
            "order_up_to": order_up_to,
            "stockout_probability": np.clip(stockout, 0.0, 1.0),
            "allocated_target": target,
            "allocation_log_price": allocation_price,
            "flag_zero_cost": zero_cost,
            "flag_eoq_fallback": eoq_undefined & (weekly > 0),
            "flag_capacity_limited": capacity_limited,
            "flag_static_min_max_used": use_static,
        },
        index=frame.index,
    )
