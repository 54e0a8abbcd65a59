"""Credit type (pricing unit) endpoints, Metronome's wire format: create, list, archive."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import paginated_response, validated
from pricing import selectors, services
from pricing.api.common import ID_RESPONSE, id_response, page_schema
from pricing.wire import credit_type_to_wire


class CreditTypeCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        return id_response(services.credit_type_create(name=data["name"]))


class CreditTypeListApi(APIView):
    @extend_schema(responses=page_schema("CreditTypeListResponse"))
    def get(self, request: Request) -> Response:
        return paginated_response(request, selectors.credit_type_list(), credit_type_to_wire)


class CreditTypeArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        credit_type = selectors.credit_type_get(data["id"], field="id")
        return id_response(services.credit_type_archive(credit_type=credit_type))
