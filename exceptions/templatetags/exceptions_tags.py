"""Template helpers of the work queue: money, plain-words actions, days, the value waterfall."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone

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


@register.simple_tag
def waterfall(parts: dict) -> list[dict]:
    """Steps of the value: each part with its sign and a bar width relative to the largest magnitude."""
    if not parts:
        return []

    def d(key: str) -> Decimal:
        return _decimal(parts.get(key, "0")) or Decimal(0)

    feasibility = Decimal(str(parts.get("feasibility", 1)))
    net = d("lost_margin") + d("revenue_at_risk") + d("tier_penalties") - d("action_cost")
    after = (max(net, Decimal(0)) * feasibility).quantize(Decimal("0.01"))
    steps = [
        {
            "label": "Lost margin",
            "note": f"{parts.get('expected_short_units', 0):,.1f} short units × "
            f"{money(parts.get('unit_margin'), 2)} margin",
            "amount": d("lost_margin"),
            "sign": "+",
            "key": "lost_margin",
        },
        {
            "label": "Revenue at risk",
            "note": "open order lines at risk",
            "amount": d("revenue_at_risk"),
            "sign": "+",
            "key": "revenue_at_risk",
        },
        {
            "label": "Tier penalties",
            "note": "service-tier penalties of those lines",
            "amount": d("tier_penalties"),
            "sign": "+",
            "key": "tier_penalties",
        },
        {
            "label": "Action cost",
            "note": "expedite fee / transfer freight",
            "amount": -d("action_cost"),
            "sign": "−",
            "key": "action_cost",
        },
        {
            "label": "Feasibility",
            "note": f"× {float(feasibility):.0%} chance it arrives before the stockout",
            "amount": after - max(net, Decimal(0)),
            "sign": "×",
            "key": "feasibility",
        },
        {
            "label": "Working capital",
            "note": "excess units × unit cost",
            "amount": d("working_capital"),
            "sign": "+",
            "key": "working_capital",
        },
    ]
    basis = parts.get("basis") or {}
    if basis.get("tied_up") is not None:
        capital = steps[-1]
        if basis.get("holding_rate"):
            capital.update(
                label="Carrying cost",
                note=f"{basis.get('excess_units', 0):,.0f} excess units × "
                f"{basis.get('unit_cost', 0):,.2f} × {basis['holding_rate']:.0%} a year (no action to take)",
            )
        else:
            capital["note"] = (
                f"{basis.get('released_units', 0):,.0f} units not bought × {basis.get('unit_cost', 0):,.2f}"
                f" (of {basis['tied_up']:,.2f} tied up)"
            )
    if basis.get("expedite_fee_flat") is not None:
        steps[3]["note"] = (
            f"expedite fee {basis['expedite_fee_flat']:,.0f} + {basis['expedite_fee_rate']:.0%} of "
            f"{basis.get('line_value', 0):,.2f}"
        )
    elif basis.get("transfer_freight_flat") is not None:
        steps[3]["note"] = (
            f"freight {basis['transfer_freight_flat']:,.0f} + {basis['transfer_freight_rate']:.0%} of "
            f"{basis.get('goods_value', 0):,.2f}"
        )
    steps = [s for s in steps if s["amount"] != 0]
    biggest = max([abs(s["amount"]) for s in steps] + [d("value"), Decimal("0.01")])
    for step in steps:
        step["width"] = float(abs(step["amount"]) / biggest * 100)
    return steps + [
        {
            "label": "Value at stake",
            "note": "",
            "amount": d("value"),
            "sign": "=",
            "key": "value",
            "width": float(d("value") / biggest * 100),
        }
    ]
