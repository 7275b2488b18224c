from django.apps import AppConfig

from replenish.core import roles


class TransportConfig(AppConfig):
    name = "exceptions.transport"
    label = "transport"
    verbose_name = "Transportation workspace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        register_nav_link(
            NavLink(
                "workspace_transport",
                "workspace-transport",
                "Inbound shipments",
                roles=roles.WORKSPACE_ROLES["transport"],
            ),
            before="skus",
        )
