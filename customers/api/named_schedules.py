"""Customer named schedules (getNamedSchedule, updateNamedSchedule), Metronome's wire format."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response
from billing_console.named_schedules import (
    named_schedule_input,
    named_schedule_query,
    named_schedule_segments,
    named_schedule_update,
    segment_to_wire,
)
from billing_console.schema import envelope
from billing_console.wire import Reader, request_reader
from customers.models import Customer, CustomerNamedSchedule
from customers.selectors import customer_get

SCHEDULE_RESPONSE = envelope(
    "CustomerNamedScheduleResponse", serializers.ListField(child=serializers.DictField())
)


def _customer(request: Request) -> tuple[Reader, Customer]:
    reader = request_reader(request)
    return reader, customer_get(reader.str("customer_id", required=True, max_length=64))


class CustomerNamedScheduleGetApi(APIView):
    """getNamedSchedule: the schedule's segments, or the one covering `covering_date`."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=SCHEDULE_RESPONSE)
    def post(self, request: Request) -> Response:
        reader, customer = _customer(request)
        query = named_schedule_query(reader)
        segments = named_schedule_segments(
            CustomerNamedSchedule, owner={"customer": customer}, **query
        )
        return data_response([segment_to_wire(s) for s in segments])


class CustomerNamedScheduleUpdateApi(APIView):
    """updateNamedSchedule: `value` over [starting_at, ending_before), overwriting that window."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: None})
    def post(self, request: Request) -> Response:
        reader, customer = _customer(request)
        data = named_schedule_input(reader)
        named_schedule_update(CustomerNamedSchedule, owner={"customer": customer}, **data)
        return Response(status=200)
