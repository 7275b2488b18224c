from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "replenish.shipping"
    label = "shipping"
    verbose_name = "Carriers and cut-offs"
    default_auto_field = "django.db.models.BigAutoField"
