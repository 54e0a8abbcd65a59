"""Pricing catalog endpoints, Metronome's wire format (see shared/metronome-api.md): credit types,
products, rate cards and their rates, packages."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import (
    ApplicationError,
    data_response,
    paginated_response,
    sequence_response,
    validated,
)
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import Reader, request_reader
from pricing import packages, selectors, services, wire, wire_fields
from pricing.models import Package, Product, ProductVersion, RateCard
from usage.selectors import metric_get

ARCHIVE_FILTERS = ("ARCHIVED", "NOT_ARCHIVED", "ALL")
PRODUCT_TYPES = (
    "FIXED",
    "USAGE",
    "COMPOSITE",
    "SUBSCRIPTION",
    "PROFESSIONAL_SERVICE",
    "PRO_SERVICE",
)
PRODUCT_LISTS = ("tags", "pricing_group_key", "presentation_group_key", "composite_tags")

ID_RESPONSE = envelope("PricingIdResponse", IdSerializer())
OBJECT_RESPONSE = envelope("PricingObjectResponse", serializers.DictField())


def _page(name: str) -> Any:
    from drf_spectacular.utils import inline_serializer

    return inline_serializer(
        name=name,
        fields={
            "data": serializers.ListField(child=serializers.DictField()),
            "next_page": serializers.CharField(allow_null=True),
        },
    )


_body = request_reader


def _actor(request: Request) -> str:
    user = request.user
    if user is None or not user.is_authenticated:
        return ""
    return user.get_full_name() or user.get_username()


def _bad_input(lookup: Callable[[], Any]) -> Any:
    """A reference inside a body that names nothing is invalid input (400), not a missing
    resource (404): the 404 is kept for the object the path or id field is about."""
    try:
        return lookup()
    except ApplicationError as err:
        if err.code == "not_found":
            raise ApplicationError(err.message) from None
        raise


def _id(value: Any) -> Response:
    return data_response({"id": str(value.public_id)})


def _archive_filter(reader: Reader) -> str:
    return reader.choice("archive_filter", ARCHIVE_FILTERS, default="NOT_ARCHIVED")


def _created_by(model: type, row: Any) -> str:
    return wire.created_by_map(model, [row.pk]).get(row.pk, "")


# -- credit types (pricing units) --------------------------------------------------------------


class CreditTypeCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200)

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        return _id(services.credit_type_create(name=data["name"]))


class CreditTypeListApi(APIView):
    @extend_schema(responses=_page("CreditTypeListResponse"))
    def get(self, request: Request) -> Response:
        return paginated_response(request, selectors.credit_type_list(), wire.credit_type_to_wire)


class CreditTypeArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        credit_type = selectors.credit_type_get(data["id"], field="id")
        return _id(services.credit_type_archive(credit_type=credit_type))


# -- products ----------------------------------------------------------------------------------


def _product_fields(reader: Reader) -> dict[str, Any]:
    """Keyword arguments of product_create/product_update from the fields present in a body."""
    fields: dict[str, Any] = {}
    if reader.has("billable_metric_id"):
        value = reader.str("billable_metric_id")
        fields["billable_metric"] = _bad_input(lambda: metric_get(value))
    for key in PRODUCT_LISTS:
        if reader.has(key):
            fields[key] = reader.str_list(key)
    if reader.has("composite_product_ids"):
        ids = reader.str_list("composite_product_ids")
        for index, value in enumerate(ids):
            field = f"composite_product_ids[{index}]"
            _bad_input(lambda v=value, f=field: selectors.product_get(v, field=f))
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
    return wire.product_to_wire(product, now=timezone.now())


class ProductCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _body(request, wire_fields.PRODUCT_CREATE)
        product_type = reader.choice("type", PRODUCT_TYPES, required=True)
        product = services.product_create(
            name=reader.str("name", required=True, max_length=200),
            type="PRO_SERVICE" if product_type == "PROFESSIONAL_SERVICE" else product_type,
            custom_fields=reader.str_map("custom_fields"),
            created_by=_actor(request),
            **_product_fields(reader),
        )
        return _id(product)


class ProductGetApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        product = selectors.product_get(data["id"], field="id")
        return data_response(wire.product_to_wire(product, now=timezone.now()))


class ProductListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=_page("ProductListResponse"))
    def post(self, request: Request) -> Response:
        reader = _body(request)
        qs = selectors.product_list(archived=_archive_filter(reader))
        return paginated_response(request, qs.prefetch_related(_product_queryset()), _product_wire)


class ProductUpdateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _body(request)
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
        return _id(product)


class ProductArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        product_id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        product = selectors.product_get(data["product_id"], field="product_id")
        return _id(services.product_archive(product=product))


# -- rate cards --------------------------------------------------------------------------------


def _aliases(reader: Reader) -> list[dict[str, Any]] | None:
    if "aliases" not in reader.data:
        return None
    out = []
    for item in reader.children("aliases"):
        alias: dict[str, Any] = {"name": item.str("name", required=True, max_length=200)}
        for key in ("starting_at", "ending_before"):
            alias[key] = wire.iso(item.datetime(key))
        out.append({k: v for k, v in alias.items() if v is not None})
    return out


def _conversions(reader: Reader, key: str) -> list[tuple[Any, Any]]:
    out = []
    for item in reader.children(key):
        value = item.str("custom_credit_type_id", required=True)
        field = f"{item.path}.custom_credit_type_id"
        credit_type = _bad_input(lambda v=value, f=field: selectors.credit_type_get(v, field=f))
        out.append((credit_type, item.decimal("fiat_per_custom_credit", required=True)))
    return out


def _rate_card(reader: Reader, key: str) -> RateCard:
    return selectors.rate_card_get(reader.str(key, required=True), field=key)


class RateCardCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _body(request, wire_fields.RATE_CARD_CREATE)
        fiat = None
        if reader.has("fiat_credit_type_id"):
            value = reader.str("fiat_credit_type_id")
            fiat = _bad_input(lambda: selectors.credit_type_get(value, field="fiat_credit_type_id"))
        card = services.rate_card_create(
            name=reader.str("name", required=True, max_length=200),
            description=reader.str("description"),
            fiat_credit_type=fiat,
            aliases=_aliases(reader),
            credit_type_conversions=_conversions(reader, "credit_type_conversions"),
            custom_fields=reader.str_map("custom_fields"),
        )
        return _id(card)


class RateCardGetApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        card = selectors.rate_card_get(data["id"], field="id")
        return data_response(wire.rate_card_to_wire(card, created_by=_created_by(RateCard, card)))


class RateCardListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=_page("RateCardListResponse"))
    def post(self, request: Request) -> Response:
        return paginated_response(
            request,
            selectors.rate_card_list(),
            lambda card: wire.rate_card_to_wire(card, created_by=_created_by(RateCard, card)),
        )


class RateCardUpdateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _body(request)
        card = _rate_card(reader, "rate_card_id")
        card = services.rate_card_update(
            rate_card=card,
            name=reader.str("name", max_length=200) if reader.has("name") else None,
            description=reader.str("description") if reader.has("description") else None,
            aliases=_aliases(reader),
            add_credit_type_conversions=_conversions(reader, "add_credit_type_conversions"),
        )
        return _id(card)


class RateCardArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        card = selectors.rate_card_get(data["id"], field="id")
        return _id(services.rate_card_archive(rate_card=card))


class RateAddApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _body(request, wire_fields.RATE_ADD)
        card = _rate_card(reader, "rate_card_id")
        rate = services.rate_add(rate_card=card, **services.rate_input_from_wire(reader))
        return data_response(wire.rate_added_to_wire(rate))


class RatesAddApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _body(request)
        card = _rate_card(reader, "rate_card_id")
        items = reader.children("rates", required=True)
        rates = [services.rate_input_from_wire(item) for item in items]
        services.rates_add_many(rate_card=card, rates=rates)
        return _id(card)


def _selectors(reader: Reader, *, tags: bool) -> list[dict[str, Any]]:
    return services.rate_selectors_from_wire(reader, tags=tags)


def _entries(request: Request, rates: list[Any], as_of: datetime) -> Response:
    return sequence_response(request, rates, lambda r: wire.rate_entry_to_wire(r, as_of=as_of))


class RateListApi(APIView):
    """getRates: the rates in force at one moment."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=_page("RateListResponse"))
    def post(self, request: Request) -> Response:
        reader = _body(request)
        card = _rate_card(reader, "rate_card_id")
        at = reader.datetime("at", required=True)
        assert at is not None
        rates = selectors.rates_at(card, at, _selectors(reader, tags=True))
        return _entries(request, rates, at)


class RateScheduleApi(APIView):
    """getRateSchedule: every rate in force at some moment of [starting_at, ending_before)."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=_page("RateScheduleResponse"))
    def post(self, request: Request) -> Response:
        reader = _body(request)
        card = _rate_card(reader, "rate_card_id")
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


# -- packages ----------------------------------------------------------------------------------


def _package_wire(package: Package) -> dict[str, Any]:
    return wire.package_to_wire(package, created_by=_created_by(Package, package))


class PackageCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        reader = _body(request)
        return _id(packages.package_create(data=reader.data))


class PackageGetApi(APIView):
    class InputSerializer(serializers.Serializer):
        package_id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=OBJECT_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        return data_response(_package_wire(selectors.package_get(data["package_id"])))


class PackageListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=_page("PackageListResponse"))
    def post(self, request: Request) -> Response:
        reader = _body(request)
        qs = selectors.package_list(archive_filter=_archive_filter(reader))
        return paginated_response(request, qs, _package_wire)


class PackageArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        package_id = serializers.CharField()

    @extend_schema(request=InputSerializer, responses=ID_RESPONSE)
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        package = selectors.package_get(data["package_id"])
        return _id(packages.package_archive(package=package))


class PackageContractsApi(APIView):
    """listContractsOnPackage."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=_page("PackageContractsResponse"))
    def post(self, request: Request) -> Response:
        reader = _body(request)
        package = selectors.package_get(reader.str("package_id", required=True))
        covering_date = reader.datetime("covering_date")
        starting_at = reader.datetime("starting_at")
        if covering_date is not None and starting_at is not None:
            raise reader.fail("starting_at", "cannot be given together with covering_date.")
        qs = selectors.package_contracts(
            package,
            include_archived=bool(reader.bool("include_archived", default=False)),
            covering_date=covering_date,
            starting_at=starting_at,
        )
        return paginated_response(request, qs, wire.contract_on_package_to_wire)
