from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("create", views.alert_create, name="alert-create"),
    path("states/", views.state_list, name="state-list"),
    path("notifications/", views.notification_settings, name="notification-settings"),
    path("notifications/create", views.offset_create, name="offset-create"),
    path("notifications/<uuid:notification_id>/edit", views.offset_edit, name="offset-edit"),
    path(
        "notifications/<uuid:notification_id>/archive", views.offset_archive, name="offset-archive"
    ),
    path("notifications/system/<str:event_type>", views.system_toggle, name="system-toggle"),
    path("<uuid:alert_id>/", views.alert_detail, name="alert-detail"),
    path("<uuid:alert_id>/archive", views.alert_archive, name="alert-archive"),
    path("<uuid:alert_id>/reset/<uuid:customer_id>", views.state_reset, name="state-reset"),
]
