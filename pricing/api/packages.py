"""Package endpoints, Metronome's wire format: create, get, list, archive (the contracts on a
package, listContractsOnPackage, are read by contracts.api.packages)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response, paginated_response, validated
from billing_console.wire import request_reader
from pricing import packages, selectors
from pricing.api.common import (
    ID_RESPONSE,
    OBJECT_RESPONSE,
    archive_filter,
    created_by_of,
    id_response,
    page_schema,
)
from pricing.models import Package
from pricing.wire_packages import package_to_wire


def _package_wire(package: Package) -> dict[str, Any]:
    return package_to_wire(package, created_by=created_by_of(Package, package))


class PackageCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        return id_response(packages.package_create(data=reader.data))


class PackageGetApi(APIView):
    class InputSerializer(serializers.Serializer):
        package_id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        return data_response(_package_wire(selectors.package_get(data["package_id"])))


class PackageListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=page_schema("PackageListResponse"))
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        qs = selectors.package_list(archive_filter=archive_filter(reader))
        return paginated_response(request, qs, _package_wire)


class PackageArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        package_id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        package = selectors.package_get(data["package_id"])
        return id_response(packages.package_archive(package=package))
