"""The auditor's exports in readable columns: the override history (each changed field before and after, in words,
with units) and the audit trail (each event's fields in words). CSV and Excel, injection-safe (exports.py)."""

from __future__ import annotations

from django.utils import timezone

from replenish.core.exports import csv_response, xlsx_response

from .readable import changes_text, payload_text, value_pair

OVERRIDE_HEADER = [
    "When",
    "Decision",
    "By",
    "Exception",
    "Type",
    "Action",
    "SKU",
    "Location",
    "Reason",
    "Comment",
    "Value",
    "Confidence",
    "Status before",
    "Status after",
    "Quantity before",
    "Quantity after",
    "Date before",
    "Date after",
    "What changed",
]
AUDIT_HEADER = ["Sequence", "When", "Kind", "Action", "By", "Subject", "Subject id", "Details", "Hash"]


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def override_rows(qs):
    for d in qs.iterator(2000):
        exc = d.exception
        il = exc.item_location
        before, after = d.before or {}, d.after or {}
        yield [
            _moment(d.created_at),
            d.get_action_display(),
            d.actor.username if d.actor else "system (policy)",
            exc.pk,
            exc.get_type_display(),
            d.recommendation.get_action_display() if d.recommendation else "",
            il.item.sku if il else "",
            exc.location.code if exc.location else "",
            d.reason_code,
            d.comment,
            d.value,
            d.confidence,
            *value_pair(before, after, "status"),
            *_either(before, after, "proposal.quantity", "quantity"),
            *_either(before, after, "proposal.date", "date"),
            changes_text(before, after),
        ]


def _either(before: dict, after: dict, *names: str) -> tuple[str, str]:
    """A field of the snapshots under its first name present in either (a decision snapshot nests the proposal)."""
    for name in names:
        pair = value_pair(before, after, name)
        if pair != ("—", "—"):
            return pair
    return ("—", "—")


def audit_rows(qs):
    for e in qs.iterator(2000):
        yield [
            e.sequence,
            _moment(e.created_at),
            e.get_kind_display(),
            e.action,
            e.actor_name,
            e.subject_type,
            e.subject_id,
            payload_text(e.payload),
            e.hash,
        ]


def export_response(*, fmt: str, name: str, title: str, header: list[str], rows):
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return csv_response(filename=f"{name}-{stamp}.csv", header=header, rows=rows)
    return xlsx_response(filename=f"{name}-{stamp}.xlsx", title=title, header=header, rows=rows)
