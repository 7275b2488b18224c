from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("workflows/service/", views.service_queue_view, name="service_queue"),
    path("workflows/service/<int:pk>/contact/", views.service_task_contact_view, name="service_contact"),
    path("workflows/tasks/", views.task_list_view, name="task_list"),
    path("workflows/tasks/<int:pk>/", views.task_detail_view, name="task_detail"),
    path("workflows/tasks/<int:pk>/approve/", views.task_approve_view, name="task_approve"),
    path("workflows/tasks/<int:pk>/sequence.csv", views.task_sequence_csv_view, name="task_sequence_csv"),
    path("workflows/allocations/<str:key>/", views.allocation_detail_view, name="allocation_detail"),
    path("workflows/events/", views.event_list_view, name="event_list"),
]
