"""POST /v1/dashboards/getEmbeddableUrl: {"data": {"url": ...}} (SDK DashboardGetEmbeddableURLResponse)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response
from billing_console.schema import envelope
from embeds.services import embed_url_create


class DashboardEmbeddableUrlApi(APIView):
    class InputSerializer(serializers.Serializer):
        customer_id = serializers.UUIDField()
        dashboard = serializers.ChoiceField(
            choices=["invoices", "usage", "credits", "commits_and_credits"]
        )
        color_overrides = serializers.ListField(child=serializers.DictField(), required=False)
        dashboard_options = serializers.ListField(child=serializers.DictField(), required=False)
        bm_group_key_overrides = serializers.ListField(
            child=serializers.DictField(), required=False
        )

    class OutputSerializer(serializers.Serializer):
        url = serializers.URLField()

    @extend_schema(
        request=InputSerializer,
        responses=envelope("DashboardEmbeddableUrlResponse", OutputSerializer()),
        operation_id="dashboards_get_embeddable_url",
    )
    def post(self, request: Request) -> Response:
        path, _grant = embed_url_create(data=request.data)
        return data_response({"url": request.build_absolute_uri(path)})
