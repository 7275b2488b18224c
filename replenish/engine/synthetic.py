"""Synthetic distributor panel for tests and the benchmark.

Mostly intermittent and lumpy series (zero-inflated Poisson / negative binomial sizes), a minority of fast movers
with yearly seasonality, trend and promotion lift, some erratic series, new items with a short history, dead
items (all zeros) and items without any history, plus a sprinkle of negative demand (returns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pipeline import DEFAULT_POLICY_TABLE, PlanInputs, PlanOptions

KIND_INTERMITTENT, KIND_LUMPY, KIND_FAST, KIND_ERRATIC, KIND_NEW, KIND_DEAD = range(6)
KIND_SHARES = (0.55, 0.15, 0.14, 0.08, 0.04, 0.04)


def _fast_block(rng: np.random.Generator, rows: int, n_periods: int, promo: np.ndarray) -> np.ndarray:
    level = np.clip(rng.lognormal(np.log(20.0), 1.0, rows), 5.0, 500.0)
    amplitude = rng.uniform(0.0, 0.6, rows)
    phase = rng.uniform(0.0, 52.0, rows)
    trend = rng.uniform(-0.002, 0.004, rows) * level
    weeks = np.arange(n_periods, dtype=np.float64)
    mean = level[:, None] * (
        1.0 + amplitude[:, None] * np.sin(2 * np.pi * (weeks[None, :] + phase[:, None]) / 52.0)
    )
    mean = np.maximum(mean + trend[:, None] * weeks[None, :], 0.1) * np.where(promo, 1.6, 1.0)
    dispersion = 10.0
    return rng.negative_binomial(dispersion, dispersion / (dispersion + mean)).astype(np.float32)


def _intermittent_block(rng: np.random.Generator, rows: int, n_periods: int, lumpy: bool) -> np.ndarray:
    if lumpy:
        occurrence = rng.uniform(0.05, 0.35, rows)
        size_mean = rng.uniform(3.0, 30.0, rows)
        shape = 0.8
        sizes = 1 + rng.negative_binomial(shape, shape / (shape + size_mean[:, None]), (rows, n_periods))
    else:
        occurrence = rng.uniform(0.08, 0.45, rows)
        sizes = 1 + rng.poisson(rng.uniform(0.0, 3.0, rows)[:, None], (rows, n_periods))
    occurs = rng.random((rows, n_periods)) < occurrence[:, None]
    return np.where(occurs, sizes, 0).astype(np.float32)


def _erratic_block(rng: np.random.Generator, rows: int, n_periods: int) -> np.ndarray:
    occurrence = rng.uniform(0.8, 1.0, rows)
    log_mean = rng.uniform(1.0, 3.0, rows)
    sizes = np.round(rng.lognormal(log_mean[:, None], 1.0, (rows, n_periods)))
    occurs = rng.random((rows, n_periods)) < occurrence[:, None]
    return np.where(occurs, np.maximum(sizes, 1.0), 0.0).astype(np.float32)


def make_synthetic_demand(
    n_series: int, n_periods: int, seed: int = 0, *, chunk_size: int = 100_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (demand (n, T) float32, promo (n, T) bool, kind (n,) int8), generated block by block."""
    demand = np.empty((n_series, n_periods), dtype=np.float32)
    promo = np.zeros((n_series, n_periods), dtype=bool)
    kind = np.empty(n_series, dtype=np.int8)
    for block_index, start in enumerate(range(0, n_series, chunk_size)):
        stop = min(start + chunk_size, n_series)
        rows = stop - start
        rng = np.random.default_rng([seed, block_index])
        block_kind = rng.choice(len(KIND_SHARES), size=rows, p=KIND_SHARES).astype(np.int8)
        block = np.zeros((rows, n_periods), dtype=np.float32)
        block_promo = np.zeros((rows, n_periods), dtype=bool)
        fast = np.flatnonzero(block_kind == KIND_FAST)
        block_promo[fast] = rng.random((fast.size, n_periods)) < 0.05
        block[fast] = _fast_block(rng, fast.size, n_periods, block_promo[fast])
        for lumpy, code in ((False, KIND_INTERMITTENT), (True, KIND_LUMPY)):
            rows_of_kind = np.flatnonzero(block_kind == code)
            block[rows_of_kind] = _intermittent_block(rng, rows_of_kind.size, n_periods, lumpy)
        erratic = np.flatnonzero(block_kind == KIND_ERRATIC)
        block[erratic] = _erratic_block(rng, erratic.size, n_periods)
        new = np.flatnonzero(block_kind == KIND_NEW)
        block[new] = _intermittent_block(rng, new.size, n_periods, lumpy=False)
        first_period = rng.integers(n_periods // 2, max(n_periods - 3, n_periods // 2 + 1), new.size)
        block[new] = np.where(np.arange(n_periods)[None, :] < first_period[:, None], np.nan, block[new])
        dead = np.flatnonzero(block_kind == KIND_DEAD)
        block[dead] = np.where((rng.random(dead.size) < 0.5)[:, None], np.nan, 0.0)
        returns = np.flatnonzero(rng.random(rows) < 0.003)
        return_period = rng.integers(0, n_periods, returns.size)
        block[returns, return_period] = -rng.integers(1, 5, returns.size).astype(np.float32)
        demand[start:stop] = block
        promo[start:stop] = block_promo
        kind[start:stop] = block_kind
    return demand, promo, kind


def make_synthetic_panel(
    n_series: int, n_periods: int = 104, seed: int = 0, *, n_locations: int = 5
) -> PlanInputs:
    """A complete synthetic PlanInputs: series master data, demand, promotions, receipts, open supply."""
    demand, promo, kind = make_synthetic_demand(n_series, n_periods, seed)
    rng = np.random.default_rng([seed, 10_000_019])
    index = np.arange(n_series)
    item = index // n_locations
    n_items = int(item.max()) + 1 if n_series else 0
    n_suppliers = max(1, n_items // 90)
    item_supplier = rng.integers(0, n_suppliers, max(n_items, 1))
    supplier = item_supplier[item]
    tail = demand[:, -13:]
    observed_tail = ~np.isnan(tail)
    recent_mean = np.where(observed_tail, np.maximum(tail, 0), 0).sum(axis=1) / np.maximum(
        observed_tail.sum(axis=1), 1
    )
    unit_cost = np.round(np.clip(rng.lognormal(np.log(20.0), 1.0, n_series), 0.5, 5000.0), 2)
    unit_cost[rng.random(n_series) < 0.002] = 0.0
    unit_price = np.round(unit_cost * rng.uniform(1.2, 1.8, n_series), 2)
    unit_price[rng.random(n_series) < 0.002] = 0.0
    pack_size = rng.choice(np.array([1.0, 1.0, 1.0, 6.0, 12.0, 24.0]), n_series)
    moq = np.where(rng.random(n_series) < 0.3, pack_size * rng.integers(2, 6, n_series), 0.0)
    on_hand = np.round(recent_mean * rng.uniform(0.0, 8.0, n_series))
    allocated = np.round(on_hand * rng.uniform(0.0, 0.2, n_series))
    backordered = np.where(rng.random(n_series) < 0.02, rng.integers(1, 10, n_series), 0).astype(np.float64)
    capacity = np.where(rng.random(n_series) < 0.2, np.ceil(recent_mean * 20 + 50), np.nan)
    supplier_base = rng.uniform(5.0, 35.0, n_suppliers)
    contracted = np.round(supplier_base[supplier])
    contracted[rng.random(n_series) < 0.01] = np.nan
    static_min = np.where(rng.random(n_series) < 0.5, np.round(recent_mean * 2), np.nan)
    series = pd.DataFrame(
        {
            "item_location_id": index + 1,
            "item_id": item,
            "location_id": index % n_locations,
            "supplier_id": supplier,
            "unit_cost": unit_cost,
            "unit_price": unit_price,
            "on_hand": on_hand,
            "allocated": allocated,
            "backordered": backordered,
            "capacity": capacity,
            "pack_size": pack_size,
            "moq": moq,
            "contracted_lead_time_days": contracted,
            "ordering_cost": rng.uniform(25.0, 100.0, n_series).round(2),
            "holding_rate": np.full(n_series, 0.25),
            "static_min": static_min,
            "static_max": static_min * 3,
            "service_target": np.where(rng.random(n_series) < 0.05, 0.99, np.nan),
        }
    )

    # receipts: per supplier-item a Poisson number of receipts over the last two years, 5 % drifting
    receipts_per_item = rng.poisson(4.0, n_items)
    receipt_item = np.repeat(np.arange(n_items), receipts_per_item)
    as_of = pd.Timestamp("2026-01-05")
    age_days = rng.uniform(0.0, 700.0, receipt_item.size)
    noise = rng.gamma(16.0, 1.0 / 16.0, receipt_item.size)
    drifting = (rng.random(n_items) < 0.05)[receipt_item] & (age_days < 120)
    lead_time = np.round(supplier_base[item_supplier[receipt_item]] * noise * np.where(drifting, 1.6, 1.0), 1)
    receipts = pd.DataFrame(
        {
            "supplier_id": item_supplier[receipt_item],
            "item_id": receipt_item,
            "lead_time_days": lead_time,
            "received_date": as_of - pd.to_timedelta(np.round(age_days), unit="D"),
        }
    )

    # open supply: ~35 % of series with a PO line, some with a second one, 2 % inbound transfers
    first_lines = index[rng.random(n_series) < 0.35]
    second_lines = index[rng.random(n_series) < 0.08]
    transfer_lines = index[rng.random(n_series) < 0.02]
    line_series = np.concatenate([first_lines, second_lines, transfer_lines])
    n_lines = line_series.size
    is_transfer = np.zeros(n_lines, dtype=bool)
    is_transfer[n_lines - transfer_lines.size :] = True
    quantity = np.maximum(
        pack_size[line_series], np.round(recent_mean[line_series] * rng.uniform(2.0, 6.0, n_lines))
    )
    po_line_id = pd.array(np.where(is_transfer, -1, np.arange(1, n_lines + 1)), dtype="Int64")
    po_line_id[is_transfer] = pd.NA
    open_supply = pd.DataFrame(
        {
            "series": line_series,
            "po_line_id": po_line_id,
            "quantity": quantity,
            "arrival_day": rng.integers(1, 46, n_lines),
            "expedite_days": np.where(rng.random(n_lines) < 0.5, 0, rng.integers(2, 13, n_lines)),
            "kind": np.where(is_transfer, "transfer", "po"),
        }
    )
    return PlanInputs(
        series=series,
        demand=demand,
        promo=promo,
        receipts=receipts,
        open_supply=open_supply,
        policy_table=DEFAULT_POLICY_TABLE.copy(),
        transfer_days=2.0,
        options=PlanOptions(),
    )
