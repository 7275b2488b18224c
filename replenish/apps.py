from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs) -> None:
    from .roles import roles_ensure

    roles_ensure()


class ReplenishConfig(AppConfig):
    name = "replenish"
    verbose_name = "Network and replenishment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After the last planning app migrates, so every app's permissions exist.
        post_migrate.connect(_ensure_roles, dispatch_uid="replenish.roles_ensure")
        _register_simulation_link()


def _register_simulation_link() -> None:
    """The policy simulation reports (replenish.evaluation), for buyers, their managers and auditors."""
    from . import roles
    from .templatetags.nav import NavLink, register_nav_link

    register_nav_link(
        NavLink(
            "simulation",
            "simulation_report_list",
            "Simulation",
            roles=frozenset({roles.MANAGER, roles.BUYER, roles.AUDITOR}),
        )
    )
