"""POST /v1/contracts/scheduleProServicesInvoice (the SDK's
contracts.schedule_pro_services_invoice): bill professional services of a contract; the body is
read by invoicing/pro_services.py. Returns {"data": [Invoice]}, the invoice carrying the lines."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response, validated
from billing_console.wire import request_object
from billing_console.wire_fields import refuse_unsupported
from contracts import selectors
from contracts.wire.fields.services_terms import PRO_SERVICES_INVOICE
from customers.selectors import customer_get
from invoicing.pro_services import pro_services_invoice_schedule
from invoicing.wire import invoice_to_wire


class ContractRef(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    contract_id = serializers.CharField(max_length=64)


class ProServicesInvoiceScheduleApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        body = request_object(request)
        refuse_unsupported(body, PRO_SERVICES_INVOICE)  # a refused field first, before lookups
        ref = validated(ContractRef, {k: body.get(k) for k in ("customer_id", "contract_id")})
        contract = selectors.contract_get(
            customer=customer_get(ref["customer_id"]), contract_id=ref["contract_id"]
        )
        data = {k: v for k, v in body.items() if k not in ("customer_id", "contract_id")}
        invoices = pro_services_invoice_schedule(contract=contract, data=data)
        return data_response([invoice_to_wire(i) for i in invoices])
