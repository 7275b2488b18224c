"""URLs of the governance app (included at the site root: each pattern carries its own prefix)."""

from django.urls import path  # noqa: F401

app_name = "governance"
urlpatterns: list = []
