"""Fill-rate targets allocated within a group at least inventory cost (Silver-Pyke-Thomas 6.7, the B2 cost).

A class's target is a promise about the class: its units filled over its demand. Planning every SKU-location of
the class at that target meets it, but not at least cost: a unit of safety stock buys more fill on a cheap fast
mover than on a dear one. The cost-minimal plan for the class's fill (Silver, Pyke & Thomas 2017, 6.7: a fill
target across items is the same as one shadow cost B2 per unit short for all of them) gives each SKU-location the
safety factor where a unit of stock costs what the units short it saves are worth at that one price:

    P(Z > k_i) = h_i q_i / (lambda D_i)          (h_i: holding cost per unit-year, q_i: units per cycle,
                                                    D_i: units a year, lambda: the class's price of a unit short)

(the derivative of h_i sigma_i k_i + lambda (D_i / q_i) sigma_i G(k_i) in k_i; the exact fill rate's second term
G(k + q / sigma) is left out of the derivative, it is kept in the fill each k gives). lambda is found by Brent's
method so that the class's demand-weighted expected fill equals the demand-weighted target of the same rows: the
class expects the fill it would have at the uniform target, with less stock. Each SKU-location's allocated target stays
within ``floor_points`` below its own target (a buyer can see why an item sits lower, and none is left to chance)
and at most 0.9999.

Only normal rows take part (the slow movers' whole-unit reorder points keep their own targets); the allocation
returns per row the fill-rate target the reorder point then meets exactly (``policy.compute_policy``).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

from .fill_rate import normal_cycle_fill

LAMBDA_LOG_RANGE = (-25.0, 40.0)  # natural log of lambda searched (money per unit short)
MAX_TARGET = 0.9999  # as every target (policy.planning_target)


def allocate_fill_targets(
    groups: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    holding_cost: np.ndarray,
    cycle_demand: np.ndarray,
    cycle_over_sd: np.ndarray,
    *,
    min_safety_factor: float = -2.0,
    floor_points: float = 0.10,
    log_price: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the fill-rate target of the cost-minimal plan for its group's demand-weighted target (module doc),
    and the natural log of its group's price of a unit short, lambda.

    ``weight`` is the weekly demand (the fill's weight and D_i / 52), ``holding_cost`` the cost of holding a unit a
    year, ``cycle_demand`` q_i and ``cycle_over_sd`` q_i / sigma_i. Rows must be eligible (positive weight, cost,
    q and sigma); a group whose goal the bounds cannot meet gets its bound. ``log_price`` (per row, NaN: none): a
    group whose rows carry a price plans at it instead of solving for its own (a partial re-plan of a few
    SKU-locations keeps the price of the full plan, so their targets do not move with the rows re-planned)."""
    target = np.asarray(target, dtype=np.float64)
    out = target.copy()
    prices = np.full(target.shape, np.nan)
    given = np.full(target.shape, np.nan) if log_price is None else np.asarray(log_price, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.asarray(holding_cost, dtype=np.float64) * np.asarray(cycle_demand, dtype=np.float64)
        ratio = ratio / (52.0 * weight)
    c = np.asarray(cycle_over_sd, dtype=np.float64)
    low_bound = np.maximum(target - floor_points, 0.5)
    _, group_of_row = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    order = np.argsort(group_of_row, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group_of_row[order]) != 0, True])
    for start, stop in zip(starts[:-1], starts[1:]):
        rows = order[start:stop]
        known = given[rows][np.isfinite(given[rows])]
        out[rows], prices[rows] = _group_targets(
            ratio[rows],
            c[rows],
            low_bound[rows],
            weight[rows],
            target[rows],
            min_safety_factor,
            float(known[0]) if known.size else None,
        )
    return out, prices


def _group_targets(
    ratio: np.ndarray,
    cycle_over_sd: np.ndarray,
    low_bound: np.ndarray,
    weight: np.ndarray,
    target: np.ndarray,
    min_safety_factor: float,
    log_price: float | None = None,
) -> tuple[np.ndarray, float]:
    """One group's targets and log lambda: the fill each row expects at the k of one lambda, lambda given or the
    root (Brent) where the group's demand-weighted fill meets its demand-weighted target."""
    share = weight / weight.sum()
    goal = float(np.dot(share, target))

    def fill_at(log_lambda: float) -> np.ndarray:
        tail = np.clip(ratio * np.exp(-log_lambda), 1e-15, 1.0 - 1e-15)
        k = np.clip(-special.ndtri(tail), min_safety_factor, 6.0)
        return np.clip(normal_cycle_fill(k, cycle_over_sd), low_bound, MAX_TARGET)

    def excess(log_lambda: float) -> float:
        return float(np.dot(share, fill_at(log_lambda))) - goal

    low, high = LAMBDA_LOG_RANGE
    if log_price is not None:
        price = float(np.clip(log_price, low, high))
    elif excess(high) <= 0:  # the bounds cannot meet the goal: every row at its highest fill
        price = high
    elif excess(low) >= 0:
        price = low
    else:  # the group's fill rises with lambda: its root, a step above so that the goal is met
        price = optimize.brentq(excess, low, high, xtol=1e-7) + 1e-7
    return fill_at(price), price
