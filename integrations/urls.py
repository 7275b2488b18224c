"""URLs of the integrations app (included at the site root: each pattern carries its own prefix)."""

from django.urls import path

from . import records_api, template_views, views

app_name = "integrations"
urlpatterns = [
    path("api/returns/", records_api.ReturnsApiView.as_view(), name="api_returns"),
    path("integrations/", views.integrations_home_view, name="home"),
    path("integrations/inbox/", views.inbox_list_view, name="inbox"),
    path("integrations/inbox/<int:pk>/", views.inbox_detail_view, name="inbox_detail"),
    path("integrations/inbox/<int:pk>/retry/", views.inbox_retry_view, name="inbox_retry"),
    path("integrations/inbox/<int:pk>/progress/", views.inbox_progress_view, name="inbox_progress"),
    path("integrations/outbox/", views.outbox_list_view, name="outbox"),
    path("integrations/outbox/<int:pk>/", views.outbox_detail_view, name="outbox_detail"),
    path("integrations/outbox/<int:pk>/requeue/", views.outbox_requeue_view, name="outbox_requeue"),
    path("integrations/erp/", views.erp_health_view, name="erp_health"),
    path("integrations/erp/reset/", views.erp_reset_view, name="erp_reset"),
    path("integrations/erp/pull/", views.erp_pull_view, name="erp_pull"),
    path("integrations/files/", views.file_upload_view, name="files"),
    path(
        "integrations/files/template/<str:kind>.<str:fmt>",
        template_views.file_template_view,
        name="file_template",
    ),
    path("integrations/edi/", views.edi_list_view, name="edi"),
    path("integrations/edi/<int:pk>/", views.edi_document_view, name="edi_document"),
    path("integrations/quality/", views.quality_list_view, name="quality"),
    path("integrations/quality/<int:pk>/resolve/", views.quality_resolve_view, name="quality_resolve"),
    path("integrations/webhooks/<slug:source>/", views.webhook_view, name="webhook"),
]
