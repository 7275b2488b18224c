"""The signed-in user's groups and permissions from the shared cache (replenish.core.access, issue 13 throughput):
no query once cached, and every change of who holds what seen on the next request."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.test import override_settings

from replenish.core import roles
from replenish.core.access import user_access_load
from replenish.services import demo_users_ensure

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("_access_cache"),
]
DECIDE = "exceptions.decide_exception"


@pytest.fixture
def _access_cache():
    locmem = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "access"}}
    with override_settings(ACCESS_CACHE=True, CACHES=locmem):
        cache.clear()
        yield
        cache.clear()


@pytest.fixture
def users(db):
    groups = demo_users_ensure(locations=1, buyers=1)
    return {u.username: u for key in groups for u in groups[key]}


def _request_user(username: str):
    """The user as AuthenticationMiddleware loads it for a request, then the middleware's access load."""
    user = get_user_model().objects.get(username=username)
    user_access_load(user)
    return user


def test_a_cached_user_reads_groups_and_permissions_without_a_query(users, django_assert_num_queries):
    first = _request_user("buyer1")  # reads the database, fills the cache
    expected = (
        roles.role_of(first),
        roles.user_rank(first),
        first.has_perm(DECIDE),
        first.get_all_permissions(),
    )
    assert expected[:3] == (roles.BUYER, 1, True)
    user = get_user_model().objects.get(username="buyer1")
    with django_assert_num_queries(0):
        user_access_load(user)
        again = (
            roles.role_of(user),
            roles.user_rank(user),
            user.has_perm(DECIDE),
            user.get_all_permissions(),
        )
    assert again == expected
    # the permissions are exactly the database's
    fresh = get_user_model().objects.get(username="buyer1")
    assert again[3] == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(group__user=fresh).select_related("content_type")
    }


def test_a_change_of_groups_or_permissions_is_seen_on_the_next_request(users):
    assert not _request_user("auditor1").has_perm(DECIDE)  # cached: an auditor decides nothing
    auditor = users["auditor1"]
    auditor.groups.add(Group.objects.get(name=roles.BUYER))
    user = _request_user("auditor1")
    assert user.has_perm(DECIDE) and roles.user_rank(user) == 1
    decide = Permission.objects.get(codename="decide_exception")
    Group.objects.get(name=roles.BUYER).permissions.remove(decide)  # the group loses the permission
    assert not _request_user("auditor1").has_perm(DECIDE)
    assert not _request_user("buyer1").has_perm(DECIDE)
    auditor.user_permissions.add(decide)  # held by the user directly
    assert _request_user("auditor1").has_perm(DECIDE)
    auditor.groups.clear()
    user = _request_user("auditor1")
    assert roles.role_of(user) is None and roles.user_rank(user) == 0
    Group.objects.filter(name=roles.MANAGER).update(name="managers-renamed")  # outside the ORM's signals
    Group.objects.get(name="managers-renamed").save()  # ... and a save: the role is gone at once
    assert roles.role_of(_request_user("manager1")) is None


def test_another_account_with_the_same_id_does_not_get_the_entry(users):
    assert _request_user("buyer1").has_perm(DECIDE)
    buyer = users["buyer1"]
    # the same id, another account (an id reused after a delete): joined at another time, no group
    type(buyer).objects.filter(pk=buyer.pk).update(date_joined=buyer.date_joined + timedelta(days=1))
    buyer.groups.through.objects.filter(user_id=buyer.pk).delete()  # no signal: only the key tells them apart
    user = _request_user("buyer1")
    assert not user.has_perm(DECIDE) and roles.role_of(user) is None


@override_settings(ACCESS_CACHE=False)
def test_without_the_shared_cache_each_request_reads_the_database(users, django_assert_num_queries):
    _request_user("buyer1")
    user = get_user_model().objects.get(username="buyer1")
    with django_assert_num_queries(3):  # the groups, then the user's and the groups' permissions
        user_access_load(user)
        assert user.has_perm(DECIDE) and roles.user_rank(user) == 1
