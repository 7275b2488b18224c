"""A realistic synthetic distribution network: the demo and benchmark data.

Pure numpy/pandas (no Django): `ScenarioGenerator(spec)` yields DataFrames whose columns are database column names,
written by `replenish.scenario.load`. Same spec (seed, sizes, as-of date), same data: every random draw comes from a
generator seeded by (seed, stream, chunk) and items are produced in fixed-size chunks, so memory stays bounded at
180,000 SKUs x 5 locations x 104 weeks.

What makes it realistic (each a parameter below):
- demand: ~8% fast movers (negative binomial around a weekly rate), ~22% medium, ~70% slow and intermittent
  (zero-inflated: an order occurs with probability p, its size is 1 + negative binomial); location size factors;
  category seasonality (52-week sine); weather events that multiply demand of weather-sensitive categories in one
  region for 1-3 weeks; chain-wide promotions with uplift; some SKU-locations new (short or no history).
- suppliers: true lead-time distribution per supplier (gamma, mean 5-40 days), ~20% (at least one) unstable whose
  lead time drifts up over the last quarter, fill-rate differences; contracted lead times optimistic.
- customers in service tiers (platinum / gold / standard), open sales orders with a backlog, open POs with ASNs of
  which some arrive after the promised date, a few transfers in transit.
- static min/max set the naive way an ERP would: min = 1.5 x average daily demand of the first year x contracted lead
  time, max = min + 8 weeks of average demand, never revisited.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from replenish.calendar import monday_of

from .reference import BUYERS_PER_NETWORK, CATEGORIES, LOCATION_NAMES, PACK_SIZES, REGIONS, SOURCE, TIERS
from .spec import ITEM_CHUNK, NetworkTruth, ScenarioError, ScenarioSpec, rng_for
from .supply import OpenSupplyDraws

__all__ = [  # the spec, the random streams and the reference tables live in spec and reference, named here too
    "BUYERS_PER_NETWORK",
    "ITEM_CHUNK",
    "NetworkTruth",
    "ScenarioError",
    "ScenarioGenerator",
    "ScenarioSpec",
    "monday_of",
    "rng_for",
]


class ScenarioGenerator(OpenSupplyDraws):
    def __init__(self, spec: ScenarioSpec, future_weeks: int = 0) -> None:
        spec.validate()
        self.spec = spec
        self.future_weeks = future_weeks
        self.truth = self._truth()
        self._po_number = 0
        self._so_number = 0
        self._shipment_id = 0
        self._transfer_number = 0
        self._so_line_id = 0
        self._po_line_id = 0
        self._receipt_id = 0

    # --- network-level tables -----------------------------------------------------------------------------------
    def _truth(self) -> NetworkTruth:
        spec = self.spec
        rng = rng_for(spec.seed, "truth")
        n_sup = spec.n_suppliers
        lt_mean = rng.uniform(5, 40, n_sup)
        lt_cv = rng.uniform(0.1, 0.35, n_sup)
        unstable = rng.random(n_sup) < 0.2
        drift = np.where(unstable, rng.uniform(1.3, 1.8, n_sup), 1.0)
        fill_rate = np.where(unstable, rng.uniform(0.78, 0.9, n_sup), rng.uniform(0.9, 0.995, n_sup))
        n_cat = len(CATEGORIES)
        amplitude = rng.uniform(0.0, 0.5, n_cat)
        phase = rng.uniform(0, 52, n_cat)
        location_factor = np.array([1.0, 0.8, 0.65, 0.5, 0.45, 0.4, 0.35, 0.3])[: spec.locations]
        total_weeks = spec.weeks + self.future_weeks
        events = np.ones((spec.locations, total_weeks, n_cat), dtype=np.float32)
        sensitive = np.array([s for _, s in CATEGORIES])
        n_events = max(1, total_weeks // 8) * spec.locations
        for _ in range(n_events):  # a few dozen events: a loop over events, not over series
            region = rng.integers(spec.locations)
            start = rng.integers(total_weeks)
            length = rng.integers(1, 4)
            cats = rng.choice(np.flatnonzero(sensitive), size=rng.integers(1, 4), replace=False)
            events[region, start : start + length, cats] *= rng.uniform(2.0, 4.0)
        if not unstable.any() and n_sup > 1:
            # ~20% drift: a small network (the demo's 6 suppliers) still gets one, drawn from its own stream so
            # that every network which already had one is generated exactly as before
            extra = rng_for(spec.seed, "truth-drift")
            pick = int(extra.integers(n_sup))
            drift[pick] = extra.uniform(1.3, 1.8)
            fill_rate[pick] = extra.uniform(0.78, 0.9)
        return NetworkTruth(
            lt_mean, lt_mean * lt_cv, drift, fill_rate, amplitude, phase, location_factor, events
        )

    def locations(self) -> pd.DataFrame:
        spec = self.spec
        rows = []
        for i in range(spec.locations):
            region, tz = REGIONS[i]
            rows.append(
                {
                    "id": i + 1,
                    "source": SOURCE,
                    "external_id": f"LOC{i + 1}",
                    "code": f"WH{i + 1}",
                    "name": LOCATION_NAMES[i],
                    "kind": "warehouse" if i == 0 else "branch",
                    "region": region,
                    "time_zone": tz,
                    "shipping_cutoff": "16:00:00" if i == 0 else "15:00:00",
                }
            )
        return pd.DataFrame(rows)

    def suppliers(self) -> pd.DataFrame:
        spec, truth = self.spec, self.truth
        rng = rng_for(spec.seed, "suppliers")
        n = spec.n_suppliers
        ids = np.arange(1, n + 1)
        # Contracts are optimistic: the contracted lead time is 80-100% of the true mean.
        contracted = np.maximum(1, np.round(truth.supplier_lead_time_mean * rng.uniform(0.8, 1.0, n))).astype(
            int
        )
        return pd.DataFrame(
            {
                "id": ids,
                "source": SOURCE,
                "external_id": [f"SUP{i:04d}" for i in ids],
                "code": [f"S{i:04d}" for i in ids],
                "name": [f"Supplier {i:04d} Industrial" for i in ids],
                "currency": "USD",
                "edi_qualifier": "ZZ",
                "edi_interchange_id": [f"SUPP{i:04d}" for i in ids],
                "edi_group_id": [f"SUPP{i:04d}" for i in ids],
                "contracted_lead_time_days": contracted,
                "active": True,
            }
        )

    def service_tiers(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "id": i + 1,
                    "code": code,
                    "name": name,
                    "rank": rank,
                    "fill_promise": promise,
                    "penalty_per_late_line": per_line,
                    "penalty_rate": rate,
                }
                for i, (code, name, rank, promise, per_line, rate, _) in enumerate(TIERS)
            ]
        )

    @cached_property
    def _customer_draws(self) -> tuple[np.ndarray, np.ndarray]:
        """Each customer's service tier (1-based id) and home location (0-based index, its region's)."""
        rng = rng_for(self.spec.seed, "customers")
        n = self.spec.n_customers
        shares = np.array([t[6] for t in TIERS])
        tier = rng.choice(len(TIERS), size=n, p=shares / shares.sum()) + 1
        return tier, rng.integers(self.spec.locations, size=n)

    def customers(self) -> pd.DataFrame:
        spec = self.spec
        tier, home = self._customer_draws
        ids = np.arange(1, spec.n_customers + 1)
        regions = np.array([r for r, _ in REGIONS[: spec.locations]])
        return pd.DataFrame(
            {
                "id": ids,
                "source": SOURCE,
                "external_id": [f"CUST{i:05d}" for i in ids],
                "code": [f"C{i:05d}" for i in ids],
                "name": [f"Customer {i:05d}" for i in ids],
                "service_tier_id": tier,
                "region": regions[home],
            }
        )

    def customer_location(self) -> np.ndarray:
        """Each customer orders from the location of its region (0-based location index)."""
        return self._customer_draws[1]

    @cached_property
    def _contracted_lead_times(self) -> np.ndarray:
        return self.suppliers()["contracted_lead_time_days"].to_numpy()

    # --- item chunks --------------------------------------------------------------------------------------------
    def chunks(self) -> Iterator[dict[str, pd.DataFrame]]:
        for chunk_index, start in enumerate(range(0, self.spec.skus, ITEM_CHUNK)):
            stop = min(start + ITEM_CHUNK, self.spec.skus)
            yield self._chunk(chunk_index, start, stop)

    def demand_parameters(self, chunk_index: int, start: int, stop: int) -> dict[str, np.ndarray]:
        """The per-item and per-series demand process of one chunk (also used by the simulator)."""
        spec = self.spec
        rng = rng_for(spec.seed, "items", chunk_index)
        n_items = stop - start
        n_loc = spec.locations
        velocity_draw = rng.random(n_items)
        velocity = np.where(velocity_draw < 0.08, 2, np.where(velocity_draw < 0.30, 1, 0))  # 2 fast, 1 medium
        category = rng.integers(len(CATEGORIES), size=n_items)
        fast_rate = np.clip(rng.lognormal(np.log(20), 1.0, n_items), 3, 500)
        medium_rate = np.clip(rng.lognormal(np.log(1.5), 0.6, n_items), 0.4, 6)
        slow_probability = rng.uniform(0.03, 0.35, n_items)
        slow_size = rng.uniform(0.2, 3.0, n_items)  # mean extra units above 1 per occurrence
        noise = rng.lognormal(0, 0.3, (n_items, n_loc))
        factor = self.truth.location_factor[None, :] * noise
        weekly_rate = (
            np.where(velocity == 2, fast_rate, np.where(velocity == 1, medium_rate, 0.0))[:, None] * factor
        )
        occurrence = np.clip(slow_probability[:, None] * factor, 0.005, 0.9)
        promo_eligible = velocity >= 1
        new_series = rng.random((n_items, n_loc))
        # 1% of SKU-locations have no history at all, 4% started recently.
        history_weeks = np.where(
            new_series < 0.01,
            0,
            np.where(new_series < 0.05, rng.integers(1, 26, (n_items, n_loc)), spec.weeks),
        )
        history_weeks = np.minimum(history_weeks, spec.weeks)
        cost = np.round(np.clip(rng.lognormal(np.log(12), 1.2, n_items), 0.05, 5_000), 2)
        markup = rng.uniform(1.2, 1.8, n_items)
        return {
            "velocity": velocity,
            "category": category,
            "weekly_rate": weekly_rate,
            "occurrence": occurrence,
            "slow_size": slow_size,
            "promo_eligible": promo_eligible,
            "history_weeks": history_weeks,
            "unit_cost": cost,
            "unit_price": np.round(cost * markup, 2),
        }

    def demand_matrix(
        self, params: dict[str, np.ndarray], week_start: int, week_stop: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weekly demand (n_items, n_loc, weeks) and promotion flags (n_items, weeks) for weeks [start, stop)."""
        truth = self.truth
        n_weeks = week_stop - week_start
        velocity, category = params["velocity"], params["category"]
        n_items, n_loc = params["weekly_rate"].shape
        weeks = np.arange(week_start, week_stop)
        season = 1 + truth.category_amplitude[category][:, None] * np.sin(
            2 * np.pi * (weeks[None, :] + truth.category_phase[category][:, None]) / 52
        )  # (items, weeks)
        promo = (rng.random((n_items, n_weeks)) < 0.03) & params["promo_eligible"][:, None]
        uplift = np.where(promo, 1.8, 1.0)
        events = truth.event_multiplier[:, week_start:week_stop, :][:, :, category]  # (loc, weeks, items)
        events = np.transpose(events, (2, 0, 1))  # (items, loc, weeks)
        multiplier = (season * uplift)[:, None, :] * events
        rate = params["weekly_rate"][:, :, None] * multiplier
        # Fast and medium movers: negative binomial around the rate (dispersion r: variance = mu + mu^2 / r).
        dispersion = np.where(velocity == 2, 6.0, 1.5)[:, None, None]
        p = dispersion / (dispersion + np.maximum(rate, 1e-9))
        regular = rng.negative_binomial(np.broadcast_to(dispersion, rate.shape), p).astype(np.float32)
        # Slow movers: zero-inflated, an order occurs with probability q, size 1 + negative binomial.
        q = np.clip(params["occurrence"][:, :, None] * multiplier, 0, 0.95)
        occurs = rng.random(rate.shape) < q
        size_mean = params["slow_size"][:, None, None]
        size = 1 + rng.negative_binomial(1.0, 1.0 / (1.0 + size_mean), rate.shape)
        slow = np.where(occurs, size, 0).astype(np.float32)
        demand = np.where((velocity == 0)[:, None, None], slow, regular)
        return demand, promo

    def _chunk(self, chunk_index: int, start: int, stop: int) -> dict[str, pd.DataFrame]:
        spec = self.spec
        n_items = stop - start
        n_loc = spec.locations
        params = self.demand_parameters(chunk_index, start, stop)
        rng = rng_for(spec.seed, "chunk", chunk_index)
        item_ids = np.arange(start + 1, stop + 1)
        category = params["category"]

        items = pd.DataFrame(
            {
                "id": item_ids,
                "source": SOURCE,
                "external_id": [f"ITM{i:07d}" for i in item_ids],
                "sku": [f"SKU-{i:07d}" for i in item_ids],
                "description": [f"{CATEGORIES[c][0]} part {i:07d}" for c, i in zip(category, item_ids)],
                "family": [
                    f"{CATEGORIES[c][0][:4].upper()}-{f:02d}"
                    for c, f in zip(category, rng.integers(1, 13, n_items))
                ],
                "category": [CATEGORIES[c][0] for c in category],
                "base_uom": "EA",
                "unit_cost": params["unit_cost"],
                "unit_price": params["unit_price"],
                "attributes": "{}",
                "active": True,
            }
        )

        # Suppliers serve categories: supplier s serves category s % n_categories (and others by chance).
        n_sup = spec.n_suppliers
        candidates = rng.integers(n_sup, size=n_items)
        primary_supplier = candidates + 1
        pack = PACK_SIZES[rng.integers(len(PACK_SIZES), size=n_items)]
        moq = pack * rng.choice([1, 1, 1, 2, 4], size=n_items)
        supplier_items = pd.DataFrame(
            {
                "id": item_ids,
                "source": SOURCE,
                "external_id": [f"SI{i:07d}P" for i in item_ids],
                "supplier_id": primary_supplier,
                "item_id": item_ids,
                "supplier_part_number": [f"VP-{s:04d}-{i:07d}" for s, i in zip(primary_supplier, item_ids)],
                "purchase_uom": np.where(pack > 1, "CS", "EA"),
                "pack_size": pack,
                "moq": moq,
                "unit_cost": params["unit_cost"],
                "contracted_lead_time_days": None,
                "is_primary": True,
            }
        )
        has_second = rng.random(n_items) < 0.2
        second = (candidates[has_second] + 1 + rng.integers(n_sup - 1, size=has_second.sum())) % n_sup + 1
        second_ids = item_ids[has_second]
        supplier_items = pd.concat(
            [
                supplier_items,
                pd.DataFrame(
                    {
                        "id": spec.skus + second_ids,
                        "source": SOURCE,
                        "external_id": [f"SI{i:07d}S" for i in second_ids],
                        "supplier_id": second,
                        "item_id": second_ids,
                        "supplier_part_number": [f"VP-{s:04d}-{i:07d}" for s, i in zip(second, second_ids)],
                        "purchase_uom": "EA",
                        "pack_size": 1,
                        "moq": 0,
                        "unit_cost": np.round(params["unit_cost"][has_second] * 1.08, 2),
                        "contracted_lead_time_days": None,
                        "is_primary": False,
                    }
                ),
            ],
            ignore_index=True,
        )
        uoms = pd.DataFrame({"item_id": item_ids[pack > 1], "uom": "CS", "factor": pack[pack > 1]})
        substitutes_mask = rng.random(n_items) < 0.05
        substitutes = pd.DataFrame(
            {
                "from_item_id": item_ids[substitutes_mask],
                "to_item_id": np.clip(
                    item_ids[substitutes_mask] + rng.choice([-1, 1], substitutes_mask.sum()), start + 1, stop
                ),
            }
        )
        substitutes = substitutes[substitutes.from_item_id != substitutes.to_item_id]

        # Demand history: (items, loc, weeks), masked before each series' history start.
        demand, promo = self.demand_matrix(params, 0, spec.weeks, rng)
        week_index = np.arange(spec.weeks)
        first_observed = spec.weeks - params["history_weeks"]  # (items, loc)
        observed = week_index[None, None, :] >= first_observed[:, :, None]
        demand = np.where(observed, demand, 0)
        series_ids = (item_ids[:, None] - 1) * n_loc + np.arange(n_loc)[None, :] + 1  # (items, loc)
        keep = (demand > 0) | (promo[:, None, :] & observed)
        i_idx, l_idx, w_idx = np.nonzero(keep)
        week_dates = pd.to_datetime(spec.first_week) + pd.to_timedelta(w_idx * 7, unit="D")
        demand_rows = pd.DataFrame(
            {
                "item_location_id": series_ids[i_idx, l_idx],
                "period_start": week_dates.date,
                "quantity": demand[i_idx, l_idx, w_idx].astype(np.int64),
                "promotion": promo[i_idx, w_idx],
            }
        )

        # Static min/max the naive way: first-year average, 1.5 x lead-time demand, + 8 weeks; never revisited.
        first_year = min(spec.weeks, 52)
        avg_weekly_first_year = demand[:, :, :first_year].sum(axis=2) / np.maximum(
            np.minimum(params["history_weeks"], first_year), 1
        )
        contracted = self._contracted_lead_times[primary_supplier - 1]
        static_min = np.ceil(1.5 * avg_weekly_first_year / 7 * contracted[:, None])
        static_max = static_min + np.ceil(8 * avg_weekly_first_year)
        recent_weekly = demand[:, :, -13:].mean(axis=2)
        draw = rng.random((n_items, n_loc))
        on_hand = np.floor(static_min + rng.random((n_items, n_loc)) * (static_max - static_min + 1))
        on_hand = np.where(draw < 0.06, 0, np.where(draw > 0.95, on_hand * 3 + 5 * recent_weekly, on_hand))
        # 30% of SKU-locations sit in a bin sized by the warehouse on the larger of the ERP's max and 8 weeks of
        # recent movement (a SKU launched after the ERP's first year has a max of 0 but is slotted as it sells)
        bin_basis = np.maximum(static_max, np.ceil(8 * recent_weekly))
        capacity = np.where(
            rng.random((n_items, n_loc)) < 0.3, np.ceil(np.maximum(bin_basis, 1) * 4 + 20), np.nan
        )
        on_hand = np.where(np.isnan(capacity), on_hand, np.minimum(on_hand, capacity))
        buyer_slot = category % BUYERS_PER_NETWORK  # buyers own categories
        history_start = np.where(params["history_weeks"] > 0, first_observed, -1)

        # Open sales orders and backlog.
        customer_location = self.customer_location()
        n_cust = spec.n_customers
        expected_lines = np.minimum(
            np.where(params["weekly_rate"] > 0, params["weekly_rate"] / 3, params["occurrence"]), 3
        )
        n_lines = rng.poisson(expected_lines)
        si, sl = np.nonzero(n_lines)
        reps = n_lines[si, sl]
        line_item = np.repeat(si, reps)
        line_loc = np.repeat(sl, reps)
        n_so_lines = len(line_item)
        local_customers = [np.flatnonzero(customer_location == loc) for loc in range(n_loc)]
        customer = np.empty(n_so_lines, dtype=np.int64)
        for loc in range(n_loc):  # a loop over locations
            mask = line_loc == loc
            pool = local_customers[loc] if len(local_customers[loc]) else np.arange(n_cust)
            customer[mask] = pool[rng.integers(len(pool), size=mask.sum())]
        rate_of_line = np.maximum(params["weekly_rate"][line_item, line_loc], 1.0)
        qty = np.maximum(1, rng.poisson(np.minimum(rate_of_line, 50) / 2 + 0.5)).astype(np.int64)
        backlog = rng.random(n_so_lines) < 0.06
        requested_offset = np.where(
            backlog, -rng.integers(1, 15, n_so_lines), rng.integers(0, 15, n_so_lines)
        )
        # About four lines an order: a customer's lines at a location are split into order buckets.
        buckets = max(1, n_so_lines // max(1, n_cust) // 4)
        order_key = pd.DataFrame(
            {"customer": customer, "loc": line_loc, "bucket": rng.integers(buckets, size=n_so_lines)}
        )
        order_codes, order_uniques = pd.factorize(pd.MultiIndex.from_frame(order_key))
        n_orders = len(order_uniques)
        so_ids = self._so_number + np.arange(1, n_orders + 1)
        self._so_number += n_orders
        order_dates = [spec.as_of - timedelta(days=int(d)) for d in rng.integers(1, 20, n_orders)]
        sales_orders = pd.DataFrame(
            {
                "id": so_ids,
                "source": SOURCE,
                "external_id": [f"SO{i:08d}" for i in so_ids],
                "number": [f"SO{i:08d}" for i in so_ids],
                "customer_id": np.array([u[0] for u in order_uniques], dtype=np.int64) + 1,
                "location_id": np.array([u[1] for u in order_uniques], dtype=np.int64) + 1,
                "order_date": order_dates,
                "status": "open",
            }
        )
        line_number = pd.Series(order_codes).groupby(order_codes).cumcount().to_numpy() + 1
        so_line_ids = self._next_ids("_so_line_id", n_so_lines)
        price = params["unit_price"][line_item]
        sales_order_lines = pd.DataFrame(
            {
                "id": so_line_ids,
                "source": SOURCE,
                "external_id": [f"SOL{i}" for i in so_line_ids],
                "order_id": so_ids[order_codes],
                "line_number": line_number,
                "item_id": item_ids[line_item],
                "quantity_ordered": qty,
                "quantity_allocated": 0,
                "quantity_shipped": 0,
                "unit_price": price,
                "requested_ship_date": [spec.as_of + timedelta(days=int(d)) for d in requested_offset],
                "promised_ship_date": None,
                "status": np.where(backlog, "backordered", "open"),
            }
        )
        # Allocate open (not backordered) lines from on hand; backlog counts as backordered.
        backordered = np.zeros((n_items, n_loc))
        np.add.at(backordered, (line_item[backlog], line_loc[backlog]), qty[backlog])
        wanted = np.zeros((n_items, n_loc))
        np.add.at(wanted, (line_item[~backlog], line_loc[~backlog]), qty[~backlog])
        allocated = np.minimum(wanted, on_hand)  # per SKU-location; line-level allocation is the ERP's detail

        item_locations = pd.DataFrame(
            {
                "id": series_ids.ravel(),
                "source": SOURCE,
                "external_id": [f"IL{i:08d}" for i in series_ids.ravel()],
                "item_id": np.repeat(item_ids, n_loc),
                "location_id": np.tile(np.arange(1, n_loc + 1), n_items),
                "on_hand": on_hand.ravel().astype(np.int64),
                "allocated": allocated.ravel().astype(np.int64),
                "backordered": backordered.ravel().astype(np.int64),
                "static_min": static_min.ravel().astype(np.int64),
                "static_max": static_max.ravel().astype(np.int64),
                "capacity": pd.array(np.where(np.isnan(capacity), pd.NA, capacity).ravel(), dtype="Int64"),
                "buyer_slot": np.repeat(buyer_slot, n_loc),
                "history_start": [
                    None if h < 0 else spec.first_week + timedelta(weeks=int(h))
                    for h in history_start.ravel()
                ],
            }
        )

        po_frames = self._purchase_orders(
            rng, params, item_ids, primary_supplier, pack, moq, on_hand, static_min, static_max, contracted
        )
        receipts = self._receipts(rng, params, item_ids, primary_supplier, series_ids, contracted)
        transfers = self._transfers(rng, params, item_ids)
        return {
            "items": items,
            "supplier_items": supplier_items,
            "uoms": uoms,
            "substitutes": substitutes,
            "item_locations": item_locations,
            "demand": demand_rows,
            "sales_orders": sales_orders,
            "sales_order_lines": sales_order_lines,
            "receipts": receipts,
            "transfers": transfers,
            **po_frames,
        }
