from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from governance.explain import api as explain_api
from governance.explain import views as explain_views

from . import simulation_views, views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("skus/", views.item_location_list_view, name="item_location_list"),
    path(
        "skus/<str:location>/<path:sku>/order-point/",
        explain_views.order_point_send_view,
        name="sku_location_order_point",
    ),
    path("skus/<str:location>/<path:sku>/", explain_views.sku_location_view, name="sku_location"),
    path(
        "api/sku-locations/<str:location>/<path:sku>/",
        explain_api.SkuLocationExplainView.as_view(),
        name="api_sku_location",
    ),
    path("simulation/", simulation_views.simulation_report_list_view, name="simulation_report_list"),
    path(
        "simulation/<int:pk>/",
        simulation_views.simulation_report_detail_view,
        name="simulation_report_detail",
    ),
    path("simulation/start/", simulation_views.simulation_start_view, name="simulation_start"),
    path(
        "simulation/<int:pk>/progress/",
        simulation_views.simulation_progress_view,
        name="simulation_progress",
    ),
    path(
        "simulation/<int:pk>/export.<str:fmt>",
        simulation_views.simulation_report_export_view,
        name="simulation_report_export",
    ),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("exceptions.urls")),
    path("", include("governance.urls")),
    path("", include("integrations.urls")),
    path("", include("exceptions.workflows.urls")),
    path("", include("exceptions.warehouse.urls")),
    path("", include("exceptions.service.urls")),  # workspace-service
    path("", include("exceptions.transport.urls")),  # workspace-transport
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", views.api_docs_view, name="api_docs"),
]

handler403 = "replenish.views.error_403_view"
handler404 = "replenish.views.error_404_view"
