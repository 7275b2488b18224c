"""Reads of the replenish app: keyword-only arguments, permission filtering, select_related."""

from __future__ import annotations

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
