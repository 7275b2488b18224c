"""The audit chain's key, checked where it is needed; no models here, so the Celery app and the AppConfig can import
it before the apps are loaded."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

AUDIT_KEY_MISSING = (
    "AUDIT_HMAC_KEY is required when DEBUG is off: the key of the audit chain (README, Production)."
)


def audit_key_required() -> None:
    """Refuse to serve or work without the chain's key (wsgi and the Celery workers call this at start-up)."""
    if not settings.AUDIT_HMAC_KEY:
        raise ImproperlyConfigured(AUDIT_KEY_MISSING)


def audit_key_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """core.E001: production (DEBUG off) without AUDIT_HMAC_KEY could write no audit event."""
    if settings.AUDIT_HMAC_KEY:
        return []
    return [checks.Error(AUDIT_KEY_MISSING, hint="Set AUDIT_HMAC_KEY in the environment.", id="core.E001")]
