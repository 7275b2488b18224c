"""URL names without a namespace: `workspace-service` is the customer-service role's landing page."""

from django.urls import path

from . import views

urlpatterns = [
    path("service/", views.workspace_service_view, name="workspace-service"),
    path(
        "service/lines/<int:pk>/<str:action>/",
        views.service_line_action_view,
        name="workspace-service-action",
    ),
]
