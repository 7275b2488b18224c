"""Audit payloads and before/after snapshots in words: field by field, with labels and units.

The decision services store snapshots of an exception (status, version, proposal, value at stake, ...) before and
after each decision, and every audit event carries a JSON payload. People read neither as JSON: the override
history, the audit trail, the timeline and their CSV/Excel exports show them through these functions.

- `field_changes(before, after)`: the fields whose value changed, each with its label, the old and new value as text
  with its unit ("240 units" -> "180 units");
- `readable_fields(payload)`: every field of a payload, labelled and formatted (nested parts flattened:
  "Proposal: quantity");
- `changes_text` / `fields_text`: the same on one line, for a CSV cell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from exceptions.models import ExceptionType, Status
from replenish.models import Recommendation

DASH = "—"
ARROW = "→"


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    text: str


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: str
    after: str


def _money(value) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    currency = getattr(settings, "DISTOPS_CURRENCY", "USD")
    return f"{currency} {amount:,.2f}"


def _number(value, unit: str = "") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"
    return f"{text} {unit}".rstrip()


def _share(value) -> str:
    try:
        return f"{100 * float(value):.0f}%"
    except (TypeError, ValueError):
        return str(value)


def _day(value) -> str:
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
        )
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if len(text) > 10 and text[10] in "T ":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        return _day(moment)
    return text[:10]


def _choice(choices) -> Callable[[Any], str]:
    labels = dict(choices)
    return lambda value: str(labels.get(value, value))


@lru_cache(maxsize=512)  # usernames, per process: a page of decisions names the same few people
def _user(value) -> str:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return str(value)
    name = get_user_model().objects.filter(pk=pk).values_list("username", flat=True).first()
    return name or f"user #{pk}"


# key (the last part of a flattened name) -> (label, formatter)
FORMATS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "status": ("Status", _choice(Status.choices)),
    "version": ("Version", str),
    "value_at_stake": ("Value at stake", _money),
    "value": ("Value", _money),
    "amount": ("Amount", _money),
    "spend": ("Spend", _money),
    "snoozed_until": ("Snoozed until", _day),
    "maker": ("Changed by", _user),
    "action": ("Action", _choice(Recommendation.Action.choices)),
    "type": ("Type", _choice(ExceptionType.choices)),
    "quantity": ("Quantity", lambda v: _number(v, "units")),
    "date": ("Date", _day),
    "due_date": ("Due", _day),
    "new_date": ("New date", _day),
    "supplier_code": ("Supplier", str),
    "supplier_name": ("Supplier name", str),
    "supplier_id": ("Supplier id", str),
    "source_location_code": ("From location", str),
    "source_location_id": ("From location id", str),
    "po_number": ("PO", str),
    "po_line_id": ("PO line id", str),
    "recommendation_id": ("Recommendation", lambda v: f"#{v}"),
    "item_location_id": ("SKU-location id", str),
    "run_id": ("Plan run", lambda v: f"#{v}"),
    "confidence": ("Confidence", _share),
    "reason_code": ("Reason", str),
    "comment": ("Comment", str),
    "required_role": ("Needs", str),
    "lead_time_days": ("Lead time", lambda v: _number(v, "days")),
}
# the order a person reads a decision's changes in (the JSON column stores its keys sorted); the rest after
CHANGE_ORDER = {
    name: i
    for i, name in enumerate(
        [
            "status",
            "proposal.action",
            "proposal.quantity",
            "proposal.date",
            "proposal.supplier_code",
            "proposal.source_location_code",
            "value_at_stake",
            "snoozed_until",
            "required_role",
            "maker",
            "version",
        ]
    )
}
UNCHANGED_FOR_PEOPLE = {"version"}  # the optimistic lock moves with every change: not a change a person made
SECTION_LABELS = {"proposal": "Proposal", "outcome": "ERP outcome", "parts": "Value parts"}


def _flatten(data: Mapping, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat |= _flatten(value, name)
        else:
            flat[name] = value
    return flat


def label_of(name: str) -> str:
    *sections, key = name.split(".")
    label = FORMATS[key][0] if key in FORMATS else key.replace("_", " ").capitalize()
    if key in ("quantity", "date", "action") and sections == ["proposal"]:
        return label  # the proposal is what the decision is about: "Quantity", not "Proposal: quantity"
    if sections:
        section = " ".join(SECTION_LABELS.get(s, s.replace("_", " ").capitalize()) for s in sections)
        return f"{section}: {label[0].lower() + label[1:]}"
    return label


def text_of(name: str, value: Any) -> str:
    if value is None or value == "" or value == {} or value == []:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        if any(
            isinstance(v, Mapping) for v in value
        ):  # a list of records: each as its fields, one after another
            return " | ".join(
                ", ".join(f"{f.label}: {f.text}" for f in readable_fields(v))
                if isinstance(v, Mapping)
                else str(v)
                for v in value
            )
        return ", ".join(text_of(name, v) for v in value)
    key = name.rsplit(".", 1)[-1]
    if key in FORMATS:
        return FORMATS[key][1](value)
    if isinstance(value, float):
        return _number(value)
    return str(value)


def readable_fields(payload: Mapping | None) -> list[Field]:
    if not isinstance(payload, Mapping):
        return [] if payload in (None, "") else [Field("value", "Value", str(payload))]
    return [Field(name, label_of(name), text_of(name, value)) for name, value in _flatten(payload).items()]


def field_changes(before: Mapping | None, after: Mapping | None) -> list[Change]:
    """The fields whose value differs between the two snapshots (added or removed fields included)."""
    old, new = _flatten(before or {}), _flatten(after or {})
    names = sorted(dict.fromkeys([*old, *new]), key=lambda n: CHANGE_ORDER.get(n, len(CHANGE_ORDER)))
    return [
        Change(name, label_of(name), text_of(name, old.get(name)), text_of(name, new.get(name)))
        for name in names
        if old.get(name) != new.get(name) and name not in UNCHANGED_FOR_PEOPLE
    ]


def changes_text(before: Mapping | None, after: Mapping | None) -> str:
    return "; ".join(f"{c.label}: {c.before} {ARROW} {c.after}" for c in field_changes(before, after))


def fields_text(payload: Mapping | None) -> str:
    return "; ".join(f"{f.label}: {f.text}" for f in readable_fields(payload))


def value_pair(before: Mapping | None, after: Mapping | None, name: str) -> tuple[str, str]:
    """One field's text before and after (a dotted name), for an export column of its own."""
    old, new = _flatten(before or {}), _flatten(after or {})
    return text_of(name, old.get(name)), text_of(name, new.get(name))


@dataclass(frozen=True)
class PayloadView:
    changes: list[Change]
    fields: list[Field]


def payload_view(payload: Mapping | None) -> PayloadView:
    """An audit payload for people: a decision's before/after as the fields that changed, the rest as fields."""
    if isinstance(payload, Mapping) and isinstance(payload.get("before"), Mapping):
        after = payload.get("after") if isinstance(payload.get("after"), Mapping) else {}
        rest = {k: v for k, v in payload.items() if k not in ("before", "after")}
        return PayloadView(field_changes(payload["before"], after), readable_fields(rest))
    return PayloadView([], readable_fields(payload))


def payload_text(payload: Mapping | None) -> str:
    """One line for a CSV cell: the changes first, then the other fields."""
    view = payload_view(payload)
    parts = [f"{c.label}: {c.before} {ARROW} {c.after}" for c in view.changes]
    parts += [f"{f.label}: {f.text}" for f in view.fields if f.text != DASH]
    return "; ".join(parts)
