"""Roles are groups with permissions. `roles_ensure()` creates or updates them (run after every migrate).

Object-level scope (which suppliers, categories or locations a buyer or supervisor owns) is granted per user with
django-guardian by the services that assign ownership; the model-level permissions below say what a role may do.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, Value
from django.db.models.functions import Concat

BUYER = "buyer"
WAREHOUSE_SUPERVISOR = "warehouse_supervisor"
CUSTOMER_SERVICE = "customer_service"
TRANSPORTATION_PLANNER = "transportation_planner"
MANAGER = "manager"
AUDITOR = "auditor"
DIRECTOR = "director"
ADMINISTRATOR = "administrator"

ROLE_LABELS = {
    BUYER: "Buyer",
    WAREHOUSE_SUPERVISOR: "Warehouse supervisor",
    CUSTOMER_SERVICE: "Customer service",
    TRANSPORTATION_PLANNER: "Transportation planner",
    MANAGER: "Manager",
    DIRECTOR: "Director",
    AUDITOR: "Auditor",
    ADMINISTRATOR: "Administrator",
}

PLANNING_APPS = ("replenish", "exceptions", "governance", "integrations")

# Extra permission codenames each role holds beyond viewing; the models that declare them live in their apps.
# A codename that does not exist yet (its app not migrated) is skipped, so roles_ensure() is safe to run any time.
ROLE_ACTIONS: dict[str, list[str]] = {
    BUYER: ["exceptions.decide_exception", "exceptions.change_planningexception"],
    WAREHOUSE_SUPERVISOR: ["exceptions.decide_exception", "exceptions.change_planningexception"],
    CUSTOMER_SERVICE: ["exceptions.decide_exception", "exceptions.change_planningexception"],
    TRANSPORTATION_PLANNER: ["exceptions.decide_exception", "exceptions.change_planningexception"],
    MANAGER: [
        "exceptions.decide_exception",
        "exceptions.change_planningexception",
        "exceptions.view_all_exceptions",
        "governance.approve_tier",
        "governance.edit_policy",
        "replenish.refresh_plan",
    ],
    DIRECTOR: [
        "exceptions.decide_exception",
        "exceptions.change_planningexception",
        "exceptions.view_all_exceptions",
        "governance.approve_tier",
        "governance.edit_policy",
        "replenish.refresh_plan",
    ],
    AUDITOR: ["exceptions.view_all_exceptions", "governance.view_audit"],
    ADMINISTRATOR: [],  # every permission of the planning apps, below
}


def role_of(user) -> str | None:
    """The user's primary role (the first group that is a role), for navigation."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMINISTRATOR
    names = {g.name for g in user.groups.all()}
    for role in ROLE_LABELS:
        if role in names:
            return role
    return None


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
