"""Contract named schedules (getNamedSchedule, updateNamedSchedule, listNamedSchedules),
Metronome's wire format. A contract's schedules are qualified by properties
({"region": "eu"}); one name with different properties is a different schedule."""

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response, sequence_response
from billing_console.named_schedules import (
    named_schedule_input,
    named_schedule_query,
    named_schedule_segments,
    named_schedule_update,
    segment_to_wire,
)
from billing_console.schema import envelope
from billing_console.wire import Reader, request_reader
from contracts import selectors
from contracts.models import Contract, ContractNamedSchedule
from customers.models import Customer
from customers.selectors import customer_get

SCHEDULE_RESPONSE = envelope(
    "ContractNamedScheduleResponse", serializers.ListField(child=serializers.DictField())
)


_reader = request_reader


def _customer(reader: Reader) -> Customer:
    return customer_get(reader.str("customer_id", required=True, max_length=64))


def _contract(reader: Reader, customer: Customer) -> Contract:
    contract_id = reader.str("contract_id", required=True, max_length=64)
    return selectors.contract_get(customer=customer, contract_id=contract_id)


class ContractNamedScheduleGetApi(APIView):
    """getNamedSchedule: the segments of the schedule with exactly these properties ({} when
    none are given), or the one covering `covering_date`."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=SCHEDULE_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _reader(request)
        contract = _contract(reader, _customer(reader))
        query = named_schedule_query(reader, with_properties=True)
        segments = named_schedule_segments(
            ContractNamedSchedule, owner={"contract": contract}, **query
        )
        return data_response([segment_to_wire(s) for s in segments])


class ContractNamedScheduleUpdateApi(APIView):
    """updateNamedSchedule: `value` over [starting_at, ending_before), overwriting that window."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: None})
    def post(self, request: Request) -> Response:
        reader = _reader(request)
        contract = _contract(reader, _customer(reader))
        data = named_schedule_input(reader, with_properties=True)
        named_schedule_update(ContractNamedSchedule, owner={"contract": contract}, **data)
        return Response(status=200)


def _schedules(qs: Any, *, properties: dict[str, str], covering_date: Any) -> list[dict[str, Any]]:
    """Segments grouped into schedules (contract, name, properties), in that order; only the
    schedules whose properties include `properties`."""
    groups: dict[tuple[int, str, str], dict[str, Any]] = {}
    for segment in qs.select_related("contract").order_by(
        "contract_id", "schedule_name", "starting_at", "pk"
    ):
        own = segment.properties or {}
        if any(own.get(k) != v for k, v in properties.items()):
            continue
        key = (segment.contract_id, segment.schedule_name, json.dumps(own, sort_keys=True))
        group = groups.setdefault(
            key,
            {
                "contract_id": str(segment.contract.public_id),
                "schedule_name": segment.schedule_name,
                "properties": own,
                "segments": [],
            },
        )
        covers = covering_date is None or (
            segment.starting_at <= covering_date
            and (segment.ending_before is None or covering_date < segment.ending_before)
        )
        if covers:
            group["segments"].append(segment_to_wire(segment))
    return [groups[key] for key in sorted(groups)]


class ContractNamedScheduleListApi(APIView):
    """listNamedSchedules: the customer's contract schedules, optionally for one contract or
    one name; `properties` keeps the schedules carrying at least those properties."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        reader = _reader(request)
        customer = _customer(reader)
        qs = ContractNamedSchedule.objects.filter(contract__customer=customer)
        if reader.has("contract_id"):
            qs = qs.filter(contract=_contract(reader, customer))
        if reader.has("schedule_name"):
            qs = qs.filter(schedule_name=reader.str("schedule_name", max_length=200))
        schedules = _schedules(
            qs,
            properties=reader.str_map("properties"),
            covering_date=reader.datetime("covering_date"),
        )
        return sequence_response(request, schedules, lambda item: item)
