from django.apps import AppConfig
from django.db.models.signals import post_migrate

MANAGERS = frozenset({"manager", "director"})
AUDITORS = frozenset({"auditor"})
AUDIT_READERS = frozenset({"auditor", "manager", "director"})


def _director_role_ensure(sender, **kwargs) -> None:
    """The director group (approval rank 3) holds the manager's permissions."""
    from django.contrib.auth.models import Group

    manager = Group.objects.filter(name="manager").first()
    if manager is None:
        return
    director, _ = Group.objects.get_or_create(name="director")
    director.permissions.set(manager.permissions.all())


def _approvals_count(user) -> int:
    from .selectors import approvals_waiting_count

    return approvals_waiting_count(user)


class GovernanceConfig(AppConfig):
    name = "governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        post_migrate.connect(_director_role_ensure, dispatch_uid="governance.director_role_ensure")
        register_nav_link(
            NavLink(
                "approvals", "governance:approvals", "Approvals", roles=MANAGERS, counter=_approvals_count
            )
        )
        register_nav_link(NavLink("kpis", "governance:kpis", "KPIs", roles=MANAGERS))
        register_nav_link(NavLink("policies", "governance:policies", "Policies", roles=MANAGERS))
        register_nav_link(NavLink("drift", "governance:drift", "Drift", roles=MANAGERS))
        register_nav_link(NavLink("overrides", "governance:overrides", "Override history", roles=AUDITORS))
        register_nav_link(NavLink("audit", "governance:audit_trail", "Audit trail", roles=AUDITORS))
