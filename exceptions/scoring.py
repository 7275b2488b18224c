"""The exceptions' adapter to the value module (replenish/engine/value.py) and the confidence definition
(replenish/engine/confidence.py): settings from Django (replenish/value_settings.py, imported here for the
refresh and the decision services), the stored JSON of the parts, what a proposal spends.

No formula lives here: the value, its parts, the spend of an action and confidence are computed by the engine
modules, which the simulator and the acceptance model call too.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from replenish.engine import value as v
from replenish.value_settings import value_settings


def _round(value, places: int = 3):
    number = float(value)
    return round(number, places) if np.isfinite(number) else None


def stored_parts(composed: dict[str, np.ndarray], i: int, *, facts: dict) -> tuple[Decimal, dict]:
    """Row i of `value.compose` as the stored value and JSON parts (money as strings of cents, facts as numbers).

    The value is the exact sum of the stored money parts; `facts` carries the figures behind them (expected short
    units, unit margin, horizon, capital, ...) for the waterfall's notes.
    """
    return StoredParts(composed)(i, facts=facts)


class StoredParts:
    """`stored_parts` of every row of one `value.compose`: each part's column turned into cents and their text at
    once (value.money_cents), the value the sum of its row's stored cents, not a Decimal per part and row (a refresh
    stores the parts of tens of thousands of rows a chunk)."""

    def __init__(self, composed: dict[str, np.ndarray]):
        cents = [v.money_cents(composed[name]) for name in v.PARTS]
        self.values = [v.cents_text(sum(row)) for row in zip(*cents)]
        self.texts = [(name, [v.cents_text(c) for c in column]) for name, column in zip(v.PARTS, cents)]
        self.feasibility = composed["feasibility"].tolist()

    def __call__(self, i: int, *, facts: dict) -> tuple[Decimal, dict]:
        parts = {name: column[i] for name, column in self.texts}
        parts["value"] = self.values[i]
        parts["feasibility"] = _round(self.feasibility[i], 4)
        parts.update(facts)
        return Decimal(self.values[i]), parts


def order_by_days(parts: dict | None) -> float:
    """Days from the refresh's day to the last day to act before the projected stockout: the stockout day minus the
    day the task's action lands (the value's basis, exceptions.detectors.actions); inf when either is unknown."""
    basis = (parts or {}).get("basis") or {}
    stockout, arrival = basis.get("stockout_day"), basis.get("arrival_day")
    if stockout is None or arrival is None:
        return float("inf")
    return float(stockout) - float(arrival)


def delay_short_units(parts: dict | None) -> float:
    """The expected units short per day the task waits (value.delay_short_units: the daily demand of the value's
    basis x (1 - its feasibility)), what ranks tasks of equal value (engine.attention.rank_order); 0.0 when either is
    unknown (no supply action, a task stored before the basis carried its daily demand)."""
    return delay_rates([parts])[0]


def delay_rates(parts: list[dict | None]) -> list[float]:
    """delay_short_units of many tasks' parts at once (one vectorised call: the refresh stores tens of thousands a
    chunk)."""
    daily, feasibility = [], []
    for p in parts:
        p = p or {}
        demand = (p.get("basis") or {}).get("daily_demand")
        known = demand is not None and p.get("feasibility") is not None
        daily.append(float(demand) if known else 0.0)
        feasibility.append(float(p["feasibility"]) if known else 1.0)
    if not any(daily):
        return [0.0] * len(parts)
    return [float(x) for x in v.delay_short_units(daily, feasibility)]


# --- what a decided action spends (the amount approval tiers compare) ------------------------------------------------


def proposal_spend(proposal: dict, settings_: v.ValueSettings | None = None, *, unit_cost=None) -> dict:
    """Goods (quantity x unit cost), freight (expedites, transfers) and amount of a proposal, as Decimal cents,
    from its own quantity: recomputed whenever the values change (an override), never taken from the client."""
    action = (proposal or {}).get("action")
    settings_ = settings_ or value_settings()  # read once for a draft PO's lines too (8 settings a read)
    if (proposal or {}).get("lines"):  # a draft PO: the sum of its lines' goods, each at its own unit cost
        goods = sum(
            (proposal_spend(line | {"action": action}, settings_)["goods"] for line in proposal["lines"]),
            Decimal("0.00"),
        )
        return {"goods": goods, "freight": Decimal("0.00"), "amount": goods}
    cost = unit_cost if unit_cost is not None else (proposal or {}).get("unit_cost")
    quantity = (proposal or {}).get("quantity") or 0
    goods = v.money(max(float(quantity), 0.0) * max(float(cost or 0), 0.0))
    freight = v.money(v.freight_one(action or "", float(goods), settings_))
    return {"goods": goods, "freight": freight, "amount": goods + freight}


# The actions that spend money (and so fall under the approval tiers); a chase or a re-promise spends nothing.
SPENDING_ACTIONS = frozenset({"purchase_order", "expedite", "defer", "cancel", "transfer", "reallocate"})


def with_spend(proposal: dict, settings_: v.ValueSettings | None = None) -> dict:
    """The proposal with its spend written in (strings of cents), for the row, the drawer and the API."""
    if (proposal or {}).get("action") not in SPENDING_ACTIONS:
        return proposal
    spend = proposal_spend(proposal, settings_)
    return {**proposal, **{key: str(amount) for key, amount in spend.items()}}
