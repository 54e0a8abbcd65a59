from django.urls import path

from crm import views

app_name = "crm"

urlpatterns = [
    path("", views.salesforce_settings, name="salesforce-settings"),
    path("connection", views.connection_save, name="connection-save"),
    path("mappings/<str:kind>", views.mapping_save, name="mapping-save"),
    path("sync-log/", views.sync_log, name="sync-log"),
    path("sync-log/<uuid:record_id>/retry", views.sync_retry, name="sync-retry"),
]
