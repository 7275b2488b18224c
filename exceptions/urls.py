"""URLs of the exceptions app (included at the site root: each pattern carries its own prefix)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, capacity_views, grid_views, views

app_name = "exceptions"

router = SimpleRouter()
router.register("exceptions", api.ExceptionViewSet, basename="api-exception")
router.register("recommendations", api.RecommendationViewSet, basename="api-recommendation")

urlpatterns = [
    path("queue/", views.queue_view, name="queue"),
    path("queue/tabs/", views.queue_tabs_view, name="queue_tabs"),
    path("queue/capacity/", capacity_views.capacity_view, name="capacity"),
    path("queue/progress/", views.refresh_progress_view, name="refresh_progress"),
    path("queue/bulk-approve/", grid_views.bulk_approve_view, name="bulk_approve"),
    path("queue/export.<str:fmt>", grid_views.queue_export_view, name="queue_export"),
    path("queue/views/", grid_views.saved_view_save_view, name="saved_view_save"),
    path("queue/views/<int:pk>/delete/", grid_views.saved_view_delete_view, name="saved_view_delete"),
    path("queue/<int:pk>/", views.exception_detail_view, name="detail"),
    path("queue/<int:pk>/approve/", views.approve_view, name="approve"),
    path("queue/<int:pk>/override/", views.override_view, name="override"),
    path("queue/<int:pk>/reject/", views.reject_view, name="reject"),
    path("queue/<int:pk>/snooze/", views.snooze_view, name="snooze"),
    path("queue/<int:pk>/request-approval/", views.request_approval_view, name="request_approval"),
    path("api/", include(router.urls)),
]
