from django.urls import path

from invoicing import views
from invoicing.marketplaces import views as metering_views

app_name = "invoicing"

urlpatterns = [
    path("", views.invoice_list, name="invoice-list"),
    path("<uuid:invoice_id>/", views.invoice_detail, name="invoice-detail"),
    path("<uuid:invoice_id>/pdf", views.invoice_pdf, name="invoice-pdf"),
    path("<uuid:invoice_id>/finalize", views.invoice_finalize, name="invoice-finalize"),
    path("<uuid:invoice_id>/void", views.invoice_void, name="invoice-void"),
    path("<uuid:invoice_id>/regenerate", views.invoice_regenerate, name="invoice-regenerate"),
    # Marketplace metering: the invoice's hourly records (a fragment), and the settings page.
    path(
        "<uuid:invoice_id>/marketplace-metering",
        metering_views.invoice_metering,
        name="invoice-metering",
    ),
    path("marketplace-metering/", metering_views.metering_settings, name="marketplace-metering"),
    path(
        "marketplace-metering/<uuid:provider_id>",
        metering_views.listing_settings_save,
        name="marketplace-listing-save",
    ),
    path(
        "marketplace-metering/records/<uuid:record_id>/retry",
        metering_views.meter_record_retry_view,
        name="meter-record-retry",
    ),
]
