from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "replenish.returns"
    label = "returns"
    verbose_name = "Customer returns"
    default_auto_field = "django.db.models.BigAutoField"
