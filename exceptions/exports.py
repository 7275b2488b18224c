"""The queue exported as it is on the screen: the same filter, the same order, every page, CSV or Excel.

Rows are read in chunks (one query per 2,000 rows, the approval tiers once per chunk), so an export of 100,000 rows
holds one chunk in memory; CSV streams line by line, Excel goes through a spooled temporary file
(replenish.core.exports).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone

from replenish.core.exports import csv_response, xlsx_response

from . import selectors
from .approval import queue_approvals
from .wording import action_words

CHUNK = 2_000  # rows per query: the size iterator() fetches by default on PostgreSQL, ~2 MB of rows
HEADER = [
    "Rank",
    "Exception",
    "Value at stake",
    "Type",
    "SKU",
    "Description",
    "Location",
    "Supplier",
    "Days to stockout",
    "Recommended action",
    "Amount",
    "Confidence",
    "Due",
    "Status",
]
DECIDED_HEADER = ["Decided by", "Decided at"]


def header(filters: selectors.QueueFilters) -> list[str]:
    return HEADER + (DECIDED_HEADER if filters.queue == "decided" else [])


def _chunks(qs) -> Iterator[list]:
    chunk = []
    for row in qs.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def queue_rows(*, user, filters: selectors.QueueFilters) -> Iterator[list]:
    """The rows of every page of the filtered queue, in the screen's order, ranked 1..N like the screen."""
    today = timezone.localdate()
    decided = filters.queue == "decided"
    rank = 0
    for chunk in _chunks(selectors.exception_list(user=user, filters=filters, today=today)):
        queue_approvals(chunk, user)
        for exc in chunk:
            rank += 1
            il = exc.item_location
            row = [
                rank,
                exc.pk,
                exc.value_at_stake,
                exc.get_type_display(),
                il.item.sku if il else "",
                il.item.description if il else "",
                exc.location.code if exc.location else "",
                exc.supplier.name if exc.supplier else "",
                (exc.stockout_date - today).days if exc.stockout_date else None,
                action_words(exc.proposal or {}, exception_type=exc.type, today=today),
                exc.amount,
                round(exc.confidence, 4),
                exc.due_by,
                exc.get_status_display(),
            ]
            if decided:
                row += [exc.decided_by or "automation policy", exc.decided_at]
            yield row


def queue_export_response(*, user, filters: selectors.QueueFilters, fmt: str):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"queue-{filters.queue}-{stamp}.{fmt}"
    rows = queue_rows(user=user, filters=filters)
    if fmt == "csv":
        return csv_response(filename=name, header=header(filters), rows=rows)
    return xlsx_response(filename=name, title="Queue", header=header(filters), rows=rows)
