from django.apps import AppConfig


class ReplenishConfig(AppConfig):
    name = "replenish"
    verbose_name = "Network and replenishment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .core import roles
        from .core.access import access_signals_connect
        from .middleware import session_touch_on_login
        from .templatetags.nav import NavLink, register_nav_link

        user_logged_in.connect(session_touch_on_login, dispatch_uid="replenish.session_touch_on_login")
        access_signals_connect()
        # The policy simulation reports (replenish.evaluation), for buyers, their managers and auditors.
        register_nav_link(
            NavLink(
                "simulation",
                "simulation_report_list",
                "Simulation",
                roles=frozenset({roles.MANAGER, roles.BUYER, roles.AUDITOR}),
            )
        )
