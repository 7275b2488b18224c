from django.apps import AppConfig

from replenish.core.roles import WORKSPACE_ROLES


class ExceptionsConfig(AppConfig):
    name = "exceptions"
    verbose_name = "Exceptions and work queues"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        from . import receivers  # noqa: F401  (connects the signal receivers)
        from .selectors import open_count

        register_nav_link(
            NavLink(
                "queue", "exceptions:queue", "My queue", roles=WORKSPACE_ROLES["queue"], counter=open_count
            ),
            before="skus",
        )
