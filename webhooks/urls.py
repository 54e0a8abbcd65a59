from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint-list"),
    path("create", views.endpoint_create, name="endpoint-create"),
    path("<uuid:endpoint_id>/", views.endpoint_detail, name="endpoint-detail"),
    path("<uuid:endpoint_id>/edit", views.endpoint_edit, name="endpoint-edit"),
    path("<uuid:endpoint_id>/disable", views.endpoint_disable, name="endpoint-disable"),
    path("<uuid:endpoint_id>/enable", views.endpoint_enable, name="endpoint-enable"),
    path("<uuid:endpoint_id>/rotate-secret", views.endpoint_rotate, name="endpoint-rotate"),
    path("<uuid:endpoint_id>/test", views.endpoint_test, name="endpoint-test"),
    path(
        "deliveries/<uuid:delivery_id>/redeliver",
        views.delivery_redeliver,
        name="delivery-redeliver",
    ),
]
