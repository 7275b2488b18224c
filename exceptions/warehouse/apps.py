from django.apps import AppConfig

from replenish.core import roles


class WarehouseConfig(AppConfig):
    name = "exceptions.warehouse"
    label = "warehouse"
    verbose_name = "Warehouse control"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        register_nav_link(
            NavLink(
                "warehouse",
                "warehouse:control",
                "Warehouse control",
                roles=roles.WORKSPACE_ROLES["warehouse"],
            ),
            before="skus",
        )
        register_nav_link(
            NavLink("returns", "warehouse:returns", "Returns", roles=roles.WORKSPACE_ROLES["warehouse"]),
            before="skus",
        )
