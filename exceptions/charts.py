"""The projected-inventory chart of one SKU-location (data for Chart.js, computed with numpy).

Available today (on hand - allocated - backordered) plus inbound supply on its expected arrival (the ASN date when
one is in transit, else the acknowledged, else the promised date; transfers on their expected arrival), minus the
forecast day by day. The band is the forecast's 80 % interval widening with the square root of time
(daily sd = weekly sd / sqrt(7)); the reorder point and the projected stockout date are drawn for reference.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from django.utils import timezone

from .wording import parse_day

Z_80 = 1.2816  # two-sided 80 % normal interval


def projection_chart(*, exception, plan, po_lines, transfers, horizon_days: int | None = None) -> dict:
    il = exception.item_location
    as_of_text = (exception.explanation or {}).get("as_of")

    start = parse_day(as_of_text) or timezone.localdate()
    lead = float(plan.lead_time_mean or 14)
    horizon = horizon_days or int(min(max(2 * lead + 14, 35), 120))
    days = np.arange(horizon)
    daily = max(float(plan.forecast_weekly or 0.0), 0.0) / 7.0
    daily_sd = max(float(plan.forecast_sd_weekly or 0.0), 0.0) / np.sqrt(7.0)
    inbound = np.zeros(horizon)
    for line in po_lines:
        arrival = getattr(line, "arrival", None) or line.promised_date
        offset = max((arrival - start).days, 0)
        if offset < horizon:
            inbound[offset] += max(line.quantity_ordered - line.quantity_received, 0)
    for transfer in transfers:
        offset = max((transfer.expected_arrival - start).days, 0)
        if offset < horizon:
            inbound[offset] += transfer.quantity
    available = float(il.on_hand - il.allocated - il.backordered)
    projected = available + np.cumsum(inbound) - daily * (days + 1)
    spread = Z_80 * daily_sd * np.sqrt(days + 1)
    stockout = plan.projected_stockout_date
    return {
        "labels": [(start + timedelta(days=int(d))).isoformat() for d in days],
        "projected": np.round(projected, 1).tolist(),
        "upper": np.round(projected + spread, 1).tolist(),
        "lower": np.round(projected - spread, 1).tolist(),
        "inbound": inbound.tolist(),
        "reorder_point": round(float(plan.reorder_point), 1),
        "stockout": stockout.isoformat() if stockout else None,
        "available": available,
    }
