"""Rate card endpoints, Metronome's wire format: create, get, list, update and archive (their
rates are in pricing.api.rates; named schedules and product order in
pricing.api.rate_card_extras)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response, paginated_response, validated
from billing_console.lib.wire_values import iso
from billing_console.wire import Reader, request_reader
from pricing import selectors, services, wire_fields
from pricing.api.common import (
    ID_RESPONSE,
    OBJECT_RESPONSE,
    bad_input,
    created_by_of,
    id_response,
    page_schema,
)
from pricing.models import RateCard
from pricing.wire_rates import rate_card_to_wire


def _aliases(reader: Reader) -> list[dict[str, Any]] | None:
    if "aliases" not in reader.data:
        return None
    out = []
    for item in reader.children("aliases"):
        alias: dict[str, Any] = {"name": item.str("name", required=True, max_length=200)}
        for key in ("starting_at", "ending_before"):
            alias[key] = iso(item.datetime(key))
        out.append({k: v for k, v in alias.items() if v is not None})
    return out


def _conversions(reader: Reader, key: str) -> list[tuple[Any, Any]]:
    out = []
    for item in reader.children(key):
        value = item.str("custom_credit_type_id", required=True)
        field = f"{item.path}.custom_credit_type_id"
        credit_type = bad_input(lambda v=value, f=field: selectors.credit_type_get(v, field=f))
        out.append((credit_type, item.decimal("fiat_per_custom_credit", required=True)))
    return out


def rate_card_from_body(reader: Reader, key: str) -> RateCard:
    return selectors.rate_card_get(reader.str(key, required=True), field=key)


class RateCardCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = request_reader(request, wire_fields.RATE_CARD_CREATE)
        fiat = None
        if reader.has("fiat_credit_type_id"):
            value = reader.str("fiat_credit_type_id")
            fiat = bad_input(lambda: selectors.credit_type_get(value, field="fiat_credit_type_id"))
        card = services.rate_card_create(
            name=reader.str("name", required=True, max_length=200),
            description=reader.str("description"),
            fiat_credit_type=fiat,
            aliases=_aliases(reader),
            credit_type_conversions=_conversions(reader, "credit_type_conversions"),
            custom_fields=reader.str_map("custom_fields"),
        )
        return id_response(card)


class RateCardGetApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        card = selectors.rate_card_get(data["id"], field="id")
        return data_response(rate_card_to_wire(card, created_by=created_by_of(RateCard, card)))


class RateCardListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=page_schema("RateCardListResponse"))
    def post(self, request: Request) -> Response:
        return paginated_response(
            request,
            selectors.rate_card_list(),
            lambda card: rate_card_to_wire(card, created_by=created_by_of(RateCard, card)),
        )


class RateCardUpdateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        card = rate_card_from_body(reader, "rate_card_id")
        card = services.rate_card_update(
            rate_card=card,
            name=reader.str("name", max_length=200) if reader.has("name") else None,
            description=reader.str("description") if reader.has("description") else None,
            aliases=_aliases(reader),
            add_credit_type_conversions=_conversions(reader, "add_credit_type_conversions"),
        )
        return id_response(card)


class RateCardArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        card = selectors.rate_card_get(data["id"], field="id")
        return id_response(services.rate_card_archive(rate_card=card))
