"""Reads of the replenish app: keyword-only arguments, permission filtering, select_related."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, QuerySet

from .core import roles
from .models import ItemLocation, Location


def item_location_list(
    *, user, location: str = "", search: str = "", category: str = "", below_min: bool = False
) -> QuerySet[ItemLocation]:
    """SKU-locations visible to the user: buyers see the ones they buy, everyone else all (read)."""
    qs = ItemLocation.objects.select_related("item", "location", "buyer")
    if roles.role_of(user) == roles.BUYER:
        qs = qs.filter(buyer=user)
    if location:
        qs = qs.filter(location__code=location)
    if category:
        qs = qs.filter(item__category=category)
    if search:
        qs = (
            qs.filter(item__sku__istartswith=search.strip())
            if search.strip().upper().startswith("SKU")
            else qs.filter(item__description__icontains=search.strip())
        )
    if below_min:
        qs = qs.filter(on_hand__lt=F("static_min"))
    return qs.order_by("item__sku", "location__code")


def location_list() -> QuerySet[Location]:
    return Location.objects.order_by("code")


PAIR_LOOKUP_CHUNK = 5_000  # items per query: well under SQLite's and PostgreSQL's parameter limits


def item_location_ids_for(pairs: Iterable[tuple[int, int]]) -> set[int]:
    """The ids of the SKU-locations among these (item id, location id) pairs (pairs without one are left out)."""
    wanted = set(pairs)
    if not wanted:
        return set()
    items = sorted({item_id for item_id, _location_id in wanted})
    found = set()
    for start in range(0, len(items), PAIR_LOOKUP_CHUNK):
        for pk, item_id, location_id in ItemLocation.objects.filter(
            item_id__in=items[start : start + PAIR_LOOKUP_CHUNK]
        ).values_list("pk", "item_id", "location_id"):
            if (item_id, location_id) in wanted:
                found.add(pk)
    return found
