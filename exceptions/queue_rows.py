"""The queue's rows rendered once (issue 13, throughput).

Rendering a 50-row page through the row partial (three URL tags, a dozen filters, two forms per row) was most of
the page's CPU. Each row's HTML is now cached under a digest of everything the row shows: its own fields (value,
status, version, proposal, dates, SKU, supplier and location names...), what the viewer may do with it (may they
decide, is it above their approval limit and the tier's label), the day (days to stockout, "today"/"tomorrow") and
the tab. Any change to any of these is a different key, so a decision, an override, a refresh that moves a value,
or a tier change can never serve a stale row: there is nothing to invalidate, old entries expire (ROW_TTL).

The per-request parts of a row (its rank on the page, the CSRF token, the `next` URL of its forms) are rendered as
markers and filled in on each request. Rows hold no user identity beyond what the digest covers, and every row
comes from the permission-filtered selector first: the cache is looked up only for rows the viewer may see.
"""

from __future__ import annotations

import hashlib
import json

from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

ROW_TEMPLATE = "exceptions/queue.html#queue-row"
ROW_TTL = 600  # seconds: bounds the cache's size, not correctness (the key covers what the row shows)
RANK = "@@qrow-rank@@"
CSRF = "@@qrow-csrf@@"
NEXT = "@@qrow-next@@"


class _PathMarker:
    """Stands in for the request while a row renders: `request.get_full_path` becomes a marker."""

    @staticmethod
    def get_full_path() -> str:
        return NEXT


def _shown(row, *, can_decide: bool, decided_tab: bool, today) -> tuple:
    """Everything the row partial reads (keep in step with queue.html's queue-row)."""
    item = row.item_location.item if row.item_location_id else None
    return (
        row.pk,
        row.version,
        row.status,
        row.type,
        str(row.value_at_stake),
        row.item_location_id,
        item.sku if item else None,
        item.description if item else None,
        row.shipment_id,
        getattr(row, "asn_number", None),
        json.dumps(row.proposal, sort_keys=True, default=str),
        row.location.code if row.location_id else None,
        row.supplier.name if row.supplier_id else None,
        row.stockout_date,
        row.confidence,
        row.due_by,
        row.snoozed_until,
        getattr(row, "decided_by", None),
        row.decided_at,
        str(row.amount),
        row.needs_approval,
        row.approval_label,
        can_decide,
        decided_tab,
        today,
        timezone.get_current_timezone_name(),
    )


def row_key(row, **viewer) -> str:
    digest = hashlib.blake2b(repr(_shown(row, **viewer)).encode(), digest_size=16).hexdigest()
    return f"exceptions:qrow:{digest}"


def _render(row, context: dict) -> str:
    rank = getattr(row, "rank", "")
    row.rank = RANK
    try:
        return get_template(ROW_TEMPLATE).template.render(Context({**context, "row": row}))
    finally:
        row.rank = rank


def rows_render(request, rows: list, *, can_decide: bool, queue: str, currency: str) -> None:
    """Set `row.html` on each row of the page (queue_approvals ran first): cached HTML, rendered when missing."""
    today = timezone.localdate()
    viewer = {"can_decide": can_decide, "decided_tab": queue == "decided", "today": today}
    keys = [row_key(row, **viewer) for row in rows]
    found = cache.get_many(keys)
    missing = {}
    context = {
        "can_decide": can_decide,
        "today": today,
        "currency": currency,
        "filters": {"queue": queue},
        "request": _PathMarker(),
        "csrf_token": CSRF,
    }
    for row, key in zip(rows, keys, strict=True):
        if key not in found:
            found[key] = missing[key] = _render(row, context)
    if missing:
        cache.set_many(missing, ROW_TTL)
    token, path = get_token(request), escape(request.get_full_path())
    for row, key in zip(rows, keys, strict=True):
        html = found[key].replace(RANK, escape(row.rank)).replace(CSRF, token).replace(NEXT, path)
        row.html = mark_safe(html)  # noqa: S308 - rendered by the row partial (autoescaped); markers escaped
