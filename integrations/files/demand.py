"""Demand history: the long format (one row per SKU-location and week), optionally creating what is missing."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pandas as pd
from django.conf import settings

from replenish import models as m
from replenish.calendar import monday_of

from .. import quality
from .apply import BATCH, ImportContext, _unknown, _upsert


def prepare_demand(frame, ctx, problems):
    frame["item_id"] = ctx.resolver.item_ids(frame["sku"].astype(str))
    frame["location_id"] = ctx.resolver.location_ids(frame["location"].astype(str))
    if not ctx.create_missing:
        _unknown(problems, frame, frame["item_id"], "sku", "SKU (use --create-missing to create it)")
        _unknown(
            problems, frame, frame["location_id"], "location", "location (use --create-missing to create it)"
        )
    frame["period_start"] = [monday_of(d) if d is not None else None for d in frame["period"]]
    keys = frame[["sku", "location", "period_start"]].astype(str)
    dup = keys.duplicated(keep=False).to_numpy()
    if dup.any():
        first: dict = {}
        for row, key in zip(keys.index[dup], keys[dup].itertuples(index=False, name=None)):
            if key in first and str(frame.loc[row, "period"]) != str(frame.loc[first[key], "period"]):
                problems.add(
                    row,
                    "period",
                    f"{frame.loc[row, 'period']} falls in the week of {key[2]}, like "
                    f"{frame.loc[first[key], 'period']} in row {first[key]}: one row a "
                    f"week per SKU-location",
                )
            first.setdefault(key, row)


def _create_missing_network(frame: pd.DataFrame, ctx: ImportContext) -> dict:
    created = {"items_created": 0, "locations_created": 0}
    missing_locations = sorted(set(frame.loc[frame["location_id"].isna(), "location"]))
    if missing_locations:
        m.Location.objects.bulk_create(
            [
                m.Location(
                    code=code,
                    name=code,
                    source=ctx.source,
                    external_id=code,
                    time_zone=settings.TIME_ZONE,
                    shipping_cutoff=time(15),
                )
                for code in missing_locations
            ]
        )
        created["locations_created"] = len(missing_locations)
        ctx.resolver.forget("location")
        frame["location_id"] = ctx.resolver.location_ids(frame["location"].astype(str))
    missing_items = sorted(set(frame.loc[frame["item_id"].isna(), "sku"]))
    if missing_items:
        marker = {"created_by_import": ctx.label, "needs_master_data": True}
        if ctx.options.get("format") == "wide-monthly":
            marker["demand_period"] = "month"
        m.Item.objects.bulk_create(
            [
                m.Item(
                    sku=sku,
                    description=f"{sku} (created by the import of {ctx.label})"[:200],
                    family="Imported",
                    category="Imported",
                    unit_cost=Decimal(0),
                    unit_price=Decimal(0),
                    attributes=marker,
                    source=ctx.source,
                    external_id=sku,
                )
                for sku in missing_items
            ],
            batch_size=BATCH,
        )
        created["items_created"] = len(missing_items)
        ctx.resolver.forget("item")
        frame["item_id"] = ctx.resolver.item_ids(frame["sku"].astype(str))
        created_ids = frame.loc[frame["sku"].isin(missing_items), "item_id"].dropna().astype(int).unique()
        ctx.issues += quality.gate_item_costs(created_ids)
        ctx.notes.append(
            f"created {len(missing_items)} item(s) flagged created_by_import (unit cost 0: each is a zero-cost "
            f"data-quality issue until its master data is loaded)"
        )
    return created


def apply_demand(frame, ctx):
    created = _create_missing_network(frame, ctx) if ctx.create_missing else {}
    pairs = frame[["item_id", "location_id"]].astype(int).drop_duplicates()
    first_period = frame.groupby([frame["item_id"].astype(int), frame["location_id"].astype(int)])[
        "period_start"
    ].min()
    existing = _existing_item_locations(pairs)
    new_pairs = [(i, loc) for i, loc in pairs.itertuples(index=False, name=None) if (i, loc) not in existing]
    if new_pairs:
        skus = dict(m.Item.objects.filter(pk__in=[i for i, _l in new_pairs]).values_list("pk", "sku"))
        codes = dict(m.Location.objects.values_list("pk", "code"))
        m.ItemLocation.objects.bulk_create(
            [
                m.ItemLocation(
                    item_id=i,
                    location_id=loc,
                    source=ctx.source,
                    external_id=f"{skus[i]}@{codes[loc]}"[:64],
                    history_start=first_period[(i, loc)],
                )
                for i, loc in new_pairs
            ],
            batch_size=BATCH,
        )
        existing = _existing_item_locations(pairs)
    frame["item_location_id"] = [
        existing[(int(i), int(loc))] for i, loc in zip(frame["item_id"], frame["location_id"])
    ]
    _extend_history_start(existing, first_period)
    # Sparse storage: a week without a row had zero demand, so a zero removes the row (if there is one).
    zero = (frame["quantity"].astype(int) == 0) & ~frame["promotion"].astype(bool)
    zero_keys = set(frame.loc[zero, ["item_location_id", "period_start"]].itertuples(index=False, name=None))
    removed = 0
    if zero_keys:
        stored = _stored_demand({il for il, _p in zero_keys})
        doomed = [pk for key, pk in stored.items() if key in zero_keys]
        for start in range(0, len(doomed), 5_000):
            removed += m.DemandHistory.objects.filter(pk__in=doomed[start : start + 5_000]).delete()[0]
    rows = frame.loc[~zero]
    _upsert(
        m.DemandHistory,
        [
            m.DemandHistory(item_location_id=int(il), period_start=p, quantity=int(q), promotion=bool(promo))
            for il, p, q, promo in rows[
                ["item_location_id", "period_start", "quantity", "promotion"]
            ].itertuples(index=False, name=None)
        ],
        unique=["item_location", "period_start"],
        update=["quantity", "promotion"],
    )
    ctx.item_location_ids |= set(existing.values())
    return {
        "rows": len(frame),
        "demand_rows_written": len(rows),
        "zero_rows_removed": removed,
        "sku_locations_created": len(new_pairs),
        **created,
    }


def _stored_demand(item_location_ids: set[int]) -> dict[tuple[int, date], int]:
    ids = sorted(item_location_ids)
    stored = {}
    for start in range(0, len(ids), 5_000):
        for pk, il, period in m.DemandHistory.objects.filter(
            item_location_id__in=ids[start : start + 5_000]
        ).values_list("pk", "item_location_id", "period_start"):
            stored[(il, period)] = pk
    return stored


def _existing_item_locations(pairs: pd.DataFrame) -> dict[tuple[int, int], int]:
    wanted = set(pairs.itertuples(index=False, name=None))
    items = sorted({i for i, _l in wanted})
    found = {}
    for start in range(0, len(items), 5_000):
        for pk, i, loc in m.ItemLocation.objects.filter(item_id__in=items[start : start + 5_000]).values_list(
            "pk", "item_id", "location_id"
        ):
            if (i, loc) in wanted:
                found[(i, loc)] = pk
    return found


def _extend_history_start(existing: dict[tuple[int, int], int], first_period: pd.Series) -> None:
    """history_start moves earlier when older history arrives (never later: that would invent zero weeks)."""
    starts = dict(
        m.ItemLocation.objects.filter(pk__in=list(existing.values())).values_list("pk", "history_start")
    )
    changed = []
    for key, pk in existing.items():
        first = first_period.get(key)
        if first is not None and (starts.get(pk) is None or first < starts[pk]):
            changed.append(m.ItemLocation(pk=pk, history_start=first))
    m.ItemLocation.objects.bulk_update(changed, ["history_start"], batch_size=BATCH)
