"""Due days in words: relative words within a week, else the one date format (never a second one like '2 Dec')."""

from datetime import date

import pytest

from exceptions.wording import day_words

TODAY = date(2026, 12, 6)  # a Sunday


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 12, 6), "today"),
        (date(2026, 12, 7), "tomorrow"),
        (date(2026, 12, 9), "Wed"),
        (date(2026, 12, 13), "2026-12-13"),
        (date(2027, 7, 1), "2027-07-01"),
        (date(2026, 12, 5), "now (was due yesterday)"),
        (date(2026, 12, 1), "now (was due 5 days ago)"),
        (None, ""),
    ],
)
def test_day_words(day, words):
    assert day_words(day, TODAY) == words
