"""The value of each disposition of a returned line (restock, refurbish, return to vendor, scrap), in money (pure
Python; no Django). The option with the highest value is proposed; the queue ranks returns by it.

- What the units recover: restocked units are sellable stock again, worth their cost; refurbished ones
  REFURBISHED_SHARE of it after a refurbishing cost; returned to the vendor they earn the vendor's credit (its unit
  cost less its restocking fee) less the return freight; scrapped, a salvage share of their cost.
- Current shortages: units that go back on the shelf fill the location's backordered order lines now instead of at
  the next supply. That benefit is valued with the one formula (replenish.engine.value.compose): the filled units'
  margin (order exposure) and the service-tier penalties of the lines they complete, less the handling cost; for a
  refurbish it counts with REFURBISH_FEASIBILITY (the units come back later).
"""

from __future__ import annotations

from dataclasses import dataclass

from .value import compose

RESTOCK = "restock"
REFURBISH = "refurbish"
RETURN_TO_VENDOR = "return_to_vendor"
SCRAP = "scrap"
ALLOWED = {  # what each condition can become
    "new": (RESTOCK, RETURN_TO_VENDOR, SCRAP),
    "good": (RESTOCK, REFURBISH, RETURN_TO_VENDOR, SCRAP),
    "damaged": (REFURBISH, RETURN_TO_VENDOR, SCRAP),
    "defective": (RETURN_TO_VENDOR, SCRAP),
}
RESTOCK_HANDLING_PER_UNIT = 1.0  # inspect, relabel, put away
REFURBISH_COST_SHARE = 0.25  # of the unit cost
REFURBISHED_SHARE = 0.85  # a refurbished unit's worth, share of the unit cost
REFURBISH_FEASIBILITY = 0.9  # the refurbished units come back in time for the backorders
VENDOR_RESTOCKING_FEE = 0.15  # share of the vendor's unit cost kept by the vendor
RETURN_FREIGHT_FLAT = 40.0
SCRAP_SALVAGE_SHARE = 0.05


@dataclass(frozen=True)
class Backorder:
    units: int  # units still to fill
    unit_price: float
    unit_cost: float
    penalty_per_late_line: float
    penalty_rate: float


@dataclass(frozen=True)
class ReturnIn:
    units: int
    condition: str
    unit_cost: float
    vendor_unit_cost: float | None  # None: no supplier takes it back


def backorder_fill(units: int, backorders: list[Backorder]) -> tuple[int, float, float, int]:
    """Units filled, their margin, the penalties of the lines they complete, and the lines completed (in order)."""
    left, filled, margin, penalties, completed = units, 0, 0.0, 0.0, 0
    for b in backorders:
        if left <= 0:
            break
        take = min(left, b.units)
        left -= take
        filled += take
        margin += take * max(b.unit_price - b.unit_cost, 0.0)
        if take == b.units:
            completed += 1
            penalties += b.penalty_per_late_line + b.penalty_rate * b.units * b.unit_price
    return filled, margin, penalties, completed


def options(ret: ReturnIn, backorders: list[Backorder]) -> list[dict]:
    """Every allowed disposition with its value and parts, best first."""
    filled, margin, penalties, completed = backorder_fill(ret.units, backorders)
    out = []
    for choice in ALLOWED.get(ret.condition, (SCRAP,)):
        if choice == RETURN_TO_VENDOR and ret.vendor_unit_cost is None:
            continue
        fills = choice in (RESTOCK, REFURBISH)
        if choice == RESTOCK:
            recovery = ret.units * ret.unit_cost
            cost = ret.units * RESTOCK_HANDLING_PER_UNIT
        elif choice == REFURBISH:
            recovery = ret.units * ret.unit_cost * REFURBISHED_SHARE
            cost = ret.units * ret.unit_cost * REFURBISH_COST_SHARE
        elif choice == RETURN_TO_VENDOR:
            recovery = ret.units * (ret.vendor_unit_cost or 0.0) * (1 - VENDOR_RESTOCKING_FEE)
            cost = RETURN_FREIGHT_FLAT
        else:
            recovery, cost = ret.units * ret.unit_cost * SCRAP_SALVAGE_SHARE, 0.0
        parts = compose(
            order_exposure=margin if fills else 0.0,
            tier_penalties=penalties if fills else 0.0,
            feasibility=REFURBISH_FEASIBILITY if choice == REFURBISH else 1.0,
        )
        shortage = float(parts["value"][0])
        value = round(recovery + shortage - cost, 2)
        out.append(
            {
                "choice": choice,
                "value": value,
                "recovery": round(recovery, 2),
                "backorder_value": round(shortage, 2),
                "cost": round(cost, 2),
                "fills_units": filled if fills else 0,
                "completes_lines": completed if fills else 0,
            }
        )
    return sorted(out, key=lambda o: -o["value"])
