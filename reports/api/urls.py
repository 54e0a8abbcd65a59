from django.urls import path

from reports.api import views

urlpatterns = [
    path("v1/auditLogs", views.AuditLogListApi.as_view(), name="api-audit-logs"),
]
