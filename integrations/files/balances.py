"""Balances (on hand per SKU-location) at bulk speed: COPY into a temporary table, then one UPDATE ... FROM.

900,000 rows a night is the normal case, so no row goes through the ORM: the validated frame is copied into a
temporary table (PostgreSQL COPY; executemany on SQLite), missing SKU-locations are inserted with one
INSERT ... SELECT, and balances change with one UPDATE ... FROM that touches only rows whose figures differ (a
replayed file writes nothing) and returns their ids for the re-plan of only those SKU-locations.
"""

from __future__ import annotations

import time

import pandas as pd
from django.db import connection
from django.utils import timezone

from replenish.bulk import copy_frame, is_postgres

from .apply import ImportContext, base_quantities, resolve_items, resolve_locations
from .validate import Problems

TEMP = "integrations_balance_load"
QUANTITIES = ("on_hand", "allocated", "backordered")
SIGNAL_IDS_MAX = 200_000  # above this a balance load reports "the whole network" instead of a list of ids


def prepare_balances(frame: pd.DataFrame, ctx: ImportContext, problems: Problems) -> None:
    resolve_items(frame, ctx, problems)
    resolve_locations(frame, ctx, problems)
    base_quantities(frame, ctx, problems, [c for c in QUANTITIES if c in ctx.present])


def apply_balances(frame: pd.DataFrame, ctx: ImportContext) -> dict:
    given = [c for c in QUANTITIES if c in ctx.present]
    load = pd.DataFrame(
        {
            "item_id": frame["item_id"].astype("int64").to_numpy(),
            "location_id": frame["location_id"].astype("int64").to_numpy(),
            **{
                c: pd.to_numeric(frame[c], errors="coerce").fillna(0).astype("int64").to_numpy()
                for c in QUANTITIES
            },
        }
    )
    now = timezone.now()
    q = connection.ops.quote_name
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        seconds[name] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TEMP} (item_id bigint NOT NULL, location_id bigint NOT NULL, "
            f"on_hand integer NOT NULL, allocated integer NOT NULL, backordered integer NOT NULL)"
        )
        _load(cursor, load)
        if is_postgres():
            cursor.execute(f"ANALYZE {TEMP}")
        lap("load")
        cursor.execute(
            f"INSERT INTO replenish_itemlocation (source, external_id, updated_at, item_id, location_id, on_hand, "
            f"allocated, backordered, static_min, static_max) "
            f"SELECT %s, i.sku || '@' || l.code, %s, t.item_id, t.location_id, t.on_hand, t.allocated, "
            f"t.backordered, 0, 0 FROM {TEMP} t JOIN replenish_item i ON i.id = t.item_id "
            f"JOIN replenish_location l ON l.id = t.location_id WHERE NOT EXISTS (SELECT 1 FROM "
            f"replenish_itemlocation il WHERE il.item_id = t.item_id AND il.location_id = t.location_id) "
            f"RETURNING id",
            [ctx.source, now],
        )
        created_ids = [row[0] for row in cursor.fetchall()]
        lap("insert_new")
        assignments = ", ".join(f"{q(c)} = t.{c}" for c in given)
        differs = " OR ".join(f"il.{c} <> t.{c}" for c in given)
        cursor.execute(
            f"UPDATE replenish_itemlocation AS il SET {assignments}, updated_at = %s FROM {TEMP} AS t "
            f"WHERE il.item_id = t.item_id AND il.location_id = t.location_id AND ({differs}) RETURNING id",
            [now],
        )
        changed_ids = [row[0] for row in cursor.fetchall()]
        lap("update")
        cursor.execute(f"DROP TABLE {TEMP}")
    touched = set(created_ids) | set(changed_ids)
    if len(touched) <= SIGNAL_IDS_MAX:
        ctx.item_location_ids |= touched
    else:
        ctx.notes.append(f"{len(touched):,} SKU-locations changed: the whole network needs a re-plan")
    return {
        "rows": len(load),
        "sku_locations_created": len(created_ids) - len(set(created_ids) & set(changed_ids)),
        "balances_changed": len(set(changed_ids) - set(created_ids)),
        "unchanged": len(load) - len(touched),
        "columns": given,
        "seconds": seconds,
    }


def _load(cursor, load: pd.DataFrame) -> None:
    columns = ", ".join(load.columns)
    if is_postgres():
        copy_frame(cursor, TEMP, load)
    else:
        placeholders = ", ".join(["%s"] * len(load.columns))
        cursor.executemany(
            f"INSERT INTO {TEMP} ({columns}) VALUES ({placeholders})",
            [tuple(int(v) for v in row) for row in load.itertuples(index=False, name=None)],
        )
