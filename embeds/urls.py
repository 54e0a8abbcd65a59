from django.urls import path

from embeds import api, views

app_name = "embeds"

urlpatterns = [
    path("v1/dashboards/getEmbeddableUrl", api.DashboardEmbeddableUrlApi.as_view()),
    path("embed/<str:token>/", views.dashboard, name="dashboard"),
    path(
        "embed/<str:token>/invoices/<uuid:invoice_id>/",
        views.invoice_detail,
        name="invoice-detail",
    ),
]
