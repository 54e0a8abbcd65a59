from django.urls import path

from alerts.api import views

urlpatterns = [
    path("v1/alerts/create", views.AlertCreateApi.as_view(), name="api-alert-create"),
    path("v1/alerts/archive", views.AlertArchiveApi.as_view(), name="api-alert-archive"),
    path(
        "v1/customer-alerts/list",
        views.CustomerAlertListApi.as_view(),
        name="api-customer-alert-list",
    ),
    path(
        "v1/customer-alerts/get", views.CustomerAlertGetApi.as_view(), name="api-customer-alert-get"
    ),
    path(
        "v1/customer-alerts/reset",
        views.CustomerAlertResetApi.as_view(),
        name="api-customer-alert-reset",
    ),
    path(
        "v2/notifications/create",
        views.NotificationCreateApi.as_view(),
        name="api-notification-create",
    ),
    path("v2/notifications/get", views.NotificationGetApi.as_view(), name="api-notification-get"),
    path(
        "v2/notifications/edit", views.NotificationEditApi.as_view(), name="api-notification-edit"
    ),
    path(
        "v2/notifications/archive",
        views.NotificationArchiveApi.as_view(),
        name="api-notification-archive",
    ),
    path(
        "v2/notifications/offset/list",
        views.NotificationListApi.as_view(),
        name="api-notification-list",
    ),
    path(
        "v2/notifications/system/list",
        views.SystemNotificationListApi.as_view(),
        name="api-notification-system-list",
    ),
]
