"""Writers of the core app: the role groups and their permissions."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, Value
from django.db.models.functions import Concat

from .roles import ADMINISTRATOR, PLANNING_APPS, ROLE_ACTIONS, ROLE_LABELS


def roles_ensure() -> dict[str, Group]:
    # Only the default view_<model> permissions: custom ones such as governance.view_audit are granted explicitly.
    view_perms = Permission.objects.filter(
        content_type__app_label__in=PLANNING_APPS, codename=Concat(Value("view_"), "content_type__model")
    )
    groups = {}
    for role in ROLE_LABELS:
        group, _ = Group.objects.get_or_create(name=role)
        if role == ADMINISTRATOR:
            perms = Permission.objects.filter(
                Q(content_type__app_label__in=PLANNING_APPS)
                | Q(content_type__app_label__in=("auth", "authtoken"))
            )
        else:
            wanted = Q(pk__in=[])
            for dotted in ROLE_ACTIONS[role]:
                app_label, codename = dotted.split(".")
                wanted |= Q(content_type__app_label=app_label, codename=codename)
            perms = view_perms | Permission.objects.filter(wanted)
        group.permissions.set(perms.distinct())
        groups[role] = group
    return groups


def roles_ensure_on_migrate(sender, **kwargs) -> None:
    """post_migrate receiver (CoreConfig.ready): after every app's migrate, so each app's permissions exist."""
    roles_ensure()
