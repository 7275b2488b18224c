"""Template helpers of the work queue: money, plain-words actions, days, the value waterfall."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ..models import Status
from ..wording import action_words as _action_words
from ..wording import day_words, parse_day

register = template.Library()

STATUS_CLASSES = {
    Status.OPEN: "open",
    Status.IN_REVIEW: "review",
    Status.AWAITING_APPROVAL: "waiting",
    Status.APPROVED: "done",
    Status.OVERRIDDEN: "done",
    Status.AUTO_EXECUTED: "done",
    Status.POSTED: "done",
    Status.REJECTED: "rejected",
    Status.SNOOZED: "snoozed",
    Status.CLOSED: "closed",
}
TYPE_SHORT = {
    "stockout_risk": "Stockout",
    "reorder_due": "Reorder",
    "inbound_late": "Late inbound",
    "order_at_risk": "Order at risk",
    "excess": "Excess",
    "supplier_decline": "Supplier",
    "master_data": "Master data",
}


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def money(value, decimals: int = 0) -> str:
    """1234.5 -> '1,235' (decimals=0) or '1,234.50' (decimals=2); negatives with a true minus sign."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    text = f"{abs(amount):,.{int(decimals)}f}"
    return ("−" if amount < 0 else "") + text


@register.filter
def type_short(value: str) -> str:
    return TYPE_SHORT.get(value, value)


@register.filter
def status_class(value: str) -> str:
    return STATUS_CLASSES.get(value, "")


@register.simple_tag
def action_text(exception) -> str:
    return _action_words(exception.proposal or {}, exception_type=exception.type, today=timezone.localdate())


@register.filter
def days_until(value) -> str:
    day = parse_day(value)
    if day is None:
        return ""
    return str((day - timezone.localdate()).days)


@register.filter
def when(value) -> str:
    day = parse_day(value)
    return day_words(day, timezone.localdate()) if day else ""


@register.filter
def iso_day(value) -> date | None:
    return parse_day(value)


@register.filter
def percent(value) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def get(mapping, key):
    if isinstance(mapping, dict):
        return mapping.get(key)
    try:
        return mapping.get(key)
    except AttributeError:
        return None


def _units(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:,.1f}" if value >= 1 else f"{value:.2g}"


@register.filter
def delay_sentence(exception) -> str:
    """What a day's wait costs the task, in words, when anything (its delay rate: the rank among tasks of equal
    value, replenish.engine.attention); empty when nothing is lost by waiting."""
    rate = float(getattr(exception, "delay_rate", 0) or 0)
    if rate <= 0:
        return ""
    parts = getattr(exception, "value_parts", None) or {}
    daily, feasibility = (parts.get("basis") or {}).get("daily_demand"), parts.get("feasibility")
    action = (getattr(exception, "proposal", None) or {}).get("action")
    what = "the transfer" if action == "transfer" else "the order"
    sentence = f"Each day this waits loses about {_units(rate)} units of demand"
    if daily is not None and feasibility is not None:
        late = 1.0 - min(max(float(feasibility), 0.0), 1.0)
        return (
            f"{sentence} ({_units(float(daily))} a day × {late:.0%} chance {what} lands after the stockout)."
        )
    if "tasks" in (parts.get("basis") or {}):  # a draft PO or a shipment: the sum of its lines'
        return f"{sentence} across its lines (each line's daily demand × the chance it lands after the stockout)."
    return f"{sentence} (its daily demand × the chance {what} lands after the stockout)."


def _money_note(value, decimals: int = 2) -> str:
    number = _decimal(value)
    return "?" if number is None else f"{number:,.{decimals}f}"


def _step_notes(parts: dict) -> dict[str, str]:
    """The source figures behind each stored part, in words (no amount is computed here)."""
    basis = parts.get("basis") or {}
    short = float(parts.get("expected_short_units") or 0)
    named = float(parts.get("named_short_units") or 0)
    horizon = parts.get("horizon_days")
    over = f" over {float(horizon):.0f} days (lead time + review)" if horizon else ""
    notes = {
        "lost_margin": f"{max(short - named, 0):,.1f} expected short units{over} × "
        f"{_money_note(parts.get('unit_margin'))} margin",
        "order_exposure": f"margin of {named:,.1f} units of named customer order lines at risk",
        "tier_penalties": "contractual service-tier penalties of those lines",
        "holding_cost": "",
        "feasibility_adjustment": f"× {float(parts.get('feasibility') or 0):.0%} chance the action lands before the "
        "stockout",
        "action_cost": "",
        "floor": "the action costs more than it is worth: value 0",
    }
    if basis.get("capital") is not None:
        cover = basis.get("weeks_of_cover")
        cover_text = f"{cover:,.0f} weeks of cover" if cover is not None else "no demand to sell it"
        if basis.get("action") == "defer":
            what = f"{basis.get('released_units', 0):,.0f} units deferred {basis.get('defer_days') or 0:,.0f} days"
        elif basis.get("action") == "cancel":
            what = f"{basis.get('released_units', 0):,.0f} units not bought, {cover_text}"
        else:
            what = "the excess held one more decision horizon (no open PO line to stop)"
        notes["holding_cost"] = (
            f"{what} × {basis.get('unit_cost', 0):,.2f} × {basis.get('holding_rate', 0):.0%} a year, at most "
            f"{basis.get('obsolescence_share', 0):.0%} write-down (capital {basis['capital']:,.2f}, a fact)"
        )
    if basis.get("expedite_fee_flat") is not None:
        notes["action_cost"] = (
            f"expedite freight {basis['expedite_fee_flat']:,.0f} + {basis['expedite_fee_rate']:.0%} of "
            f"{basis.get('goods_value', 0):,.2f}"
        )
    elif basis.get("transfer_freight_flat") is not None:
        notes["action_cost"] = (
            f"transfer freight {basis['transfer_freight_flat']:,.0f} + {basis['transfer_freight_rate']:.0%} of "
            f"{basis.get('goods_value', 0):,.2f}"
        )
    elif basis.get("ordering_cost") is not None:
        notes["action_cost"] = f"ordering cost of a PO line {basis['ordering_cost']:,.2f}"
    return notes


WATERFALL_STEPS = [
    ("lost_margin", "Lost margin", "+"),
    ("order_exposure", "Customer orders", "+"),
    ("tier_penalties", "Tier penalties", "+"),
    ("holding_cost", "Holding cost", "+"),
    ("feasibility_adjustment", "Feasibility", "×"),
    ("action_cost", "Action cost", "−"),
    ("floor", "Not worth acting", "+"),
]


@register.simple_tag
def waterfall(parts: dict) -> list[dict]:
    """The stored parts of the value as waterfall steps (bar widths relative to the largest): the parts are read,
    never recomputed, and add up to the stored value (replenish.engine.value.compose)."""
    if not parts:
        return []
    notes = _step_notes(parts)
    steps = []
    for key, label, sign in WATERFALL_STEPS:
        amount = _decimal(parts.get(key, "0")) or Decimal(0)
        if amount != 0:
            steps.append(
                {"key": key, "label": label, "sign": sign, "amount": amount, "note": notes.get(key, "")}
            )
    total = _decimal(parts.get("value", "0")) or Decimal(0)
    biggest = max([abs(s["amount"]) for s in steps] + [total, Decimal("0.01")])
    for step in steps:
        step["width"] = float(abs(step["amount"]) / biggest * 100)
    horizon = parts.get("horizon_days")
    note = f"over the next {float(horizon):.0f} days" if horizon else ""
    return steps + [
        {
            "label": "Value at stake",
            "note": note,
            "amount": total,
            "sign": "=",
            "key": "value",
            "width": float(total / biggest * 100),
        }
    ]


@register.simple_tag
def filter_options(choices, selected, label: str = "name") -> SafeString:
    """The <option>s of one of the queue's filter selects, as the template's loop wrote them (value, " selected" on
    the chosen one, the label escaped), built in Python: 160 options a page at 900,000 SKU-locations (120
    suppliers), ~1 ms of CPU through the template's loop. `label`: "name" (value, name pairs, the name shown),
    "code_name" (the code and the name shown) or "bare" (plain values, no value attribute). Each list's options
    are escaped once (per language) and kept; a page only marks the selected one."""
    options = _escaped_options(label, tuple(choices), get_language())
    html = "".join(
        f"{before}{'selected' if value == selected else ''}{after}" for value, before, after in options
    )
    return mark_safe(html)  # noqa: S308 - every value and label escaped in _escaped_options


@lru_cache(maxsize=64)
def _escaped_options(label: str, choices: tuple, language: str | None) -> tuple[tuple[object, str, str], ...]:
    """Per choice: its value, the escaped HTML before the "selected" mark and after it (see filter_options)."""
    options = []
    for choice in choices:
        if label == "bare":
            options.append((choice, "<option ", f">{escape(choice)}</option>"))
            continue
        value, name = choice
        shown = f"{escape(value)} {escape(name)}" if label == "code_name" else escape(name)
        options.append((value, f'<option value="{escape(value)}" ', f">{shown}</option>"))
    return tuple(options)
