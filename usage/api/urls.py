from django.urls import path

from usage.api import billable_metrics, events, usage_queries

urlpatterns = [
    path("v1/ingest", events.IngestApi.as_view(), name="api-usage-ingest"),
    path(
        "v1/billable-metrics",
        billable_metrics.BillableMetricListApi.as_view(),
        name="api-billable-metrics",
    ),
    path(
        "v1/billable-metrics/create",
        billable_metrics.BillableMetricCreateApi.as_view(),
        name="api-billable-metric-create",
    ),
    path(
        "v1/billable-metrics/archive",
        billable_metrics.BillableMetricArchiveApi.as_view(),
        name="api-billable-metric-archive",
    ),
    path(
        "v1/billable-metrics/<str:billable_metric_id>",
        billable_metrics.BillableMetricDetailApi.as_view(),
        name="api-billable-metric",
    ),
    path(
        "v1/customers/<str:customer_id>/billable-metrics",
        billable_metrics.CustomerBillableMetricListApi.as_view(),
        name="api-customer-billable-metrics",
    ),
    path("v1/usage", usage_queries.UsageListApi.as_view(), name="api-usage-list"),
    path(
        "v1/usage/groups",
        usage_queries.UsageListWithGroupsApi.as_view(),
        name="api-usage-groups",
    ),
    path("v1/events/search", events.EventSearchApi.as_view(), name="api-events-search"),
]
