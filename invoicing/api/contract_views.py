"""Contract endpoints that need invoicing (which sits above contracts): the contract's
effective rate schedule, professional services invoices and charges added to an invoice."""

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import sequence_response
from billing_console.wire import Reader, request_reader
from contracts.models import Contract
from contracts.selectors import contract_get
from customers.selectors import customer_get
from invoicing.rate_schedule import contract_rate_schedule, segment_to_wire
from pricing.services import rate_selectors_from_wire

_body = request_reader


def _contract(reader: Reader) -> Contract:
    customer = customer_get(reader.str("customer_id", required=True, max_length=64))
    return contract_get(
        customer=customer, contract_id=reader.str("contract_id", required=True, max_length=64)
    )


def _page(name: str) -> Any:
    return inline_serializer(
        name=name,
        fields={
            "data": serializers.ListField(child=serializers.DictField()),
            "next_page": serializers.CharField(allow_null=True),
        },
    )


class ContractRateScheduleApi(APIView):
    """getContractRateSchedule: the rate card's rates with the contract's overrides applied,
    every segment in force at `at` (default now) or later within the contract's term."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses=_page("ContractRateScheduleResponse"),
        operation_id="contracts_retrieve_rate_schedule",
    )
    def post(self, request: Request) -> Response:
        reader = _body(request)
        contract = _contract(reader)
        at = reader.datetime("at") or timezone.now()
        segments = contract_rate_schedule(
            contract, at=at, selectors=rate_selectors_from_wire(reader, tags=True)
        )
        card_id = str(contract.rate_card.public_id) if contract.rate_card_id else ""
        return sequence_response(
            request, segments, lambda s: segment_to_wire(s, rate_card_id=card_id)
        )
