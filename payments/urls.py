from django.urls import path

from payments import api, views

app_name = "payments"

urlpatterns = [
    path("embed/<str:token>/invoices/<uuid:invoice_id>/pay", views.embed_pay, name="embed-pay"),
    path(
        "embed/<str:token>/invoices/<uuid:invoice_id>/checkout/<str:outcome>",
        views.embed_return,
        name="embed-return",
    ),
    path("pay/<uuid:checkout_id>/<str:outcome>", views.checkout_return, name="checkout-return"),
    path("invoices/<uuid:invoice_id>/payment-link", views.payment_link, name="payment-link"),
    path(
        "invoices/<uuid:invoice_id>/external-payment",
        views.external_payment,
        name="external-payment",
    ),
    path("v1/invoices/createPaymentLink", api.InvoicePaymentLinkCreateApi.as_view()),
    path(
        "v1/contracts/paymentGates/recordExternalPayment",
        api.PaymentGateExternalPaymentApi.as_view(),
    ),
]
