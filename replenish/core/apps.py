from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


def audit_key_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """core.E001: production (DEBUG off) without AUDIT_HMAC_KEY could write no audit event."""
    from django.conf import settings

    from .audit import AUDIT_KEY_MISSING

    if settings.AUDIT_HMAC_KEY:
        return []
    return [checks.Error(AUDIT_KEY_MISSING, hint="Set AUDIT_HMAC_KEY in the environment.", id="core.E001")]


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
        checks.register(audit_key_check)
