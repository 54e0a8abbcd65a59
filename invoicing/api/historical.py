"""/v1/contracts/createHistoricalInvoices (invoicing.historical), in Metronome's wire format."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response
from billing_console.wire import request_object
from invoicing.historical import historical_invoices_create


class HistoricalInvoicesCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        return data_response(historical_invoices_create(data=request_object(request)))
