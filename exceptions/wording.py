"""Plain words for proposals and dates ("Order 240 from Acme by Tue")."""

from __future__ import annotations

from datetime import date, timedelta

from replenish.templatetags.ui import DATE_FORMAT

ACTION_VERBS = {
    "purchase_order": "Order",
    "expedite": "Expedite",
    "defer": "Defer",
    "cancel": "Cancel",
    "transfer": "Transfer",
    "reallocate": "Reallocate",
}

NO_ACTION_WORDS = {
    "stockout_risk": "Find supply before the stockout",
    "reorder_due": "Review the reorder",
    "inbound_late": "Review the late inbound",
    "order_at_risk": "Review the order lines at risk",
    "excess": "Review the excess (no open PO line to stop)",
    "supplier_decline": "Review the supplier's performance",
    "master_data": "Fix the master data",
    "draft_po": "Review the draft PO",
}


def parse_day(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def day_words(day: date | None, today: date) -> str:
    """'today', 'tomorrow', 'Tue' within a week, else the date in the one date format (2026-12-14); past dates say
    how late ('3 days ago')."""
    if day is None:
        return ""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta < 0:
        return "now (was due " + ("yesterday" if delta == -1 else f"{-delta} days ago") + ")"
    if delta < 7:
        return day.strftime("%a")
    return day.strftime(DATE_FORMAT)


def quantity_words(quantity) -> str:
    try:
        return f"{int(quantity):,}"
    except (TypeError, ValueError):
        return "?"


def _by(when: str, word: str = "by") -> str:
    return f" {word} {when}" if when else ""


def _order_words(p: dict, qty: str, when: str) -> str:
    supplier = p.get("supplier_name") or p.get("supplier_code") or ""
    if p.get("lines"):
        n = len(p["lines"])
        return (
            f"Order {n} line{'s' if n != 1 else ''} ({qty} units)"
            + (f" from {supplier}" if supplier else "")
            + _by(when)
        )
    return f"Order {qty}" + (f" from {supplier}" if supplier else "") + _by(when)


ACTION_WORDS = {
    "purchase_order": _order_words,
    "expedite": lambda p, qty, when: (
        f"Expedite {p.get('po_number') or 'PO'} ({qty})" + _by(when, "to arrive")
    ),
    "defer": lambda p, qty, when: f"Defer {p.get('po_number') or 'PO'} ({qty})" + _by(when, "to"),
    "cancel": lambda p, qty, when: f"Cancel {p.get('po_number') or 'PO'} ({qty})",
    "transfer": lambda p, qty, when: (
        f"Transfer {qty} from {p.get('source_location_code') or 'another location'}" + _by(when)
    ),
}


def action_words(proposal: dict, *, exception_type: str = "", today: date | None = None) -> str:
    """The recommended action as a planner would say it ("Order 240 from Acme by Tue")."""
    today = today or date.today()  # noqa: DTZ011  (callers pass the local date)
    action = (proposal or {}).get("action") or ""
    if not action:
        return NO_ACTION_WORDS.get(exception_type, "Review")
    qty = quantity_words(proposal.get("quantity"))
    when = day_words(parse_day(proposal.get("date")), today)
    words = ACTION_WORDS.get(action)
    if words is None:
        return f"{ACTION_VERBS.get(action, action.title())} {qty}" + _by(when)
    return words(proposal, qty, when)


def days_until(day: date | None, today: date) -> int | None:
    return None if day is None else (day - today).days


def add_days(day: date, n: float | int) -> date:
    return day + timedelta(days=int(n))
