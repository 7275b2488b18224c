from django.apps import AppConfig


class ReplenishConfig(AppConfig):
    name = "replenish"
    verbose_name = "Network and replenishment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        _register_simulation_link()


def _register_simulation_link() -> None:
    """The policy simulation reports (replenish.evaluation), for buyers, their managers and auditors."""
    from .core import roles
    from .templatetags.nav import NavLink, register_nav_link

    register_nav_link(
        NavLink(
            "simulation",
            "simulation_report_list",
            "Simulation",
            roles=frozenset({roles.MANAGER, roles.BUYER, roles.AUDITOR}),
        )
    )
