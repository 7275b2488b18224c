"""Priority is money: the value at stake of acting now, and every part of it (pure numpy; no Django).

For one exception (DESIGN.md, "Priority is money"):

    value = max(lost_margin + revenue_at_risk + tier_penalties - action_cost, 0) x feasibility + working_capital

- lost_margin = expected short units x unit margin. Expected short units over the lead time come from the normal
  loss function: E[(X - IP)^+] = sd x G((IP - mean) / sd), G(k) = phi(k) - k (1 - Phi(k)) (Silver, Pyke & Thomas
  1998, eq. 6.3 / B.7), with lead-time demand mean = d L and sd = sqrt(L sd_d^2 + d^2 sd_L^2) (eq. 6.14-6.15).
- revenue_at_risk = revenue of open customer order lines at risk (unallocated, due within the lead time or
  backordered), weighted by the probability that they are not served (the plan's stockout probability);
  for a master-data fault, the revenue flowing through the faulty record over one lead time.
- tier_penalties = service-tier penalties of those lines (per late line + share of the line's value), same weight.
- action_cost = the cost of the recommended action: expedite fee (flat + share of the line's value), transfer
  freight (flat + share of the goods' value); a purchase order at its normal cost has no extra cost.
- feasibility = P(the action arrives before the projected stockout) = Phi((days to stockout - arrival) / sd) with the
  lead-time sd of the plan (1 when nothing runs out within the horizon or there is no action).
- working_capital (excess only) = the capital acting keeps free: min(excess units, the PO line deferred or cancelled)
  x unit cost; with no action to take, the carrying cost of the excess for a year (excess x cost x holding rate).

Parts are rounded to cents first and the value is computed from the rounded parts, so the parts shown always add up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from scipy import stats

CENT = Decimal("0.01")
DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class ScoringSettings:
    expedite_fee_flat: float = 75.0  # booking an expedited shipment (premium freight, supplier surcharge)
    expedite_fee_rate: float = 0.04  # share of the expedited line's value
    transfer_freight_flat: float = 40.0  # one inter-warehouse shipment
    transfer_freight_rate: float = 0.03  # share of the transferred goods' value
    excess_weeks: float = (
        8.0  # excess: position above order-up-to + this many weeks of demand (as the engine)
    )
    holding_rate: float = (
        0.25  # annual carrying cost of stock, share of its value (capital, space, obsolescence)
    )
    min_arrival_sd_days: float = 1.0  # an arrival date is never known to better than a day


DEFAULT_SETTINGS = ScoringSettings()


def normal_loss(k: np.ndarray | float) -> np.ndarray:
    """Standard normal loss G(k) = E[(Z - k)^+] = phi(k) - k (1 - Phi(k))."""
    k = np.asarray(k, dtype=np.float64)
    return stats.norm.pdf(k) - k * stats.norm.sf(k)


def lead_time_demand(forecast_weekly, forecast_sd_weekly, lead_time_days, lead_time_sd_days):
    """Mean and sd of demand over a random lead time: d L and sqrt(L sd_d^2 + d^2 sd_L^2), per day units."""
    daily = np.maximum(np.nan_to_num(np.asarray(forecast_weekly, dtype=np.float64)), 0.0) / DAYS_PER_WEEK
    daily_sd = np.maximum(np.nan_to_num(np.asarray(forecast_sd_weekly, dtype=np.float64)), 0.0) / np.sqrt(
        DAYS_PER_WEEK
    )
    lead = np.maximum(np.nan_to_num(np.asarray(lead_time_days, dtype=np.float64)), 0.0)
    lead_sd = np.maximum(np.nan_to_num(np.asarray(lead_time_sd_days, dtype=np.float64)), 0.0)
    return daily * lead, np.sqrt(lead * daily_sd**2 + daily**2 * lead_sd**2)


def expected_shortage(position, mean, sd) -> np.ndarray:
    """E[(X - position)^+] for X ~ Normal(mean, sd); a degenerate X (sd = 0) gives max(mean - position, 0)."""
    position = np.asarray(position, dtype=np.float64)
    mean = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(sd, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = sd * normal_loss((position - mean) / np.where(sd > 0, sd, 1.0))
    return np.where(sd > 0, loss, np.maximum(mean - position, 0.0))


def arrival_feasibility(
    days_to_stockout, arrival_days, arrival_sd_days, *, min_sd: float = 1.0
) -> np.ndarray:
    """P(arrival <= stockout) for a normal arrival time; 1 where no stockout is projected (NaN days)."""
    days_to_stockout = np.asarray(days_to_stockout, dtype=np.float64)
    arrival = np.asarray(arrival_days, dtype=np.float64)
    sd = np.maximum(np.nan_to_num(np.asarray(arrival_sd_days, dtype=np.float64)), min_sd)
    probability = stats.norm.cdf((days_to_stockout - arrival) / sd)
    return np.where(np.isfinite(days_to_stockout) & np.isfinite(arrival), probability, 1.0)


def _finite(value, default: float = 0.0) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return default
    return value if math.isfinite(value) else default


def money(value: float) -> Decimal:
    return Decimal(repr(_finite(value))).quantize(CENT, rounding=ROUND_HALF_UP)


def value_parts(
    *,
    expected_short_units: float,
    unit_margin: float,
    revenue_at_risk: float,
    tier_penalties: float,
    action_cost: float,
    feasibility: float,
    working_capital: float = 0.0,
    lost_margin: float | None = None,
    basis: dict | None = None,
) -> tuple[Decimal, dict]:
    """The value at stake and its parts (JSON-ready: money as strings of cents, units and probabilities as floats)."""
    short = _finite(expected_short_units)
    margin = _finite(unit_margin)
    lost = money(short * margin if lost_margin is None else lost_margin)
    revenue = money(revenue_at_risk)
    penalties = money(tier_penalties)
    cost = money(action_cost)
    capital = money(working_capital)
    feasible = Decimal(repr(round(min(max(_finite(feasibility, 1.0), 0.0), 1.0), 4)))
    net = lost + revenue + penalties - cost
    value = (max(net, Decimal(0)) * feasible + capital).quantize(CENT, rounding=ROUND_HALF_UP)
    parts = {
        "expected_short_units": round(short, 3),
        "unit_margin": str(money(margin)),
        "lost_margin": str(lost),
        "revenue_at_risk": str(revenue),
        "tier_penalties": str(penalties),
        "action_cost": str(cost),
        "net": str(net),
        "feasibility": float(feasible),
        "working_capital": str(capital),
        "value": str(value),
        "basis": basis or {},
    }
    return value, parts


def value_from_parts(parts: dict) -> Decimal:
    """Recompute the value from stored parts (what the detail view and the tests check)."""
    net = sum(Decimal(parts[k]) for k in ("lost_margin", "revenue_at_risk", "tier_penalties")) - Decimal(
        parts["action_cost"]
    )
    feasible = Decimal(repr(float(parts["feasibility"])))
    return (max(net, Decimal(0)) * feasible + Decimal(parts["working_capital"])).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


# --- confidence -----------------------------------------------------------------------------------------------------

LEAD_TIME_SOURCE_QUALITY = {"supplier_item": 1.0, "supplier": 0.9, "contracted": 0.75, "default": 0.5}
BENIGN_FLAGS = frozenset(
    {"capacity_limited", "eoq_fallback", "static_min_max_used", "supplied_from_hub", "pooled_hub"}
)  # choices, not data faults
ACCEPTANCE_WEIGHT = 0.3


def clean_flag(name: str) -> str:
    return str(name).removeprefix("flag_")


def forecast_quality(mase) -> np.ndarray:
    """1 for MASE <= 0.5 (clearly better than the naive forecast), decaying beyond; 0.5 when never backtested."""
    mase = np.asarray(mase, dtype=np.float64)
    return np.where(np.isfinite(mase), np.exp(-0.5 * np.maximum(mase - 0.5, 0.0)), 0.5)


def data_quality(flags: list[list[str]]) -> np.ndarray:
    counts = np.array(
        [sum(1 for f in (row or []) if clean_flag(f) not in BENIGN_FLAGS) for row in flags], dtype=float
    )
    return 0.85**counts


def lead_time_quality(source, unstable) -> np.ndarray:
    quality = np.array([LEAD_TIME_SOURCE_QUALITY.get(str(s), 0.7) for s in source], dtype=float)
    return quality * np.where(np.asarray(unstable, dtype=bool), 0.8, 1.0)


def confidence(*, mase, flags, lead_time_source, lead_time_unstable, acceptance) -> tuple[np.ndarray, dict]:
    """Confidence in [0, 1]: data confidence (forecast x data-quality x lead-time) blended with P(accept)."""
    fq = forecast_quality(mase)
    dq = data_quality(flags)
    lq = lead_time_quality(lead_time_source, lead_time_unstable)
    accept = np.clip(np.nan_to_num(np.asarray(acceptance, dtype=np.float64), nan=0.5), 0.0, 1.0)
    data = fq * dq * lq
    total = np.round((1 - ACCEPTANCE_WEIGHT) * data + ACCEPTANCE_WEIGHT * accept, 3)
    return total, {"forecast": fq, "data_quality": dq, "lead_time": lq, "acceptance": accept}
