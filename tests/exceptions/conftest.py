import pytest
from django.core.cache import cache

from replenish.services import demo_users_ensure


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def users(db):
    groups = demo_users_ensure(locations=2, buyers=2)
    by_name = {u.username: u for key in groups for u in groups[key]}
    return by_name
