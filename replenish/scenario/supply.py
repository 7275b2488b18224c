"""The scenario's open supply and its history: open purchase orders with their ASNs, past receipts, transfers.

Split from ``generate``: ``ScenarioGenerator`` draws these per item chunk through this mixin, which numbers the
documents with the generator's running counters so that ids stay unique across chunks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .reference import SOURCE

if TYPE_CHECKING:
    from .spec import NetworkTruth, ScenarioSpec


class OpenSupplyDraws:
    spec: ScenarioSpec
    truth: NetworkTruth
    _po_number: int
    _shipment_id: int
    _transfer_number: int

    def _next_ids(self, counter: str, n: int) -> np.ndarray:
        first = getattr(self, counter)
        setattr(self, counter, first + n)
        return np.arange(first + 1, first + n + 1, dtype=np.int64)

    def _purchase_orders(
        self, rng, params, item_ids, supplier, pack, moq, on_hand, static_min, static_max, contracted
    ) -> dict[str, pd.DataFrame]:
        spec = self.spec
        n_items, n_loc = on_hand.shape
        active = params["history_weeks"] > 0
        # The ERP reordered when on hand fell to min: those SKU-locations (and some others) have an open PO line.
        has_po = active & ((on_hand <= static_min) | (rng.random((n_items, n_loc)) < 0.12))
        pi, pl = np.nonzero(has_po)
        n = len(pi)
        lead = contracted[pi]
        age = (rng.random(n) * lead).astype(np.int64)
        order_dates = np.array([spec.as_of - timedelta(days=int(a)) for a in age])
        raw_qty = np.maximum(static_max[pi, pl] - static_min[pi, pl], 1)
        qty = np.maximum(np.ceil(raw_qty / pack[pi]) * pack[pi], moq[pi]).astype(np.int64)
        promised = np.array([d + timedelta(days=int(lt)) for d, lt in zip(order_dates, lead)])
        key = pd.DataFrame({"supplier": supplier[pi], "loc": pl, "age": age // 3})
        codes, uniques = pd.factorize(pd.MultiIndex.from_frame(key))
        n_po = len(uniques)
        po_ids = self._po_number + np.arange(1, n_po + 1)
        self._po_number += n_po
        first_line = pd.Series(np.arange(n)).groupby(codes).first().to_numpy()
        purchase_orders = pd.DataFrame(
            {
                "id": po_ids,
                "source": SOURCE,
                "external_id": [f"PO{i:08d}" for i in po_ids],
                "number": [f"PO{i:08d}" for i in po_ids],
                "supplier_id": supplier[pi][first_line],
                "location_id": pl[first_line] + 1,
                "order_date": order_dates[first_line],
                "status": "open",
            }
        )
        line_number = pd.Series(codes).groupby(codes).cumcount().to_numpy() + 1
        pol_ids = self._next_ids("_po_line_id", n)
        po_lines = pd.DataFrame(
            {
                "id": pol_ids,
                "source": SOURCE,
                "external_id": [f"POL{i}" for i in pol_ids],
                "order_id": po_ids[codes],
                "line_number": line_number,
                "item_id": item_ids[pi],
                "quantity_ordered": qty,
                "quantity_received": 0,
                "unit_cost": params["unit_cost"][pi],
                "promised_date": promised,
                "acknowledged_date": None,
                "status": "open",
            }
        )
        # ASNs: a PO older than ~60% of its lead time has shipped. ~20% of shipments arrive after the promised date
        # (more for drifting suppliers).
        po_age = age[first_line]
        po_lead = lead[first_line]
        shipped = po_age >= 0.6 * po_lead
        drift = self.truth.supplier_drift[purchase_orders["supplier_id"].to_numpy() - 1]
        late_probability = np.where(drift > 1.0, 0.5, 0.12)
        late = shipped & (rng.random(n_po) < late_probability)
        transit = rng.integers(2, 6, n_po)
        ship_dates = np.array(
            [d + timedelta(days=int(a * 0.6)) for d, a in zip(order_dates[first_line], po_lead)]
        )
        promised_po = promised[first_line]
        delay = rng.integers(3, 15, n_po)
        arrival = np.array(
            [
                p + timedelta(days=int(d)) if is_late else max(min(p, s + timedelta(days=int(t))), spec.as_of)
                for p, s, t, d, is_late in zip(promised_po, ship_dates, transit, delay, late)
            ]
        )
        ship_po = np.flatnonzero(shipped)
        shipment_ids = self._shipment_id + np.arange(1, len(ship_po) + 1)
        self._shipment_id += len(ship_po)
        shipments = pd.DataFrame(
            {
                "id": shipment_ids,
                "source": SOURCE,
                "external_id": [f"ASN{i:08d}" for i in shipment_ids],
                "number": [f"ASN{i:08d}" for i in shipment_ids],
                "supplier_id": purchase_orders["supplier_id"].to_numpy()[ship_po],
                "location_id": purchase_orders["location_id"].to_numpy()[ship_po],
                "ship_date": ship_dates[ship_po],
                "expected_arrival": arrival[ship_po],
                "carrier": "LTL Freight",
                "status": "in_transit",
            }
        )
        shipment_of_po = np.zeros(n_po, dtype=np.int64)
        shipment_of_po[ship_po] = shipment_ids
        line_shipment = shipment_of_po[codes]
        shipped_lines = line_shipment > 0
        shipment_lines = pd.DataFrame(
            {
                "id": pol_ids[shipped_lines],
                "source": SOURCE,
                "external_id": [f"ASNL{i}" for i in pol_ids[shipped_lines]],
                "shipment_id": line_shipment[shipped_lines],
                "po_line_id": pol_ids[shipped_lines],
                "quantity_shipped": qty[shipped_lines],
            }
        )
        purchase_orders.loc[shipped, "status"] = "acknowledged"
        return {
            "purchase_orders": purchase_orders,
            "purchase_order_lines": po_lines,
            "shipments": shipments,
            "shipment_lines": shipment_lines,
        }

    def _receipts(self, rng, params, item_ids, supplier, series_ids, contracted) -> pd.DataFrame:
        """Historical receipts: lead times drawn from the supplier's true distribution (drifting at the end)."""
        spec, truth = self.spec, self.truth
        n_items, n_loc = series_ids.shape
        per_series = np.where(params["velocity"] == 2, 8, np.where(params["velocity"] == 1, 4, 1))[:, None]
        count = np.where(params["history_weeks"] > 8, rng.poisson(per_series * np.ones((n_items, n_loc))), 0)
        ri, rl = np.nonzero(count)
        reps = count[ri, rl]
        ri, rl = np.repeat(ri, reps), np.repeat(rl, reps)
        n = len(ri)
        sup = supplier[ri] - 1
        days_ago = rng.integers(14, spec.weeks * 7, n)
        recent = days_ago < 91
        mean = truth.supplier_lead_time_mean[sup] * np.where(recent, truth.supplier_drift[sup], 1.0)
        sd = truth.supplier_lead_time_sd[sup]
        shape = (mean / sd) ** 2
        lead_time = np.maximum(1, np.round(rng.gamma(shape, mean / shape))).astype(np.int64)
        received = np.array([spec.as_of - timedelta(days=int(d)) for d in days_ago])
        ordered = np.array([r - timedelta(days=int(lt)) for r, lt in zip(received, lead_time)])
        ids = self._next_ids("_receipt_id", n)
        qty = np.maximum(1, np.round(np.maximum(params["weekly_rate"][ri, rl], 1) * 4)).astype(np.int64)
        return pd.DataFrame(
            {
                "id": ids,
                "source": SOURCE,
                "external_id": [f"RCV{i}" for i in ids],
                "po_line_id": None,
                "supplier_id": sup + 1,
                "item_id": item_ids[ri],
                "location_id": rl + 1,
                "quantity": qty,
                "order_date": ordered,
                "received_date": received,
            }
        )

    def _transfers(self, rng, params, item_ids) -> pd.DataFrame:
        spec = self.spec
        if spec.locations < 2:
            return pd.DataFrame()
        n_items = len(item_ids)
        pick = np.flatnonzero((params["velocity"] >= 1) & (rng.random(n_items) < 0.01))
        n = len(pick)
        from_loc = rng.integers(spec.locations, size=n)
        to_loc = (from_loc + 1 + rng.integers(spec.locations - 1, size=n)) % spec.locations
        ids = self._transfer_number + np.arange(1, n + 1)
        self._transfer_number += n
        ship = [spec.as_of - timedelta(days=int(d)) for d in rng.integers(0, 3, n)]
        return pd.DataFrame(
            {
                "id": ids,
                "source": SOURCE,
                "external_id": [f"TO{i:07d}" for i in ids],
                "number": [f"TO{i:07d}" for i in ids],
                "item_id": item_ids[pick],
                "from_location_id": from_loc + 1,
                "to_location_id": to_loc + 1,
                "quantity": np.maximum(1, np.round(params["weekly_rate"][pick, to_loc])).astype(np.int64),
                "ship_date": ship,
                "expected_arrival": [s + timedelta(days=2) for s in ship],
                "status": "in_transit",
            }
        )
