"""A rate card's rates, Metronome's wire format: addRate, addRates, getRates (in force at one
moment) and getRateSchedule (in force at some moment of a window)."""

from datetime import datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response, sequence_response
from billing_console.wire import Reader, request_reader
from pricing import selectors, services, wire_fields
from pricing.api.common import ID_RESPONSE, OBJECT_RESPONSE, id_response, page_schema
from pricing.api.rate_cards import rate_card_from_body
from pricing.wire_rates import rate_added_to_wire, rate_entry_to_wire


class RateAddApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = request_reader(request, wire_fields.RATE_ADD)
        card = rate_card_from_body(reader, "rate_card_id")
        rate = services.rate_add(rate_card=card, **services.rate_input_from_wire(reader))
        return data_response(rate_added_to_wire(rate))


class RatesAddApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        card = rate_card_from_body(reader, "rate_card_id")
        items = reader.children("rates", required=True)
        rates = [services.rate_input_from_wire(item) for item in items]
        services.rates_add_many(rate_card=card, rates=rates)
        return id_response(card)


def _selectors(reader: Reader, *, tags: bool) -> list[dict[str, Any]]:
    return services.rate_selectors_from_wire(reader, tags=tags)


def _entries(request: Request, rates: list[Any], as_of: datetime) -> Response:
    return sequence_response(request, rates, lambda r: rate_entry_to_wire(r, as_of=as_of))


class RateListApi(APIView):
    """getRates: the rates in force at one moment."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=page_schema("RateListResponse"))
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        card = rate_card_from_body(reader, "rate_card_id")
        at = reader.datetime("at", required=True)
        assert at is not None
        rates = selectors.rates_at(card, at, _selectors(reader, tags=True))
        return _entries(request, rates, at)


class RateScheduleApi(APIView):
    """getRateSchedule: every rate in force at some moment of [starting_at, ending_before)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=page_schema("RateScheduleResponse"))
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        card = rate_card_from_body(reader, "rate_card_id")
        starting_at = reader.datetime("starting_at", required=True)
        ending_before = reader.datetime("ending_before")
        assert starting_at is not None
        if ending_before is not None and ending_before <= starting_at:
            raise reader.fail("ending_before", "must be after starting_at.")
        rates = selectors.rate_schedule(
            card,
            starting_at=starting_at,
            ending_before=ending_before,
            selectors=_selectors(reader, tags=False),
        )
        return _entries(request, rates, starting_at)
