"""Substitute SKUs for a shortage: declared substitutes first (Item.substitutes), then items of the same family
with the same attributes; available at the location, or by transfer from another location."""

from __future__ import annotations

from collections import defaultdict

from replenish import models as m

MAX_SUBSTITUTES = 5
FAMILY_CANDIDATES = 50


def substitutes_for(*, item_location: m.ItemLocation, units: int) -> list[dict]:
    """The substitutes of one SKU-location short by `units` (substitutes_for_many of one)."""
    return substitutes_for_many({item_location.pk: (item_location, units)})[item_location.pk]


def substitutes_for_many(wanted: dict[int, tuple[m.ItemLocation, int]]) -> dict[int, list[dict]]:
    """The substitutes per SKU-location id of (SKU-location with its item, units short): the same lists as one
    lookup each, read with one query for the declared substitutes, one per family and attributes, one for the
    candidates' stock (an exceptions refresh chunk looks up hundreds of SKU-locations)."""
    items = {il.item_id: il.item for il, _ in wanted.values()}
    skus: dict[int, str] = {}
    declared: dict[int, list[int]] = defaultdict(list)
    through = m.Item.substitutes.through
    for from_id, to_id, sku in (
        through.objects.filter(from_item_id__in=list(items), to_item__active=True)
        .order_by("to_item__sku")
        .values_list("from_item_id", "to_item_id", "to_item__sku")
    ):
        declared[from_id].append(to_id)
        skus[to_id] = sku
    # one query per family and attributes: its first active items by SKU, enough for any item's exclusions
    groups: dict[str, list[m.Item]] = defaultdict(list)
    for item in items.values():
        if item.family:
            groups[_group_key(item)].append(item)
    family_items: dict[str, list[int]] = {}
    for key, members in groups.items():
        item = members[0]
        room = FAMILY_CANDIDATES + 1 + max(len(declared.get(i.pk, [])) for i in members)
        rows = list(
            m.Item.objects.filter(family=item.family, attributes=item.attributes, active=True)
            .order_by("sku")
            .values_list("pk", "sku")[:room]
        )
        family_items[key] = [pk for pk, _ in rows]
        skus.update(rows)
    candidates: dict[int, list[tuple[int, str]]] = {}
    for item in items.values():
        own = declared.get(item.pk, [])
        excluded = {item.pk, *own}
        family = (
            [pk for pk in family_items[_group_key(item)] if pk not in excluded][:FAMILY_CANDIDATES]
            if item.family
            else []
        )
        candidates[item.pk] = [(pk, "declared substitute") for pk in own] + [
            (pk, "same family and attributes") for pk in family
        ]
    ids = {pk for rows in candidates.values() for pk, _ in rows}
    stock: dict[int, list[tuple[int, str, int]]] = {}
    if ids:
        for item_id, loc_id, code, on_hand, allocated in m.ItemLocation.objects.filter(
            item_id__in=list(ids)
        ).values_list("item_id", "location_id", "location__code", "on_hand", "allocated"):
            stock.setdefault(item_id, []).append((loc_id, code, max(on_hand - allocated, 0)))
    return {
        pk: _listed(candidates[il.item_id], stock, skus, il.location_id, units)
        for pk, (il, units) in wanted.items()
    }


def _group_key(item: m.Item) -> str:
    return f"{item.family}\x00{sorted(item.attributes.items()) if isinstance(item.attributes, dict) else item.attributes!r}"


def _listed(
    candidates: list[tuple[int, str]],
    stock: dict[int, list[tuple[int, str, int]]],
    skus: dict[int, str],
    location_id: int,
    units: int,
) -> list[dict]:
    out: list[dict] = []
    for pk, basis in candidates:
        rows = stock.get(pk, [])
        here = sum(q for loc, _c, q in rows if loc == location_id)
        elsewhere = sorted(((q, c) for loc, c, q in rows if loc != location_id and q > 0), reverse=True)
        if here <= 0 and not elsewhere:
            continue
        source = (
            "at this location" if here >= units or not elsewhere else f"by transfer from {elsewhere[0][1]}"
        )
        out.append(
            {
                "item_id": pk,
                "sku": skus.get(pk, "?"),
                "basis": basis,
                "available_here": here,
                "available_elsewhere": sum(q for q, _ in elsewhere),
                "transfer_from": None if here >= units or not elsewhere else elsewhere[0][1],
                "covers": (here if here >= units or not elsewhere else elsewhere[0][0]) >= units,
                "how": source,
            }
        )
        if len(out) >= MAX_SUBSTITUTES:
            break
    return out
