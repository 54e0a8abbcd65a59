from django.urls import path

from tax import views

app_name = "tax"

urlpatterns = [
    path("settings", views.tax_settings, name="tax-settings"),
    path("settings/<uuid:provider_id>/anrok", views.anrok_key_set, name="anrok-key-set"),
    path("settings/<uuid:provider_id>/avalara", views.avalara_set, name="avalara-set"),
    path("customers/<uuid:customer_id>/address", views.tax_address_edit, name="tax-address-edit"),
    path(
        "invoices/<uuid:invoice_id>/retry", views.invoice_tax_retry_view, name="invoice-tax-retry"
    ),
]
