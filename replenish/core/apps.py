from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate

from .checks import audit_key_check


class CoreConfig(AppConfig):
    name = "replenish.core"
    label = "core"
    verbose_name = "Audit chain and roles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .services import roles_ensure_on_migrate

        # Runs after every app's migrate, so each app's permissions exist by the last one (safe to repeat).
        post_migrate.connect(roles_ensure_on_migrate, dispatch_uid="core.roles_ensure")
        checks.register(audit_key_check)
