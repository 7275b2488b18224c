"""URL names without a namespace: `workspace-transport` is the transportation planner's landing page."""

from django.urls import path

from . import views

urlpatterns = [
    path("transport/", views.workspace_transport_view, name="workspace-transport"),
    path(
        "transport/shipments/<int:pk>/expedite/",
        views.shipment_expedite_view,
        name="workspace-transport-expedite",
    ),
    path("transport/milestones/", views.milestone_upload_view, name="workspace-transport-milestones"),
]
