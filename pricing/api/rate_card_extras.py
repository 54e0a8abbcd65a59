"""Rate card endpoints beyond the catalog: named schedules (getNamedSchedule,
updateNamedSchedule) and the product display order (setRateCardProductsOrder,
moveRateCardProducts), Metronome's wire format."""

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
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import Reader, request_reader
from pricing import product_order, selectors
from pricing.models import RateCard, RateCardNamedSchedule

ID_RESPONSE = envelope("RateCardProductOrderResponse", IdSerializer())
SCHEDULE_RESPONSE = envelope(
    "RateCardNamedScheduleResponse", serializers.ListField(child=serializers.DictField())
)


def _card(request: Request) -> tuple[Reader, RateCard]:
    reader = request_reader(request)
    card_id = reader.str("rate_card_id", required=True, max_length=64)
    return reader, selectors.rate_card_get(card_id, field="rate_card_id")


class RateCardNamedScheduleGetApi(APIView):
    """getNamedSchedule: the schedule's segments, or the one covering `covering_date`."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=SCHEDULE_RESPONSE)
    def post(self, request: Request) -> Response:
        reader, card = _card(request)
        query = named_schedule_query(reader)
        segments = named_schedule_segments(
            RateCardNamedSchedule,
            owner={"rate_card": card},
            schedule_name=query["schedule_name"],
            covering_date=query["covering_date"],
        )
        return data_response([segment_to_wire(s) for s in segments])


class RateCardNamedScheduleUpdateApi(APIView):
    """updateNamedSchedule: `value` over [starting_at, ending_before), overwriting that window."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: None})
    def post(self, request: Request) -> Response:
        reader, card = _card(request)
        named_schedule_update(
            RateCardNamedSchedule, owner={"rate_card": card}, **named_schedule_input(reader)
        )
        return Response(status=200)


class RateCardProductsOrderSetApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader, card = _card(request)
        products = product_order.products_order_from_wire(reader, rate_card=card)
        product_order.rate_card_products_order_set(rate_card=card, products=products)
        return data_response({"id": str(card.public_id)})


class RateCardProductsMoveApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader, card = _card(request)
        moves = product_order.product_moves_from_wire(reader, rate_card=card)
        product_order.rate_card_products_move(rate_card=card, moves=moves)
        return data_response({"id": str(card.public_id)})
