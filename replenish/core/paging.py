"""The one paginator helper of every list (HTML screens and the API).

`paginate(rows, page)` fetches one row past the page instead of counting (no COUNT(*) over 900,000 SKU-locations
or a large queue); `paginate(rows, page, count=True)` is Django's counted Page, for screens that show "page X of Y"
over tables small enough to count. A page number that is missing or not a number is page 1;
one past MAX_PAGE is MAX_PAGE (an empty page).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50
# Past any real list, and small enough that (page - 1) x size stays a 64-bit offset: ?page=10**20 used to be a
# database error (500) instead of an empty page.
MAX_PAGE = 1_000_000


def page_number(value: Any) -> int:
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError, OverflowError):
        return 1


@dataclass
class UncountedPage:
    """The part of Django's Page interface a template or the API needs, without the total."""

    object_list: list
    number: int
    has_next_page: bool

    def __iter__(self) -> Iterator:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.has_next_page

    def has_previous(self) -> bool:
        return self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def paginate(
    rows: Sequence | Any, page: Any, *, size: int = PAGE_SIZE, count: bool = False
) -> Page | UncountedPage:
    if count:
        return Paginator(rows, size).get_page(page)  # Django's: a bad number is page 1, past the end the last
    number = page_number(page)
    start = (number - 1) * size
    fetched = list(rows[start : start + size + 1])
    return UncountedPage(fetched[:size], number, len(fetched) > size)
