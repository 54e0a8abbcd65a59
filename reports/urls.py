from django.urls import path

from reports.views import audit, exports, overview, runs

app_name = "reports"

urlpatterns = [
    path("audit-log/", audit.audit_list, name="audit-list"),
    path("audit-log/export.csv", audit.audit_export, name="audit-export"),
    path("reports/", runs.report_list, name="report-list"),
    path("reports/run", runs.report_create, name="report-create"),
    path("reports/preview", runs.report_preview_view, name="report-preview"),
    path("reports/<uuid:run_id>/", runs.report_detail, name="report-detail"),
    path("reports/<uuid:run_id>/download", runs.report_download, name="report-download"),
    path("exports/", exports.export_list, name="export-list"),
    path("exports/create", exports.export_create, name="export-create"),
    path("exports/<uuid:schedule_id>/", exports.export_detail, name="export-detail"),
    path("exports/<uuid:schedule_id>/edit", exports.export_update, name="export-update"),
    path("exports/<uuid:schedule_id>/run", exports.export_run_now, name="export-run"),
    # Loaded at the top of the customer page (customers cannot import reports: a URL, not code).
    path(
        "customers/<uuid:customer_id>/overview",
        overview.customer_overview_view,
        name="customer-overview",
    ),
]
