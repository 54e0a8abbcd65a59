from django.urls import path

from usage.api import views

urlpatterns = [
    path("v1/ingest", views.IngestApi.as_view(), name="api-usage-ingest"),
    path(
        "v1/billable-metrics",
        views.BillableMetricListApi.as_view(),
        name="api-billable-metrics",
    ),
    path(
        "v1/billable-metrics/create",
        views.BillableMetricCreateApi.as_view(),
        name="api-billable-metric-create",
    ),
    path(
        "v1/billable-metrics/archive",
        views.BillableMetricArchiveApi.as_view(),
        name="api-billable-metric-archive",
    ),
    path(
        "v1/billable-metrics/<str:billable_metric_id>",
        views.BillableMetricDetailApi.as_view(),
        name="api-billable-metric",
    ),
    path(
        "v1/customers/<str:customer_id>/billable-metrics",
        views.CustomerBillableMetricListApi.as_view(),
        name="api-customer-billable-metrics",
    ),
    path("v1/usage", views.UsageListApi.as_view(), name="api-usage-list"),
    path("v1/usage/groups", views.UsageListWithGroupsApi.as_view(), name="api-usage-groups"),
    path("v1/events/search", views.EventSearchApi.as_view(), name="api-events-search"),
]
