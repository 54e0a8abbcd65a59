from django.urls import path

from embeds import api, console_views, views

app_name = "embeds"

urlpatterns = [
    path("v1/dashboards/getEmbeddableUrl", api.DashboardEmbeddableUrlApi.as_view()),
    path("embed/<str:token>/", views.dashboard, name="dashboard"),
    # console screens
    path("customers/<uuid:customer_id>/embed-link", console_views.embed_link, name="embed-link"),
    path("settings/embeds/", console_views.frame_origins, name="frame-origins"),
    path("settings/embeds/add", console_views.frame_origin_add, name="frame-origin-add"),
    path(
        "settings/embeds/<uuid:origin_id>/remove",
        console_views.frame_origin_remove,
        name="frame-origin-remove",
    ),
    path(
        "embed/<str:token>/invoices/<uuid:invoice_id>/",
        views.invoice_detail,
        name="invoice-detail",
    ),
]
