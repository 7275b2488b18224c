"""URLs of the exceptions app (included at the site root: each pattern carries its own prefix)."""

from django.urls import path  # noqa: F401

app_name = "exceptions"
urlpatterns: list = []
