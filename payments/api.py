"""Our own endpoints (Metronome documents none for these; the README says so):

POST /v1/invoices/createPaymentLink {customer_id, invoice_id, success_url, cancel_url}
  -> {"data": {"id", "url", "expires_at", "amount", "currency", "reused"}}: a Stripe Checkout
  Session the customer pays on; an open one is returned again. 400 naming why an invoice
  cannot be paid by card (no Stripe configuration, not finalized, ...), 409 once it is paid.
POST /v1/contracts/paymentGates/recordExternalPayment {customer_id, invoice_id, reference?}
  -> {"data": {"invoice_id", "paid_at", "reference"}}: releases the commit of a threshold
  invoice gated EXTERNAL. 400 naming why for other invoices or one already paid.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import ApplicationError, data_response, validated
from billing_console.lib.wire_values import iso, number
from invoicing.models import Invoice
from payments.checkout import ReturnUrls, checkout_session_open
from payments.gates import external_payment_record


def _known_only(serializer: type[serializers.Serializer], data: object, name: str) -> None:
    """Accepted means honoured: a field these endpoints do not take is refused, not dropped."""
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(serializer().fields))
        if unknown:
            raise ApplicationError(f"{unknown[0]}: is not a field of {name}.")


def _invoice(customer_id: str, invoice_id: str) -> Invoice:
    invoice = (
        Invoice.objects.select_related("credit_type")
        .filter(public_id=invoice_id, customer__public_id=customer_id)
        .first()
    )
    if invoice is None:
        raise ApplicationError(f"invoice_id: no invoice {invoice_id} for customer {customer_id}.", "not_found")  # fmt: skip
    return invoice


class InvoicePaymentLinkCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        customer_id = serializers.UUIDField()
        invoice_id = serializers.UUIDField()
        # Where Stripe sends the customer after paying or cancelling (your own pages).
        success_url = serializers.URLField(max_length=2000)
        cancel_url = serializers.URLField(max_length=2000)

    @extend_schema(
        request=InputSerializer,
        responses=inline_serializer(
            "InvoicePaymentLinkResponse", {"data": serializers.DictField()}
        ),
    )
    def post(self, request: Request) -> Response:
        _known_only(self.InputSerializer, request.data, "createPaymentLink")
        data = validated(self.InputSerializer, request.data)
        invoice = _invoice(str(data["customer_id"]), str(data["invoice_id"]))
        before = set(invoice.checkout_sessions.values_list("pk", flat=True))
        urls = ReturnUrls(success=data["success_url"], cancel=data["cancel_url"])
        row = checkout_session_open(invoice=invoice, urls=urls, via="api")
        return data_response({
            "id": str(row.public_id), "url": row.url,
            "expires_at": iso(row.expires_at) if row.expires_at else None,
            "amount": number(row.amount), "currency": row.currency.upper(),
            "reused": row.pk in before,
        })  # fmt: skip


class PaymentGateExternalPaymentApi(APIView):
    class InputSerializer(serializers.Serializer):
        customer_id = serializers.UUIDField()
        invoice_id = serializers.UUIDField()
        reference = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses=inline_serializer("ExternalPaymentResponse", {"data": serializers.DictField()}),
    )
    def post(self, request: Request) -> Response:
        _known_only(self.InputSerializer, request.data, "recordExternalPayment")
        data = validated(self.InputSerializer, request.data)
        invoice = _invoice(str(data["customer_id"]), str(data["invoice_id"]))
        payment = external_payment_record(
            invoice=invoice, reference=data.get("reference", ""), user=request.user
        )
        return data_response({
            "invoice_id": str(invoice.public_id), "paid_at": iso(payment.paid_at),
            "reference": payment.reference,
        })  # fmt: skip
