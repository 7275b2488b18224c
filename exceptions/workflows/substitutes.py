"""Substitute SKUs for a shortage: declared substitutes first (Item.substitutes), then items of the same family
with the same attributes; available at the location, or by transfer from another location."""

from __future__ import annotations

from replenish import models as m

MAX_SUBSTITUTES = 5


def substitutes_for(*, item_location: m.ItemLocation, units: int) -> list[dict]:
    item = item_location.item
    declared = list(item.substitutes.filter(active=True).values_list("pk", flat=True))
    family = (
        list(
            m.Item.objects.filter(family=item.family, attributes=item.attributes, active=True)
            .exclude(pk=item.pk)
            .exclude(pk__in=declared)
            .order_by("sku")
            .values_list("pk", flat=True)[:50]
        )
        if item.family
        else []
    )
    candidates = [(pk, "declared substitute") for pk in declared] + [
        (pk, "same family and attributes") for pk in family
    ]
    if not candidates:
        return []
    ids = [pk for pk, _ in candidates]
    stock: dict[int, list[tuple[int, str, int]]] = {}
    for item_id, loc_id, code, on_hand, allocated in m.ItemLocation.objects.filter(
        item_id__in=ids
    ).values_list("item_id", "location_id", "location__code", "on_hand", "allocated"):
        stock.setdefault(item_id, []).append((loc_id, code, max(on_hand - allocated, 0)))
    skus = dict(m.Item.objects.filter(pk__in=ids).values_list("pk", "sku"))
    out = []
    for pk, basis in candidates:
        rows = stock.get(pk, [])
        here = sum(q for loc, _c, q in rows if loc == item_location.location_id)
        elsewhere = sorted(
            ((q, c) for loc, c, q in rows if loc != item_location.location_id and q > 0), reverse=True
        )
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
