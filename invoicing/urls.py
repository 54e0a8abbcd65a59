from django.urls import path

from invoicing import views

app_name = "invoicing"

urlpatterns = [
    path("", views.invoice_list, name="invoice-list"),
    path("<uuid:invoice_id>/", views.invoice_detail, name="invoice-detail"),
    path("<uuid:invoice_id>/pdf", views.invoice_pdf, name="invoice-pdf"),
    path("<uuid:invoice_id>/finalize", views.invoice_finalize, name="invoice-finalize"),
    path("<uuid:invoice_id>/void", views.invoice_void, name="invoice-void"),
    path("<uuid:invoice_id>/regenerate", views.invoice_regenerate, name="invoice-regenerate"),
]
