"""The signed-in user's groups and model permissions, read once and kept in the shared cache (issue 13, throughput).

Every page asks the user's role (their groups) and a model permission or two (`decide_exception`...): three queries
per request before (the groups, then ModelBackend's user and group permissions), about a tenth of a queue page's
CPU. With ACCESS_CACHE on (settings: on when the cache is Redis, shared by every worker), they are read from the
cache instead and set on the user object exactly where Django would have put them (the groups' prefetch cache,
ModelBackend's `_user_perm_cache` / `_group_perm_cache`), so `user.groups.all()`, `has_perm` and the roles read the
same values as before, with no query.

The cached entry carries the generation it was read at; any change to who holds what (a user's groups or
permissions, a group's permissions, a group or permission saved or deleted) bumps the generation, so the next
request of every user in every worker reads the database again. ACCESS_TTL bounds the life of an entry in case a
change bypassed the ORM (raw SQL). The key holds the user's join time as well as their id, so an id reused for
another account never meets the former one's entry.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.db.models import prefetch_related_objects

GENERATION_KEY = "access:generation"
ACCESS_TTL = 300  # seconds: a backstop for changes made outside the ORM; the generation covers the others


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)


def access_invalidate(**kwargs) -> None:
    """Signal receiver: someone's groups or permissions changed: every cached entry is now stale. Bumped at once (the
    changing transaction's own later reads) and again on commit: a request that read the database between the
    first bump and the commit cached the old values under the new generation, which the second bump retires."""
    if kwargs.get("action", "").startswith("pre_"):
        return  # m2m_changed also announces the change before it is made: the post_ signal follows
    _bump()
    transaction.on_commit(_bump)


def access_signals_connect() -> None:
    """Who holds what: the through tables of the groups and permissions, and the groups and permissions."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = get_user_model()
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(access_invalidate, sender=through, dispatch_uid=f"access:{through.__name__}")
    for model in (Group, Permission):
        for name, signal in (("saved", post_save), ("deleted", post_delete)):
            signal.connect(access_invalidate, sender=model, dispatch_uid=f"access:{model.__name__}:{name}")


def _key(user) -> str:
    joined = user.date_joined.timestamp() if user.date_joined else 0
    return f"access:user:{user.pk}:{joined}"


def _from_database(user) -> tuple[list[tuple[int, str]], set[str], set[str]]:
    prefetch_related_objects([user], "groups")
    groups = [(group.pk, group.name) for group in user.groups.all()]
    backend = ModelBackend()
    return groups, set(backend.get_user_permissions(user)), set(backend.get_group_permissions(user))


def _set_groups(user, groups: list[tuple[int, str]]) -> None:
    """The groups as a prefetch would leave them: `user.groups.all()` answers them without a query."""
    queryset = user.groups.all()
    queryset._result_cache = [Group(pk=pk, name=name) for pk, name in groups]
    queryset._prefetch_done = True
    user._prefetched_objects_cache = {**getattr(user, "_prefetched_objects_cache", {}), "groups": queryset}


def user_access_load(user) -> None:
    """Make the user's groups and model permissions available without a query for this request (see module)."""
    if not settings.ACCESS_CACHE:
        prefetch_related_objects([user], "groups")
        return
    key = _key(user)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY, 0)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        _, groups, user_perms, group_perms = entry
        _set_groups(user, groups)
    else:
        groups, user_perms, group_perms = _from_database(user)
        cache.set(key, (generation, groups, user_perms, group_perms), ACCESS_TTL)
    if user.is_active:
        user._user_perm_cache = set(user_perms)
        user._group_perm_cache = set(group_perms)
