"""Shared screen helpers: one date format, numbers with units, and the link to a SKU-location's page.

Dates are ISO (2026-12-07) everywhere; a moment is date and time (2026-12-07 14:05) in the location's time zone
where a location applies (`|moment:location`), else in the company's (settings.TIME_ZONE).
"""

from __future__ import annotations

import math
import zoneinfo
from datetime import date, datetime

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

DATE_FORMAT = "%Y-%m-%d"
MOMENT_FORMAT = "%Y-%m-%d %H:%M"
DASH = "—"


def _zone(where) -> zoneinfo.ZoneInfo | None:
    name = getattr(where, "time_zone", None) or (where if isinstance(where, str) and where else None)
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _parse(value) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    try:
        return (
            datetime.fromisoformat(text)
            if "T" in text or " " in text.strip()
            else date.fromisoformat(text[:10])
        )
    except ValueError:
        return None


@register.filter
def day(value, where=None) -> str:
    """The date (of a moment: in the location's zone, else the company's) as 2026-12-07."""
    parsed = _parse(value)
    if parsed is None:
        return DASH
    if isinstance(parsed, datetime):
        parsed = _localized(parsed, where).date()
    return parsed.strftime(DATE_FORMAT)


def _localized(moment: datetime, where) -> datetime:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment.astimezone(_zone(where) or timezone.get_current_timezone())


@register.filter
def moment(value, where=None) -> str:
    """A date and time as 2026-12-07 14:05 in the location's time zone (else the company's)."""
    parsed = _parse(value)
    if parsed is None:
        return DASH
    if not isinstance(parsed, datetime):
        return parsed.strftime(DATE_FORMAT)
    return _localized(parsed, where).strftime(MOMENT_FORMAT)


@register.filter
def qty(value, decimals: int = 0) -> str:
    """A quantity with thousands separators (1,234 or 1,234.5); a dash when missing."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return DASH
    if not math.isfinite(number):
        return DASH
    text = f"{abs(number):,.{int(decimals)}f}"
    return ("−" if number < 0 and text.strip("0.,") else "") + text


@register.filter
def share(value, decimals: int = 1) -> str:
    """A share (0-1) as a percentage: 0.953 -> 95.3%."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return DASH
    return f"{100 * number:.{int(decimals)}f}%" if math.isfinite(number) else DASH


@register.simple_tag
def sku_link(item_location=None, sku: str = "", location: str = "", text: str = ""):
    """A link to the SKU-location's page: `{% sku_link row.item_location %}` or `{% sku_link sku=.. location=.. %}`.
    Shows "SKU at LOC" (or `text`); plain text when there is nothing to link to."""
    if item_location is not None:
        sku = item_location.item.sku
        location = item_location.location.code
    if not sku:
        return DASH
    label = text or (f"{sku} at {location}" if location else sku)
    if not location:
        return format_html('<span class="mono">{}</span>', label)
    url = reverse("sku_location", kwargs={"location": location, "sku": sku})
    return format_html('<a class="mono sku-link" href="{}">{}</a>', url, label)


class DataTableNode(template.Node):
    def __init__(self, nodelist, options: dict):
        self.nodelist = nodelist
        self.options = options

    def render(self, context) -> str:
        values = {key: value.resolve(context) for key, value in self.options.items()}
        return render_to_string(
            "partials/table.html",
            {
                "body": mark_safe(self.nodelist.render(context)),  # noqa: S308 - rendered by the template engine
                "id": values.get("id", ""),
                "caption": values.get("caption", ""),
                "extra": values.get("class", ""),
            },
        )


@register.tag
def datatable(parser, token):
    """The one table component of every table screen:

        {% datatable id="approvals" caption="Waiting for approval" class="compact" %}
          <thead>...</thead><tbody>...</tbody>
        {% enddatatable %}

    renders partials/table.html: a frame that scrolls sideways inside the page when a table is wider than the screen
    (the page itself never does), a `table.grid` with a sticky header, right-aligned numbers (`td.num`), wrapping
    cells (`.wrap`), an optional caption. The CSS is in app.css ("the table component")."""
    bits = token.split_contents()[1:]
    options = {}
    for bit in bits:
        key, _, value = bit.partition("=")
        if not value:
            raise template.TemplateSyntaxError(f"datatable takes key=value options, not {bit!r}")
        options[key] = parser.compile_filter(value)
    nodelist = parser.parse(("enddatatable",))
    parser.delete_first_token()
    return DataTableNode(nodelist, options)


@register.filter
def words(value) -> str:
    """A code in words: known_demand_change -> known demand change (a dash when empty)."""
    return str(value).replace("_", " ") if value not in (None, "") else DASH
