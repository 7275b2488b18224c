"""Roles, defined once: names, labels, approval ranks and the permissions each holds. Roles are groups;
`replenish.core.services.roles_ensure()` creates or updates them (run after every migrate). This module imports no
model, so app configs may read it at import time.

Object-level scope (which suppliers, categories or locations a buyer or supervisor owns) is granted per user with
django-guardian by the services that assign ownership; the model-level permissions below say what a role may do.
"""

from __future__ import annotations

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

# Rank needed to approve: planners 1, manager 2, director 3 (administrators and auditors are not approvers).
ROLE_RANK = {
    BUYER: 1,
    WAREHOUSE_SUPERVISOR: 1,
    CUSTOMER_SERVICE: 1,
    TRANSPORTATION_PLANNER: 1,
    MANAGER: 2,
    DIRECTOR: 3,
}
MANAGER_RANK = ROLE_RANK[MANAGER]

# Who may decide each action: the permissions follow the job. Procurement actions (buying, changing or cancelling
# supplier POs) belong to buyers and their managers; a warehouse supervisor moves stock but decides no supplier PO.
PROCUREMENT_ROLES = frozenset({BUYER, MANAGER, DIRECTOR})
ACTION_ROLES: dict[str, frozenset[str]] = {
    "purchase_order": PROCUREMENT_ROLES,
    "expedite": PROCUREMENT_ROLES,
    "defer": PROCUREMENT_ROLES,
    "cancel": PROCUREMENT_ROLES,
    "transfer": PROCUREMENT_ROLES | {WAREHOUSE_SUPERVISOR},
    "reallocate": frozenset({CUSTOMER_SERVICE, WAREHOUSE_SUPERVISOR, MANAGER, DIRECTOR}),
    "chase": PROCUREMENT_ROLES | {TRANSPORTATION_PLANNER},  # a message to the supplier about late lines
    "repromise": frozenset({CUSTOMER_SERVICE, MANAGER, DIRECTOR}),  # new promise dates to the customers
    "order_point": PROCUREMENT_ROLES,  # the ERP's static min/max set to the policy's s and S
}

# Role sets the screens are shown to.
MANAGERS = frozenset({MANAGER, DIRECTOR})
AUDITORS = frozenset({AUDITOR})
OVERSEERS = frozenset({MANAGER, AUDITOR, ADMINISTRATOR, DIRECTOR})  # see every queue, act on none by default

# Who opens each workspace: the navigation shows a link only to these roles and the view refuses the others with the
# same set, so no link answers 403. The buyer's queue holds procurement decisions: not a supervisor's screen.
WORKSPACE_ROLES: dict[str, frozenset[str]] = {
    "queue": frozenset({BUYER, CUSTOMER_SERVICE, TRANSPORTATION_PLANNER}) | OVERSEERS,
    "warehouse": frozenset({WAREHOUSE_SUPERVISOR}) | OVERSEERS,
    "service": frozenset({CUSTOMER_SERVICE}) | OVERSEERS,
    "transport": frozenset({TRANSPORTATION_PLANNER}) | OVERSEERS,
}

# Where each role lands after logging in (URL names; a missing one falls back to the SKU-location list).
ROLE_HOME = {
    BUYER: "exceptions:queue",
    WAREHOUSE_SUPERVISOR: "warehouse:control",
    CUSTOMER_SERVICE: "workspace-service",
    TRANSPORTATION_PLANNER: "workspace-transport",
    MANAGER: "governance:approvals",
    DIRECTOR: "governance:approvals",
    AUDITOR: "governance:audit_trail",
    ADMINISTRATOR: "exceptions:queue",
}

# "core" holds the audit chain (its view_auditevent permission, as when it lived in governance).
PLANNING_APPS = ("core", "replenish", "exceptions", "governance", "integrations")

# Extra permission codenames each role holds beyond viewing; the models that declare them live in their apps.
# A codename that does not exist yet (its app not migrated) is skipped, so roles_ensure() is safe to run any time.
# The workflow screens (exceptions.workflows, label "workflows") check these permissions, not role names: view_*
# to open a list, change_* to act on its rows.
_TASKS = ["workflows.view_workflowtask", "workflows.change_workflowtask"]
_SERVICE = ["workflows.view_customerservicetask", "workflows.change_customerservicetask"]
_READ_ALL_WORKFLOWS = [
    "workflows.view_workflowtask",
    "workflows.view_customerservicetask",
    "workflows.view_domainevent",
    "workflows.view_allocationline",
]
ROLE_ACTIONS: dict[str, list[str]] = {
    BUYER: [
        "exceptions.decide_exception",
        "exceptions.change_planningexception",
        *_TASKS,
        "workflows.view_allocationline",
    ],
    # a supervisor's tasks (labor resequencing, stock moves) are in Warehouse control, not the workflow list
    WAREHOUSE_SUPERVISOR: ["exceptions.decide_exception", "exceptions.change_planningexception"],
    CUSTOMER_SERVICE: [
        "exceptions.decide_exception",
        "exceptions.change_planningexception",
        *_SERVICE,
        "workflows.view_allocationline",
        "service.act_on_order_lines",
    ],
    TRANSPORTATION_PLANNER: [
        "exceptions.decide_exception",
        "exceptions.change_planningexception",
        *_TASKS,
        "transport.act_on_shipments",
    ],
    MANAGER: [
        "exceptions.decide_exception",
        "exceptions.change_planningexception",
        "exceptions.view_all_exceptions",
        "governance.approve_tier",
        "governance.edit_policy",
        "replenish.refresh_plan",
        *_READ_ALL_WORKFLOWS,
        *_TASKS,
        *_SERVICE,
        "service.act_on_order_lines",
        "transport.act_on_shipments",
    ],
    AUDITOR: ["exceptions.view_all_exceptions", "core.view_audit", *_READ_ALL_WORKFLOWS],
    ADMINISTRATOR: [],  # every permission of the planning apps, below
}
ROLE_ACTIONS[DIRECTOR] = ROLE_ACTIONS[MANAGER]  # the director holds the manager's permissions, with rank 3


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


def user_rank(user) -> int:
    """Highest approval rank among the user's roles; 0 for auditors, administrators and anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return 0
    # the groups are read once per request (replenish.middleware.UserGroupsMiddleware)
    names = {g.name for g in user.groups.all()}
    return max((ROLE_RANK.get(name, 0) for name in names), default=0)


def can_open(user, workspace: str) -> bool:
    """Whether the user's role opens this workspace (WORKSPACE_ROLES): the same answer for the link and the view."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or role_of(user) in WORKSPACE_ROLES[workspace]


def has_role(user, *names: str) -> bool:
    """Whether the user is in one of these role groups (the groups read once per request: no query then)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return any(group.name in names for group in user.groups.all())
