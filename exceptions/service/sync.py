"""The exceptions refresh keeps the one list of at-risk order lines current: before a chunk is read, the order-line
ATP (exceptions.workflows.atp.order_risk_refresh, the code path every inbound event takes) runs for the chunk's
SKU-locations that have open order lines or live at-risk lines, so the order-at-risk tasks the chunk writes count
exactly the lines the customer-service workspace lists."""

from __future__ import annotations

from django.db.models import Q

from replenish import models as m

from ..workflows.atp import OPEN_SO, OPEN_SO_LINE, order_risk_refresh
from .selectors import at_risk_lines


def at_risk_sync(*, item_range: tuple[int, int] | None = None, item_location_ids=None) -> dict:
    """Re-run the order-line ATP for a chunk: an item id range [lo, hi) or explicit SKU-location ids."""
    if item_location_ids is not None:
        ils = m.ItemLocation.objects.filter(pk__in=list(item_location_ids))
        line_q = Q(item_id__in=ils.values("item_id"))
        live_q = Q(item_location_id__in=list(item_location_ids))
    elif item_range is not None:
        lo, hi = item_range
        ils = m.ItemLocation.objects.filter(item_id__gte=lo, item_id__lt=hi)
        line_q = Q(item_id__gte=lo, item_id__lt=hi)
        live_q = Q(item_location__item_id__gte=lo, item_location__item_id__lt=hi)
    else:
        return {}
    key = {(i, loc): pk for pk, i, loc in ils.values_list("pk", "item_id", "location_id")}
    pairs = set(
        m.SalesOrderLine.objects.filter(line_q, status__in=OPEN_SO_LINE, order__status__in=OPEN_SO)
        .values_list("item_id", "order__location_id")
        .distinct()
    )
    ids = {key[p] for p in pairs if p in key}
    ids |= set(at_risk_lines(scope=live_q).values_list("item_location_id", flat=True))
    ids &= set(key.values())
    if not ids:
        return {}
    return order_risk_refresh(item_location_ids=sorted(ids), item_range=item_range)
