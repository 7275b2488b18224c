from django.apps import AppConfig

from replenish.core import roles


class ServiceConfig(AppConfig):
    name = "exceptions.service"
    label = "service"
    verbose_name = "Customer-service workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        from .selectors import at_risk_open_count

        register_nav_link(
            NavLink(
                "workspace_service",
                "workspace-service",
                "Customer service",
                roles=roles.WORKSPACE_ROLES["service"],
                counter=at_risk_open_count,
            ),
            before="skus",
        )
