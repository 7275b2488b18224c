"""Writers of the replenish app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from replenish.core.audit import audit_record

from .core import roles
from .core.services import roles_ensure
from .models import ItemLocation, WorkerHeartbeat

DEMO_PASSWORD = "distops-demo"


def _demo_users_spec(locations: int, buyers: int) -> list[tuple[str, str, str, str]]:
    spec = [(f"buyer{i}", roles.BUYER, "Buyer", str(i)) for i in range(1, buyers + 1)]
    spec += [
        (f"supervisor{i}", roles.WAREHOUSE_SUPERVISOR, "Supervisor", f"WH{i}")
        for i in range(1, locations + 1)
    ]
    spec += [
        ("service1", roles.CUSTOMER_SERVICE, "Customer", "Service"),
        ("transport1", roles.TRANSPORTATION_PLANNER, "Transport", "Planner"),
        ("manager1", roles.MANAGER, "Maria", "Manager"),
        ("manager2", roles.MANAGER, "Mark", "Manager"),
        ("auditor1", roles.AUDITOR, "Audrey", "Auditor"),
        ("admin", roles.ADMINISTRATOR, "Ada", "Admin"),
    ]
    return spec


@transaction.atomic
def demo_users_ensure(*, locations: int, buyers: int, password: str = DEMO_PASSWORD) -> dict[str, list]:
    """Create the demo users of every role (idempotent). Returns them by role key: 'buyers', 'supervisors', ..."""
    User = get_user_model()
    groups = roles_ensure()
    result: dict[str, list] = {"buyers": [], "supervisors": [], "others": []}
    for username, role, first, last in _demo_users_spec(locations, buyers):
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(password)
            user.is_staff = role == roles.ADMINISTRATOR
            user.is_superuser = role == roles.ADMINISTRATOR
            user.save(update_fields=["password", "is_staff", "is_superuser"])
        user.groups.add(groups[role])
        key = {roles.BUYER: "buyers", roles.WAREHOUSE_SUPERVISOR: "supervisors"}.get(role, "others")
        result[key].append(user)
    return result


def demo_logins(*, locations: int, buyers: int) -> list[tuple[str, str]]:
    return [
        (username, roles.ROLE_LABELS[role]) for username, role, _f, _l in _demo_users_spec(locations, buyers)
    ]


def company_currency() -> str:
    return settings.DISTOPS_CURRENCY


@transaction.atomic
def worker_heartbeat_record(*, hostname: str):
    from django.db.models import F
    from django.utils import timezone

    beat, created = WorkerHeartbeat.objects.get_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now(), "tasks_seen": 1}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=beat.pk).update(
            seen_at=timezone.now(), tasks_seen=F("tasks_seen") + 1
        )
    return beat


@transaction.atomic
def item_location_safety_stock_floor_set(*, floors: dict[int, float], actor, reason: str) -> list[int]:
    """Set approved safety-stock floors (units) and re-plan those SKU-locations after commit. The caller has
    checked the approval; the change is audited here, in the same transaction."""
    changed = []
    for item_location_id, floor in sorted(floors.items()):
        if floor is None or floor < 0:
            raise ValueError(
                f"safety stock floor of SKU-location {item_location_id} must be a non-negative number"
            )
        if ItemLocation.objects.filter(pk=item_location_id).update(safety_stock_floor=float(floor)):
            changed.append(item_location_id)
    audit_record(
        kind="policy_change",
        action="safety_stock_floor_set",
        actor=actor,
        subject_type="item_locations",
        subject_id=",".join(map(str, changed[:20])) or "-",
        payload={"floors": {str(k): floors[k] for k in changed}, "reason": reason},
    )
    if changed:
        from .tasks import plan_refresh_touched_task

        transaction.on_commit(lambda: plan_refresh_touched_task.delay(changed))
    return changed
