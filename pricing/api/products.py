"""Product endpoints, Metronome's wire format: create, get, list, update (a new version from an
hour boundary) and archive."""

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response, paginated_response, validated
from billing_console.wire import Reader, request_reader
from pricing import selectors, services, wire_fields
from pricing.api.common import (
    ID_RESPONSE,
    OBJECT_RESPONSE,
    archive_filter,
    bad_input,
    id_response,
    page_schema,
)
from pricing.models import Product, ProductVersion
from pricing.wire_products import product_to_wire
from usage.selectors import metric_get

PRODUCT_TYPES = (
    "FIXED",
    "USAGE",
    "COMPOSITE",
    "SUBSCRIPTION",
    "PROFESSIONAL_SERVICE",
    "PRO_SERVICE",
)
PRODUCT_LISTS = ("tags", "pricing_group_key", "presentation_group_key", "composite_tags")


def _actor(request: Request) -> str:
    user = request.user
    if user is None or not user.is_authenticated:
        return ""
    return user.get_full_name() or user.get_username()


def _product_fields(reader: Reader) -> dict[str, Any]:
    """Keyword arguments of product_create/product_update from the fields present in a body."""
    fields: dict[str, Any] = {}
    if reader.has("billable_metric_id"):
        value = reader.str("billable_metric_id")
        fields["billable_metric"] = bad_input(lambda: metric_get(value))
    for key in PRODUCT_LISTS:
        if reader.has(key):
            fields[key] = reader.str_list(key)
    if reader.has("composite_product_ids"):
        ids = reader.str_list("composite_product_ids")
        for index, value in enumerate(ids):
            field = f"composite_product_ids[{index}]"
            bad_input(lambda v=value, f=field: selectors.product_get(v, field=f))
        fields["composite_product_ids"] = ids
    for key in ("quantity_conversion", "quantity_rounding"):
        if key in reader.data:
            fields[key] = reader.data[key]
    for key in ("exclude_free_usage", "is_refundable"):
        if reader.has(key):
            fields[key] = reader.bool(key)
    for key in ("netsuite_internal_item_id", "netsuite_overage_item_id"):
        if reader.has(key):
            fields[key] = reader.str(key, max_length=200)
    return fields


def _product_queryset() -> Any:
    versions = ProductVersion.objects.select_related("billable_metric").order_by("starting_at")
    return Prefetch("versions", queryset=versions)


def _product_wire(product: Product) -> dict[str, Any]:
    product._versions_cache = list(product.versions.all())  # the prefetched, ordered versions
    return product_to_wire(product, now=timezone.now())


class ProductCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = request_reader(request, wire_fields.PRODUCT_CREATE)
        product_type = reader.choice("type", PRODUCT_TYPES, required=True)
        product = services.product_create(
            name=reader.str("name", required=True, max_length=200),
            type="PRO_SERVICE" if product_type == "PROFESSIONAL_SERVICE" else product_type,
            custom_fields=reader.str_map("custom_fields"),
            created_by=_actor(request),
            **_product_fields(reader),
        )
        return id_response(product)


class ProductGetApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        product = selectors.product_get(data["id"], field="id")
        return data_response(product_to_wire(product, now=timezone.now()))


class ProductListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=page_schema("ProductListResponse"))
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        qs = selectors.product_list(archived=archive_filter(reader))
        return paginated_response(request, qs.prefetch_related(_product_queryset()), _product_wire)


class ProductUpdateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = request_reader(request)
        product = selectors.product_get(reader.str("product_id", required=True), field="product_id")
        starting_at = reader.datetime("starting_at", required=True)
        assert starting_at is not None
        if (starting_at.minute, starting_at.second, starting_at.microsecond) != (0, 0, 0):
            raise reader.fail("starting_at", "must be on an hour boundary (e.g. 1:00, not 1:30).")
        fields = _product_fields(reader)
        if reader.has("name"):
            fields["name"] = reader.str("name", max_length=200)
        product = services.product_update(
            product=product, starting_at=starting_at, created_by=_actor(request), **fields
        )
        return id_response(product)


class ProductArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        product_id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        product = selectors.product_get(data["product_id"], field="product_id")
        return id_response(services.product_archive(product=product))
