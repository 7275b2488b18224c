"""Service calibration, the pure part: calibration groups, the planning target, and how a factor is learned.

The fill-rate formulas behind the reorder point rest on approximations (normal or negative binomial lead-time
demand, unit-sized demands, independent days, a backtest sd from 13 weeks). DistOps measures how far the achieved
fill of its own plan falls from the target in each group of SKU-locations (a replay of recent history, see
``replenish.evaluation.calibration``) and plans each group for a corrected target:

    planning target = 1 - (1 - target) x c

c is a factor on the shortage the target allows. A group is an ABC-XYZ segment and a supply role (own supplier,
hub buying for pooled branches, branch supplied from its hub), e.g. "AX|own"; SKU-locations with under
``MIN_HISTORY_PERIODS`` observed periods are launches (group "new") and keep c = 1, as does a group the
calibration has not measured.

Learning c (``updated_factor``): each replay measures the achieved fill a at the factor it planned with. With
one measurement, c' = c (1 - target) / (1 - a): the first-order correction when shortages scale with the shortage
allowed. With two measurements at different factors, the exponent b of shortage ~ c^b is estimated from them
(secant in log-log, b kept within ``SLOPE_BOUNDS``; b = 1 when the shortage did not grow with c) and c' = c ((1 - target) / (1 - a))^(1 / b). c stays within
``FACTOR_BOUNDS``: a group whose factor sits at a bound is one the formulas misjudge badly (drift flags it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

FACTOR_BOUNDS = (0.1, 10.0)
SLOPE_BOUNDS = (0.4, 1.5)
MIN_HISTORY_PERIODS = 26  # observed periods below which a SKU-location is a launch: not calibrated
NEW = "new"
ROLES = ("own", "hub", "branch")


def supply_role(supply_from: np.ndarray) -> np.ndarray:
    """'branch' for a series supplied from a hub, 'hub' for a series others are supplied from, else 'own'."""
    supply_from = np.asarray(supply_from, dtype=np.int64)
    hubs = np.isin(np.arange(supply_from.size), supply_from[supply_from >= 0])
    return np.where(supply_from >= 0, "branch", np.where(hubs, "hub", "own"))


def calibration_groups(
    abc: np.ndarray, xyz: np.ndarray, supply_from: np.ndarray, observed_periods: np.ndarray | None = None
) -> np.ndarray:
    """Group of each series: "<ABC><XYZ>|<role>", or "new" with under MIN_HISTORY_PERIODS observed periods."""
    segment = np.char.add(np.asarray(abc).astype(str), np.asarray(xyz).astype(str))
    group = np.char.add(np.char.add(segment, "|"), supply_role(supply_from).astype(str))
    if observed_periods is not None:
        group = np.where(np.asarray(observed_periods) >= MIN_HISTORY_PERIODS, group, NEW)
    return group.astype(object)


def group_factors(groups: np.ndarray, factors: Mapping[str, float] | None) -> np.ndarray:
    """Per series: the factor of its group (1 where the group has none)."""
    if not factors:
        return np.ones(len(groups))
    lookup = pd.Series({str(name): float(value) for name, value in factors.items()}, dtype=np.float64)
    mapped = pd.Series(np.asarray(groups, dtype=object)).map(lookup).to_numpy(dtype=np.float64)
    mapped = np.where(np.isfinite(mapped) & (mapped > 0), mapped, 1.0)
    return np.clip(mapped, *FACTOR_BOUNDS)


def planning_target(target: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """1 - (1 - target) x c, kept within [0.5, 0.9999] like every target."""
    target = np.asarray(target, dtype=np.float64)
    factor = np.nan_to_num(np.asarray(factor, dtype=np.float64), nan=1.0)
    return np.clip(1.0 - (1.0 - target) * factor, 0.5, 0.9999)


def updated_factor(target: float, passes: list[tuple[float, float]]) -> float:
    """The next factor from the replays so far: ``passes`` = [(factor planned with, achieved fill), ...] in order.

    See the module doc. A replay that filled everything (a = 1) counts as a shortage of 1e-4 of demand.
    """
    if not passes:
        return 1.0
    allowed = max(1.0 - target, 1e-6)
    factor, achieved = passes[-1]
    shortfall = max(1.0 - achieved, 1e-4)
    slope = 1.0
    if len(passes) >= 2:
        earlier_factor, earlier_achieved = passes[-2]
        earlier_shortfall = max(1.0 - earlier_achieved, 1e-4)
        if abs(np.log(factor / earlier_factor)) > 0.05:
            estimate = float(np.log(shortfall / earlier_shortfall) / np.log(factor / earlier_factor))
            # a shortage that did not grow with the allowance is noise: keep the first-order step
            slope = float(np.clip(estimate, *SLOPE_BOUNDS)) if np.isfinite(estimate) and estimate > 0 else 1.0
    corrected = factor * (allowed / shortfall) ** (1.0 / slope)
    return float(np.clip(corrected, *FACTOR_BOUNDS))
