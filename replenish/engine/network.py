"""MOQ pooling: supply a branch from the item's hub when the supplier's minimum lot is many weeks of its demand.

A supplier's minimum order (MOQ, whole packs) can be months or years of one branch's demand for a slow mover.
Ordered at every location, it is bought (and held) once per location. Distributors pool such items instead: one
location of the item (its hub: the location with the most forecast demand) buys for the network and holds the
lot; the pooled branches pull from the hub by transfer, in eaches, a few days away. The hub's policy then covers
its own demand and the pooled branches' demand over the supplier's lead time; each pooled branch's policy covers
its own demand over the transfer lead time, with no MOQ.

Pure numpy/pandas (no Django), vectorized per item with groupby.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .policy import round_up_to_pack


@dataclass(frozen=True)
class PoolingSettings:
    enabled: bool = True
    # a branch is supplied from its hub when its supplier lot (MOQ in whole packs) exceeds this many weeks of its
    # forecast demand. Measured with the policy simulator (20,000 x 5, re-planned every 4 weeks, calibrated):
    # 13 weeks pooled 48% of the SKU-locations for 16.1% less inventory than static, 8 weeks 16.9%, 4 weeks 18.2%,
    # every class within 1.5 points of its target each time
    min_lot_weeks: float = 4.0
    # the cost of one transfer line from the hub (pick, shuttle, receive), in place of a purchase order's ordering
    # cost in a pooled branch's EOQ: small, frequent transfers keep the branch's stock and the hub's demand smooth
    transfer_ordering_cost: float = 5.0


def supplier_lot(moq: np.ndarray, pack_size: np.ndarray) -> np.ndarray:
    """The smallest supplier order: the MOQ (at least one pack) rounded up to whole packs."""
    pack = np.where(np.isfinite(pack_size) & (pack_size > 0), pack_size, 1.0)
    return round_up_to_pack(np.maximum(np.nan_to_num(moq), pack), pack)


def hub_of_item(item_id: np.ndarray, location_id: np.ndarray, forecast_weekly: np.ndarray) -> np.ndarray:
    """Per series the row of its item's hub: the series of the item with the largest forecast (ties: the lowest
    location id)."""
    frame = pd.DataFrame(
        {
            "item": np.asarray(item_id),
            "location": np.asarray(location_id),
            "forecast": np.nan_to_num(np.asarray(forecast_weekly, dtype=np.float64)),
            "row": np.arange(len(item_id)),
        }
    )
    ordered = frame.sort_values(
        ["item", "forecast", "location"], ascending=[True, False, True], kind="stable"
    )
    first = ordered.drop_duplicates("item")[["item", "row"]].rename(columns={"row": "hub"})
    return frame[["item"]].merge(first, on="item", how="left")["hub"].to_numpy(dtype=np.int64)


def pooled_supply(
    item_id: np.ndarray,
    location_id: np.ndarray,
    forecast_weekly: np.ndarray,
    moq: np.ndarray,
    pack_size: np.ndarray,
    *,
    eligible: np.ndarray | None = None,
    settings: PoolingSettings | None = None,
) -> np.ndarray:
    """Per series the row it is supplied from (its hub), or -1 when it orders from its supplier.

    A series is pooled when it is not its item's hub, both have forecast demand, its supplier lot exceeds
    ``min_lot_weeks`` of its forecast, and it is ``eligible`` (e.g. has history). Hubs order from the supplier.
    """
    settings = settings or PoolingSettings()
    n = len(item_id)
    if not settings.enabled or n == 0:
        return np.full(n, -1, dtype=np.int64)
    weekly = np.maximum(np.nan_to_num(np.asarray(forecast_weekly, dtype=np.float64)), 0.0)
    hub = hub_of_item(item_id, location_id, weekly)
    lot = supplier_lot(np.asarray(moq, dtype=np.float64), np.asarray(pack_size, dtype=np.float64))
    pooled = (
        (hub != np.arange(n)) & (weekly > 0) & (weekly[hub] > 0) & (lot > settings.min_lot_weeks * weekly)
    )
    if eligible is not None:
        pooled &= np.asarray(eligible, dtype=bool)
        pooled &= np.asarray(eligible, dtype=bool)[hub]
    return np.where(pooled, hub, -1).astype(np.int64)


def pooled_hub_demand(
    supply_from: np.ndarray,
    forecast_weekly: np.ndarray,
    forecast_sd_weekly: np.ndarray,
    horizon: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The demand a hub plans for: its own plus its pooled branches' (means and horizons add; the weekly sds add
    in quadrature, branches' errors taken as independent). Rows that are not hubs keep their own figures."""
    supply_from = np.asarray(supply_from, dtype=np.int64)
    n = supply_from.size
    weekly = np.maximum(np.nan_to_num(np.asarray(forecast_weekly, dtype=np.float64)), 0.0)
    sd = np.maximum(np.nan_to_num(np.asarray(forecast_sd_weekly, dtype=np.float64)), 0.0)
    pulling = np.flatnonzero(supply_from >= 0)
    hubs = supply_from[pulling]
    total = weekly + np.bincount(hubs, weights=weekly[pulling], minlength=n)
    total_sd = np.sqrt(sd**2 + np.bincount(hubs, weights=sd[pulling] ** 2, minlength=n))
    total_horizon = None
    if horizon is not None:
        total_horizon = np.nan_to_num(np.asarray(horizon, dtype=np.float64)).copy()
        np.add.at(total_horizon, hubs, total_horizon[pulling].copy())
    return total, total_sd, total_horizon
