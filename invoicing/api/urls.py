from django.urls import path

from invoicing.api import contract_views, historical, views

urlpatterns = [
    path(
        "v1/contracts/createHistoricalInvoices",
        historical.HistoricalInvoicesCreateApi.as_view(),
        name="api-contract-create-historical-invoices",
    ),
    path(
        "v1/customers/<str:customer_id>/invoices",
        views.InvoiceListApi.as_view(),
        name="api-invoices",
    ),
    path(
        "v1/customers/<str:customer_id>/invoices/breakdowns",
        views.InvoiceBreakdownsApi.as_view(),
        name="api-invoice-breakdowns",
    ),
    path(
        "v1/customers/<str:customer_id>/costs",
        views.CustomerCostsApi.as_view(),
        name="api-customer-costs",
    ),
    path(
        "v1/customers/<str:customer_id>/previewEvents",
        views.PreviewEventsApi.as_view(),
        name="api-customer-preview-events",
    ),
    path(
        "v1/customers/<str:customer_id>/invoices/<str:invoice_id>",
        views.InvoiceDetailApi.as_view(),
        name="api-invoice",
    ),
    path(
        "v1/customers/<str:customer_id>/invoices/<str:invoice_id>/pdf",
        views.InvoicePdfApi.as_view(),
        name="api-invoice-pdf",
    ),
    path(
        "v1/contracts/getContractRateSchedule",
        contract_views.ContractRateScheduleApi.as_view(),
        name="api-contract-rate-schedule",
    ),
    path("v1/invoices/void", views.InvoiceVoidApi.as_view(), name="api-invoice-void"),
    path(
        "v1/invoices/regenerate",
        views.InvoiceRegenerateApi.as_view(),
        name="api-invoice-regenerate",
    ),
]
