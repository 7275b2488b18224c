"""The inbox handler of Tryton pages (kind `tryton.<entity>`): translate, hold back bad records, apply the rest.

The page as Tryton sent it is the inbox message. Translation (translate.py) turns it into DistOps rows and names
the records a quality gate stopped; rows that name a code DistOps does not have (an item held back earlier, a
supplier not pulled yet) are held back too. Each held record opens a data-quality issue with its reason; the rest
of the page is applied through the same importers as files (with their own gates: zero cost, lead-time outliers,
contradictory units). A held record that comes back fixed resolves its issue. Order points set the SKU-locations'
static min/max (the ERP's baseline the simulator compares DistOps with).
"""

from __future__ import annotations

import pandas as pd
from django.db.models import Q
from django.utils import timezone

from replenish import models as m

from ...files.apply import ImportContext
from ...files.importers import import_table
from ...files.reader import records_table
from ...inbound import IssueSpec, Outcome, Rejected, register
from ...models import DataQualityIssue, InboxMessage
from ...normalize import Resolver
from ..sync import ERP_SOURCE, _advance_cursor
from . import conf
from .client import loads
from .translate import Held
from .translators import translate

GATE_CODES = ("unmapped_code", "missing_supplier", "no_uom_conversion", "negative_quantity", "unknown_state")
# Columns naming a reference, per import kind (a row whose reference is unknown is held back, not the page).
REFERENCES = {
    "supplier_items": ("supplier", "sku"),
    "balances": ("sku", "location"),
    "open_purchase_orders": ("supplier", "location", "sku"),
    "open_sales_orders": ("customer", "location", "sku"),
    "order_points": ("sku", "location"),
}
RESOLVE = {
    "sku": "item_ids",
    "location": "location_ids",
    "supplier": "supplier_ids",
    "customer": "customer_ids",
}
WHAT = {"sku": "item", "location": "location", "supplier": "supplier", "customer": "customer"}


def fingerprint(held: Held) -> str:
    return f"tryton:{held.code}:{held.ref}"[:200]


def _known(kind: str, rows: list[dict], resolver: Resolver) -> tuple[list[dict], list[Held]]:
    """Rows whose references all exist here, and the others held back (naming the first unknown code)."""
    columns = REFERENCES.get(kind, ())
    if not columns or not rows:
        return rows, []
    frame = pd.DataFrame(rows)
    unknown = pd.Series(False, index=frame.index)
    first: dict[int, str] = {}
    for column in columns:
        missing = getattr(resolver, RESOLVE[column])(frame[column].astype(str)).isna()
        for index in frame.index[missing & ~unknown]:
            first[index] = column
        unknown |= missing
    kept = [row for index, row in enumerate(rows) if not unknown.iloc[index]]
    held = []
    for index, column in sorted(first.items()):
        row = rows[index]
        ref = f"{kind}:{row.get('external_id') or '|'.join(str(row.get(c)) for c in columns)}"
        held.append(
            Held(
                "unmapped_code",
                ref,
                f"Tryton's {kind.replace('_', ' ')} row {_row_name(row, columns)} names {WHAT[column]} "
                f"'{row[column]}', which DistOps does not have (held back by a quality gate, or not pulled yet): "
                f"the row is held back.",
                sku=row.get("sku"),
                location=row.get("location"),
                supplier=row.get("supplier"),
            )
        )
    return kept, held


def _row_name(row: dict, columns: tuple[str, ...]) -> str:
    if row.get("po_number"):
        return f"{row['po_number']} line {row['line']}"
    if row.get("order_number"):
        return f"{row['order_number']} line {row['line']}"
    return "/".join(str(row.get(c)) for c in columns)


def _issue(held: Held, resolver: Resolver) -> IssueSpec:
    def one(method: str, code: str | None) -> int | None:
        if not code:
            return None
        value = getattr(resolver, method)(pd.Series([code])).iloc[0]
        return None if pd.isna(value) else int(value)

    return IssueSpec(
        code=held.code,
        message=held.message,
        fingerprint=fingerprint(held),
        item_id=one("item_ids", held.sku),
        location_id=one("location_ids", held.location),
        supplier_id=one("supplier_ids", held.supplier),
        details={"source": "tryton", "record": held.ref},
    )


def _resolve_passed(refs: set[str], failing: set[str]) -> int:
    candidates = {f"tryton:{code}:{ref}"[:200] for ref in refs for code in GATE_CODES} - failing
    if not candidates:
        return 0
    return DataQualityIssue.objects.filter(
        Q(fingerprint__in=candidates), status=DataQualityIssue.Status.OPEN
    ).update(status=DataQualityIssue.Status.RESOLVED, resolved_at=timezone.now())


def _tier_ensure(code: str) -> None:
    m.ServiceTier.objects.get_or_create(
        code=code, defaults={"name": f"{code} (from Tryton)", "rank": 9, "fill_promise": "0.9500"}
    )


def apply_order_points(rows: list[dict], ctx: ImportContext) -> dict:
    """Set the SKU-locations' static min/max to Tryton's order points (creating missing SKU-locations)."""
    frame = pd.DataFrame(rows)
    frame["item_id"] = ctx.resolver.item_ids(frame["sku"].astype(str))
    frame["location_id"] = ctx.resolver.location_ids(frame["location"].astype(str))
    existing = {
        (il.item_id, il.location_id): il
        for il in m.ItemLocation.objects.filter(
            item_id__in=[int(i) for i in frame["item_id"]],
            location_id__in=[int(i) for i in frame["location_id"]],
        )
    }
    changed, created = [], []
    for row in frame.itertuples(index=False):
        key = (int(row.item_id), int(row.location_id))
        il = existing.get(key)
        if il is None:
            created.append(
                m.ItemLocation(
                    item_id=key[0],
                    location_id=key[1],
                    source=ctx.source,
                    external_id=f"{row.sku}@{row.location}"[:64],
                    static_min=int(row.static_min),
                    static_max=int(row.static_max),
                )
            )
        elif (il.static_min, il.static_max) != (int(row.static_min), int(row.static_max)):
            il.static_min, il.static_max = int(row.static_min), int(row.static_max)
            changed.append(il)
    m.ItemLocation.objects.bulk_create(created, batch_size=1000)
    m.ItemLocation.objects.bulk_update(changed, ["static_min", "static_max", "updated_at"], batch_size=1000)
    ctx.item_location_ids |= {il.pk for il in changed}
    ctx.item_location_ids |= (
        set(
            m.ItemLocation.objects.filter(
                item_id__in=[il.item_id for il in created], location_id__in=[il.location_id for il in created]
            ).values_list("pk", flat=True)
        )
        if created
        else set()
    )
    return {"rows": len(rows), "sku_locations_created": len(created), "min_max_changed": len(changed)}


def _without_new_zero_balances(rows: list[dict], resolver: Resolver) -> list[dict]:
    """A zero stock where DistOps has no SKU-location is not a SKU-location to plan: it is left out."""
    zero = [r for r in rows if r["on_hand"] == 0]
    if not zero:
        return rows
    frame = pd.DataFrame(zero)
    items, places = (
        resolver.item_ids(frame["sku"].astype(str)),
        resolver.location_ids(frame["location"].astype(str)),
    )
    pairs = set(
        m.ItemLocation.objects.filter(
            item_id__in=[int(i) for i in items], location_id__in=[int(i) for i in places]
        ).values_list("item_id", "location_id")
    )
    keep = {(r["sku"], r["location"]) for r, i, p in zip(zero, items, places) if (int(i), int(p)) in pairs}
    return [r for r in rows if r["on_hand"] != 0 or (r["sku"], r["location"]) in keep]


@register("tryton.")
def handle_tryton_page(message: InboxMessage, _context) -> Outcome:
    entity = message.kind.split(".", 1)[1]
    try:
        records = loads(message.payload)["records"]
        result = translate(entity, records, service_tier=conf.service_tier())
    except (ValueError, KeyError, TypeError) as exc:
        raise Rejected(f"the Tryton page of {entity} cannot be read: {exc}") from exc
    resolver = Resolver(ERP_SOURCE)
    ctx = ImportContext(source=ERP_SOURCE, resolver=resolver, present=set(), label=f"Tryton {entity} page")
    held, applied = list(result.held), {}
    for kind, table_rows in result.tables:
        if kind == "customers" and table_rows:
            _tier_ensure(conf.service_tier())
        rows, unknown = _known(kind, table_rows, resolver)
        held += unknown
        if kind == "balances":
            rows = _without_new_zero_balances(rows, resolver)
        if not rows:
            continue
        if kind == "order_points":
            applied[kind] = apply_order_points(rows, ctx)
        else:
            applied[kind] = import_table(kind, records_table(rows), ctx, what=f"the Tryton page of {entity}")
        for name in ("item", "location", "supplier", "customer"):
            resolver.forget(name)
    issues = [_issue(h, resolver) for h in held]
    resolved = _resolve_passed(result.refs, {s.fingerprint for s in issues})
    _advance_cursor(entity, message.meta.get("cursor"), message.meta.get("next_cursor"))
    return Outcome(
        summary={
            "entity": entity,
            "records": len(records),
            "applied": applied,
            "held": [h.message for h in held],
            "issues_resolved": resolved,
            "notes": result.notes + ctx.notes,
        },
        issues=ctx.issues + issues,
        item_location_ids=ctx.item_location_ids,
    )
