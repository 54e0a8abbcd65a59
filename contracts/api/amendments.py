"""/v1/contracts/amend (contracts.terms.amendments), in Metronome's wire format."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import ApplicationError, data_response
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import request_object
from billing_console.wire_fields import refuse_unsupported
from contracts import selectors
from contracts.terms.amendments import contract_amend
from contracts.wire.fields.amendments import CONTRACT_AMEND
from customers.selectors import customer_get


def _actor(request: Request) -> str:
    token = getattr(request, "auth", None)
    return f"api:{getattr(token, 'name', '')}" if token is not None else "api"


class ContractAmendApi(APIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT, responses=envelope("ContractAmendResponse", IdSerializer())
    )
    def post(self, request: Request) -> Response:
        body = request_object(request)
        refuse_unsupported(body, CONTRACT_AMEND)  # a refused field first, before any lookup
        for key in ("customer_id", "contract_id"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise ApplicationError(f"{key}: is required.")
        customer = customer_get(body["customer_id"])
        contract = selectors.contract_get(customer=customer, contract_id=body["contract_id"])
        edit = contract_amend(contract=contract, data=body, actor=_actor(request))
        return data_response({"id": str(edit.public_id)})
