from django.apps import AppConfig


class TmsConfig(AppConfig):
    name = "integrations.tms"
    label = "tms"
    verbose_name = "TMS milestones"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import handlers  # noqa: F401  (registers the tms.milestone / tms.milestones inbox handlers)
