from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs) -> None:
    from .services import roles_ensure

    roles_ensure()


class CoreConfig(AppConfig):
    name = "replenish.core"
    label = "core"
    verbose_name = "Audit chain and roles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Runs after every app's migrate, so each app's permissions exist by the last one (safe to repeat).
        post_migrate.connect(_ensure_roles, dispatch_uid="core.roles_ensure")
