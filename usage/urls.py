from django.urls import path

from usage import views

app_name = "usage"

urlpatterns = [
    path("billable-metrics/", views.metric_list, name="metric-list"),
    path("billable-metrics/create", views.metric_create, name="metric-create"),
    path("billable-metrics/preview", views.metric_preview, name="metric-preview"),
    path("billable-metrics/usage-chart", views.usage_chart, name="usage-chart"),
    path("billable-metrics/<uuid:metric_id>/", views.metric_detail, name="metric-detail"),
    path("billable-metrics/<uuid:metric_id>/name", views.metric_set_name, name="metric-set-name"),
    path("billable-metrics/<uuid:metric_id>/archive", views.metric_archive, name="metric-archive"),
    path("events/", views.event_list, name="event-list"),
]
