"""/v1/services (the SDK's services.list): the addresses customers allowlist for this server,
as configured (SERVICE_EGRESS_IPS, SERVICE_INGRESS_IPS). A service with no address is not
listed, so an unconfigured server answers an empty list."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

# name, usage (the SDK's Service.usage), setting
SERVICES = (
    ("egress", "makes_connections_from", "SERVICE_EGRESS_IPS"),
    ("ingress", "accepts_connections_at", "SERVICE_INGRESS_IPS"),
)


def services_list() -> list[dict[str, Any]]:
    """ServiceListResponse.services."""
    out = []
    for name, usage, setting in SERVICES:
        ips = list(getattr(settings, setting, None) or [])
        if ips:
            out.append({"name": name, "ips": ips, "usage": usage})
    return out


class ServiceOutput(serializers.Serializer):
    name = serializers.CharField()
    ips = serializers.ListField(child=serializers.CharField())
    usage = serializers.ChoiceField(choices=[usage for _, usage, _ in SERVICES])


class ServiceListApi(APIView):
    @extend_schema(
        responses=inline_serializer("ServiceListResponse", {"services": ServiceOutput(many=True)}),
        operation_id="services_list",
    )
    def get(self, request: Request) -> Response:
        return Response({"services": services_list()})  # no {"data": ...} envelope here
