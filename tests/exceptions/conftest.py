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


@pytest.fixture(autouse=True)
def _no_value_floor(request):
    """The queue's mechanics are tested without a value floor (the seeded 100 would send the small test values to
    Low value); the attention tests set their own floors."""
    if "django_db" not in {m.name for m in request.node.iter_markers()} and "db" not in request.fixturenames:
        yield
        return
    from exceptions.models import TeamSetting

    TeamSetting.objects.update(value_floor=0)
    yield


@pytest.fixture
def default_policies():
    """Keep the automation policies a fresh install seeds (governance migration 0010) for this test."""


@pytest.fixture(autouse=True)
def _no_default_automation(request):
    """The decision mechanics are tested on tasks a person decides: the seeded default automation policies (which
    execute small, confident actions at the refresh) are switched off unless the test asks for `default_policies`
    or sets its own."""
    transactional = "transactional_db" in request.fixturenames  # the browser tests (a live server)
    if (
        "django_db" not in {m.name for m in request.node.iter_markers()}
        and "db" not in request.fixturenames
        and not transactional
    ):
        yield
        return
    if "default_policies" not in request.fixturenames:
        from governance.models import AutomationPolicy

        if transactional:
            request.getfixturevalue("transactional_db")

        AutomationPolicy.objects.exclude(name="Small C-class replenishment POs").delete()
    yield
