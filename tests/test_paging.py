"""The one paginator helper: pages without COUNT(*) (one row past the page), or Django's counted pages."""

from __future__ import annotations

import pytest
from django.core.paginator import Page

from replenish.core.paging import page_number, paginate


def test_an_uncounted_page_fetches_one_row_past_the_page_to_know_there_is_a_next():
    rows = list(range(1, 12))  # 11 rows, pages of 5: [1-5] [6-10] [11]

    first, second, last = (paginate(rows, n, size=5) for n in (1, 2, 3))

    assert list(first) == [1, 2, 3, 4, 5] and first.has_next() and not first.has_previous()
    assert list(second) == [6, 7, 8, 9, 10] and second.has_next() and second.previous_page_number() == 1
    assert list(last) == [11] and not last.has_next() and last.has_previous()
    assert list(paginate(rows, 4, size=5)) == []  # past the end: empty, not an error
    assert list(paginate(list(range(10)), 2, size=5)) == [5, 6, 7, 8, 9]
    assert not paginate(list(range(10)), 2, size=5).has_next()  # exactly full: no next page


@pytest.mark.parametrize(
    ("value", "number"), [(None, 1), ("", 1), ("abc", 1), ("0", 1), ("-3", 1), ("7", 7), (2, 2)]
)
def test_a_page_number_that_is_not_a_positive_number_is_page_1(value, number):
    assert page_number(value) == number


def test_a_counted_page_is_djangos():
    page = paginate(list(range(11)), "2", size=5, count=True)

    assert isinstance(page, Page)
    assert list(page) == [5, 6, 7, 8, 9] and page.paginator.num_pages == 3 and page.paginator.count == 11


@pytest.mark.django_db
def test_the_sku_list_answers_a_bad_page_number_with_the_first_page(client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "pw-12345-root"))

    assert client.get("/skus/", {"page": "abc"}).status_code == 200
