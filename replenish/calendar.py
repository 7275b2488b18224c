"""Calendar helpers of the planning week (demand history is weekly, weeks start on Monday)."""

from __future__ import annotations

from datetime import date, timedelta


def monday_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())
