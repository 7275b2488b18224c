"""The value at stake of acting now: one formula, in one unit of money (pure numpy; no Django).

DESIGN.md, "Priority is money, in one unit". Every exception, task and recommendation is valued here: the
detectors and the refresh (exceptions), the queue and the drawer's waterfall (which read the stored parts), the API,
the simulator and the acceptance model. The value is the expected money that acting changes over a stated
decision horizon H = lead time + review period:

    benefit = lost_margin + order_exposure + tier_penalties + holding_cost
    value   = max(benefit x feasibility - action_cost, 0)

- shortage side. Expected short units over H from the normal loss function (Silver, Pyke & Thomas 2017, eq. 6.3 /
  6.14-6.15: E[(X - IP)^+] = sd G((IP - mean) / sd), mean = d (L + R), sd = sqrt((L + R) sd_d^2 + d^2 sd_L^2); the
  engine's `lead_time_demand` and `normal_loss`). Units that named customer order lines will miss are valued at
  each line's own margin (`order_exposure`) plus their contractual service-tier penalties (`tier_penalties`); the
  rest of the expected short units at the item's unit margin (`lost_margin`). Each unit is counted once, and at its
  margin: revenue is never added on top of margin.
- excess side. The holding cost of the excess over the weeks it would take to sell: capital x yearly holding rate x
  weeks of cover / 52, capped by the obsolescence write-down at risk (capital x `obsolescence_share`). The capital
  itself is never the value; it is returned beside it as a fact. An action that stops inbound avoids the holding
  cost of the units it stops: all of their cover for a cancellation, the days moved for a deferral.
- the action's own cost: the ordering cost of a new PO line, expedite freight, transfer freight. It is paid whether
  or not the action lands in time; the benefit only counts with the probability that it does (`feasibility`).

`compose` returns every part in cents so that the parts add up exactly: lost_margin + order_exposure +
tier_penalties + holding_cost + feasibility_adjustment - action_cost + floor = value, where feasibility_adjustment =
benefit x feasibility - benefit (<= 0) and floor lifts a negative net to zero (an action worth less than it costs).

`action_spend` is what a decided action spends (quantity x unit cost, plus freight): the amount approval tiers
compare, recomputed from the values actually decided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from scipy import stats

from .policy import lead_time_demand, normal_loss

DAYS_PER_WEEK = 7.0
WEEKS_PER_YEAR = 52.0
DAYS_PER_YEAR = 365.0
CENT = Decimal("0.01")

PURCHASE_ORDER = "purchase_order"
EXPEDITE = "expedite"
TRANSFER = "transfer"
DEFER = "defer"
CANCEL = "cancel"
SUPPLY_ACTIONS = (EXPEDITE, TRANSFER, PURCHASE_ORDER)
EXCESS_ACTIONS = (DEFER, CANCEL)

# The parts of the value, in waterfall order; they add up to "value".
BENEFIT_PARTS = ("lost_margin", "order_exposure", "tier_penalties", "holding_cost")
PARTS = (*BENEFIT_PARTS, "feasibility_adjustment", "action_cost", "floor")


@dataclass(frozen=True)
class ValueSettings:
    holding_rate: float = 0.25  # yearly carrying cost, share of the stock's value (DISTOPS_HOLDING_RATE)
    ordering_cost: float = 25.0  # placing one PO line (DISTOPS_ORDERING_COST)
    review_days: float = 1.0  # the review period R of the decision horizon L + R (the plan is reviewed daily)
    obsolescence_share: float = 0.5  # write-down at risk on excess stock: caps its holding cost
    expedite_fee_flat: float = 75.0  # booking an expedited shipment (premium freight, supplier surcharge)
    expedite_fee_rate: float = 0.04  # share of the expedited line's value
    transfer_freight_flat: float = 40.0  # one inter-warehouse shipment
    transfer_freight_rate: float = 0.03  # share of the transferred goods' value
    excess_weeks: float = (
        8.0  # excess: position above order-up-to + this many weeks of demand (as the engine)
    )
    min_arrival_sd_days: float = 1.0  # an arrival date is never known to better than a day


DEFAULT_SETTINGS = ValueSettings()


def _array(value, default: float = 0.0) -> np.ndarray:
    return np.nan_to_num(np.asarray(value, dtype=np.float64), nan=default, posinf=default, neginf=default)


# --- shortage side -----------------------------------------------------------------------------------------------


def decision_horizon_days(lead_time_days, settings: ValueSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """H = lead time + review period, in days: how far ahead acting now changes the outcome."""
    return np.maximum(_array(lead_time_days), 0.0) + settings.review_days


def horizon_demand(
    forecast_weekly,
    forecast_sd_weekly,
    lead_time_days,
    lead_time_sd_days,
    settings: ValueSettings = DEFAULT_SETTINGS,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of demand over the decision horizon (the engine's lead_time_demand over L + R)."""
    return lead_time_demand(
        np.maximum(_array(forecast_weekly), 0.0),
        np.maximum(_array(forecast_sd_weekly), 0.0),
        np.maximum(_array(lead_time_days), 0.0),
        np.maximum(_array(lead_time_sd_days), 0.0),
        settings.review_days,
    )


def expected_short_units(position, mean, sd) -> np.ndarray:
    """E[(X - position)^+] for X ~ Normal(mean, sd): sd G((position - mean) / sd); max(mean - position, 0) at sd 0."""
    position, mean, sd = _array(position), _array(mean), _array(sd)
    safe = np.where(sd > 0, sd, 1.0)
    return np.where(sd > 0, sd * normal_loss((position - mean) / safe), np.maximum(mean - position, 0.0))


def shortage_parts(
    *, short_units, unit_margin, named_short_units=0.0, named_margin=0.0, named_penalties=0.0
) -> dict[str, np.ndarray]:
    """Split the expected short units between named order lines and anonymous demand, each unit counted once.

    named_short_units: expected units of named (open, at-risk) customer order lines that go short; named_margin:
    their margin at the lines' own prices; named_penalties: the contractual tier penalties of those lines (all
    already weighted by the probability that the lines are not served). The anonymous rest, short_units -
    named_short_units (never below 0), is valued at the item's unit margin.
    """
    short = np.maximum(_array(short_units), 0.0)
    named = np.maximum(_array(named_short_units), 0.0)
    anonymous = np.maximum(short - named, 0.0)
    return {
        "anonymous_short_units": anonymous,
        "lost_margin": anonymous * np.maximum(_array(unit_margin), 0.0),
        "order_exposure": np.maximum(_array(named_margin), 0.0),
        "tier_penalties": np.maximum(_array(named_penalties), 0.0),
    }


def order_line_parts(
    *, units, unit_price, unit_cost, penalty_per_line, penalty_rate
) -> dict[str, np.ndarray]:
    """The money a customer order line's late units put at stake: their margin at the line's own price
    (`order_exposure`, units x max(price - cost, 0): margin, never revenue) and the contract's tier penalties
    (`tier_penalties`, per late line + rate x the late units' value; zero for a line with no late units). Used by
    the order-at-risk detector, the customer-service queue and the backorder queue alike."""
    units = np.maximum(_array(units), 0.0)
    price = np.maximum(_array(unit_price), 0.0)
    late = units > 0
    penalties = np.where(late, _array(penalty_per_line) + _array(penalty_rate) * units * price, 0.0)
    return {
        "order_exposure": units * np.maximum(price - _array(unit_cost), 0.0),
        "tier_penalties": np.maximum(penalties, 0.0),
    }


def late_inbound_short_units(late_units, daily_demand, days_late, stockout_probability) -> np.ndarray:
    """Units of demand a late PO line leaves unserved: the demand of the days it is late (at most the line), when
    the SKU-location runs short before it lands (weighted by the plan's stockout probability)."""
    late = np.maximum(_array(late_units), 0.0)
    during = np.maximum(_array(daily_demand), 0.0) * np.maximum(_array(days_late), 0.0)
    return np.minimum(late, during) * np.clip(_array(stockout_probability), 0.0, 1.0)


def delay_short_units(daily_demand, feasibility) -> np.ndarray:
    """Expected units short per day the action waits: the daily demand x P(the action lands after the projected
    stockout) (1 - `feasibility`), the derivative of the expected short units daily x E[max(arrival - stockout, 0)]
    with respect to the arrival day. What a day's delay costs a task whose value is 0 (an order already too late to
    prevent the stockout still loses a day of demand for each day it waits); the queue ranks tasks of equal value by
    it (engine.attention). Rounded to 0.001 unit, as stored with the task."""
    daily = np.maximum(_array(daily_demand), 0.0)
    late = 1.0 - np.clip(_array(feasibility, 1.0), 0.0, 1.0)  # no arrival known: nothing lost by waiting
    return np.round(daily * late, 3)


# --- excess side -------------------------------------------------------------------------------------------------


def excess_units(
    position, order_up_to, forecast_weekly, settings: ValueSettings = DEFAULT_SETTINGS
) -> np.ndarray:
    """Whole units above the order-up-to level plus `excess_weeks` of demand (the engine's excess rule)."""
    level = _array(order_up_to) + settings.excess_weeks * np.maximum(_array(forecast_weekly), 0.0)
    return np.floor(np.maximum(_array(position) - level, 0.0))


def weeks_of_cover(units, forecast_weekly) -> np.ndarray:
    """Weeks it would take to sell `units` at the forecast (inf without demand)."""
    units, weekly = np.maximum(_array(units), 0.0), np.maximum(_array(forecast_weekly), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            weekly > 0, units / np.where(weekly > 0, weekly, 1.0), np.where(units > 0, np.inf, 0.0)
        )


def holding_cost(
    units, unit_cost, cover_weeks, settings: ValueSettings = DEFAULT_SETTINGS
) -> dict[str, np.ndarray]:
    """Holding cost of `units` kept for `cover_weeks`: capital x holding rate x weeks / 52, capped by the
    obsolescence write-down at risk (capital x obsolescence share). Returns capital (a fact), the uncapped cost,
    the cap and the holding cost."""
    capital = np.maximum(_array(units), 0.0) * np.maximum(_array(unit_cost), 0.0)
    weeks = np.asarray(cover_weeks, dtype=np.float64)
    weeks = np.where(np.isnan(weeks), 0.0, np.maximum(weeks, 0.0))
    with np.errstate(invalid="ignore"):
        uncapped = np.where(capital > 0, capital * settings.holding_rate * weeks / WEEKS_PER_YEAR, 0.0)
    cap = capital * settings.obsolescence_share
    return {"capital": capital, "uncapped": uncapped, "cap": cap, "holding_cost": np.minimum(uncapped, cap)}


def excess_action_holding(
    action, released_units, unit_cost, cover_weeks, defer_days, settings: ValueSettings = DEFAULT_SETTINGS
) -> np.ndarray:
    """Holding cost an excess action avoids: a cancel the released units' whole cover (capped), a defer the days it
    moves the line (capped the same way); no action, the holding cost of the excess over its cover."""
    action = np.asarray(action, dtype=object)
    days = np.maximum(_array(defer_days), 0.0)
    weeks = np.where(
        action == DEFER, np.minimum(days / DAYS_PER_WEEK, np.asarray(cover_weeks, dtype=float)), cover_weeks
    )
    return holding_cost(released_units, unit_cost, weeks, settings)["holding_cost"]


# --- the action's cost, spend and feasibility ------------------------------------------------------------------


def action_freight(action, goods_value, settings: ValueSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """Freight an action books: expedite (flat + share of the line's value), transfer (flat + share of the goods)."""
    action = np.asarray(action, dtype=object)
    goods = np.maximum(_array(goods_value), 0.0)
    return np.select(
        [action == EXPEDITE, action == TRANSFER],
        [
            settings.expedite_fee_flat + settings.expedite_fee_rate * goods,
            settings.transfer_freight_flat + settings.transfer_freight_rate * goods,
        ],
        0.0,
    )


def freight_one(action: str, goods_value: float, settings: ValueSettings = DEFAULT_SETTINGS) -> float:
    """action_freight for one action (plain floats: the per-row path of the refresh and the decision services)."""
    if action == EXPEDITE:
        return settings.expedite_fee_flat + settings.expedite_fee_rate * max(goods_value, 0.0)
    if action == TRANSFER:
        return settings.transfer_freight_flat + settings.transfer_freight_rate * max(goods_value, 0.0)
    return 0.0


def action_cost(action, goods_value, settings: ValueSettings = DEFAULT_SETTINGS) -> np.ndarray:
    """The action's own cost: ordering cost of a new PO line, or its freight (expedite, transfer); 0 otherwise."""
    action = np.asarray(action, dtype=object)
    return np.where(
        action == PURCHASE_ORDER, settings.ordering_cost, action_freight(action, goods_value, settings)
    )


def action_spend(
    action, quantity, unit_cost, settings: ValueSettings = DEFAULT_SETTINGS
) -> dict[str, np.ndarray]:
    """What a decided action spends, the amount approval tiers compare: quantity x unit cost (the goods ordered,
    moved, expedited, deferred or cancelled), plus freight for expedites and transfers."""
    goods = np.maximum(_array(quantity), 0.0) * np.maximum(_array(unit_cost), 0.0)
    freight = action_freight(action, goods, settings)
    return {"goods": goods, "freight": freight, "amount": goods + freight}


def arrival_feasibility(
    days_to_stockout, arrival_days, arrival_sd_days, settings: ValueSettings = DEFAULT_SETTINGS
):
    """P(the action lands before the projected stockout) = Phi((stockout - arrival) / sd) for a normal arrival
    time; 1 where no stockout is projected or the action has no arrival (NaN)."""
    stockout = np.asarray(days_to_stockout, dtype=np.float64)
    arrival = np.asarray(arrival_days, dtype=np.float64)
    sd = np.maximum(_array(arrival_sd_days), settings.min_arrival_sd_days)
    probability = stats.norm.cdf((stockout - arrival) / sd)
    return np.where(np.isfinite(stockout) & np.isfinite(arrival), probability, 1.0)


# --- composition ---------------------------------------------------------------------------------------------------


def _cents(values) -> np.ndarray:
    """Round half away from zero to cents (as Decimal ROUND_HALF_UP does for the stored figures)."""
    values = _array(values)
    return np.sign(values) * np.floor(np.abs(values) * 100.0 + 0.5 + 1e-9) / 100.0


def compose(
    *,
    lost_margin=0.0,
    order_exposure=0.0,
    tier_penalties=0.0,
    holding_cost=0.0,
    feasibility=1.0,
    action_cost=0.0,
) -> dict[str, np.ndarray]:
    """The value and its parts in cents (vectorized, at least 1-d); the parts add up to the value exactly.

    value = max(benefit x feasibility - action_cost, 0), benefit = the four benefit parts.
    """
    inputs = np.broadcast_arrays(
        *(
            np.atleast_1d(_array(x))
            for x in (lost_margin, order_exposure, tier_penalties, holding_cost, action_cost)
        ),
        np.atleast_1d(_array(feasibility, 1.0)),
    )
    benefits, cost_in, feasibility = inputs[:4], inputs[4], inputs[5]
    parts = {name: _cents(np.maximum(x, 0.0)) for name, x in zip(BENEFIT_PARTS, benefits)}
    feasible = np.clip(feasibility, 0.0, 1.0)
    benefit = sum(parts.values())
    reached = _cents(benefit * feasible)
    cost = _cents(np.maximum(cost_in, 0.0))
    net = reached - cost
    parts["feasibility_adjustment"] = np.round(reached - benefit, 2)
    parts["action_cost"] = 0.0 - cost  # 0.0 - 0.0 is 0.0, never -0.0
    parts["floor"] = np.round(np.maximum(-net, 0.0), 2)
    parts["value"] = np.round(np.maximum(net, 0.0), 2)
    parts["feasibility"] = feasible
    return parts


ZERO_CENTS = Decimal("0.00")


def money(value) -> Decimal:
    """A float amount as Decimal cents (half up)."""
    number = float(value) if value is not None else 0.0
    if number == 0.0 or not math.isfinite(number):  # most parts of most rows are zero: no Decimal built
        return ZERO_CENTS
    return Decimal(repr(number)).quantize(CENT, rounding=ROUND_HALF_UP) + 0  # + 0: never "-0.00"


# Below this many cents a double holds each amount of whole cents apart from its neighbours by far more than its own
# rounding (2^43 cents: 88 billion), so the one amount of cents a double rounds from is what its shortest repr reads.
_EXACT_CENTS = 2.0**43


def money_cents(values) -> list[int]:
    """`money` of each value, in whole cents (Python ints), for columns of tens of thousands of values. A double that
    is the nearest double to a whole number of cents (what `compose` returns) is that number: its shortest repr,
    which `money` quantizes, reads exactly those cents. Any other value goes through `money` itself."""
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        cents = np.rint(x * 100.0)
        exact = (np.abs(cents) < _EXACT_CENTS) & (cents / 100.0 == x)
    out = np.where(exact, cents, 0.0).astype(np.int64).tolist()
    for i in np.flatnonzero(~exact).tolist():
        out[i] = int(money(x[i]).scaleb(2))
    return out


def cents_text(cents: int) -> str:
    """str(money(x)) of an amount given in whole cents (money_cents)."""
    if cents == 0:
        return "0.00"
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


def parts_in_cents(row: dict) -> dict[str, Decimal]:
    """One row of `compose` as Decimal cents, with the value recomputed as the exact sum of the stored parts."""
    parts = {name: money(row.get(name, 0.0)) for name in PARTS}
    parts["value"] = sum(parts.values(), Decimal("0.00"))
    return parts


def value_from_parts(parts: dict) -> Decimal:
    """The value as the sum of stored parts (what the waterfall shows): no formula is recomputed."""
    return sum((Decimal(str(parts.get(name) or "0")) for name in PARTS), Decimal("0.00"))
