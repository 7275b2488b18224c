"""URLs of the integrations app (included at the site root: each pattern carries its own prefix)."""

from django.urls import path  # noqa: F401

app_name = "integrations"
urlpatterns: list = []
