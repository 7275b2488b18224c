from django.urls import path

from . import views

app_name = "warehouse"

urlpatterns = [
    path("warehouse/", views.control_view, name="control"),
    path("warehouse/resequence/", views.resequence_view, name="resequence"),
    path("warehouse/pull/", views.stock_pull_view, name="pull"),
    path("warehouse/returns/", views.returns_view, name="returns"),
    path("warehouse/returns/<int:pk>/decide/", views.return_decide_view, name="return_decide"),
    path("warehouse/labor/<int:pk>/sequence.csv", views.labor_sequence_csv_view, name="labor_sequence_csv"),
]
