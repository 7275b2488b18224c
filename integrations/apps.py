from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from replenish.templatetags.nav import NavLink, register_nav_link

        # The inbound handlers register themselves (integrations.inbound.register) when imported.
        from . import edi_ingest, records_api, webhooks  # noqa: F401
        from .erp import sync  # noqa: F401
        from .erp.tryton import pages  # noqa: F401
        from .files import importers  # noqa: F401
        from .selectors import SCREEN_ROLES, dead_letter_count

        register_nav_link(
            NavLink(
                "integrations",
                "integrations:home",
                "Integrations",
                roles=SCREEN_ROLES,
                counter=dead_letter_count,
            )
        )
