"""Customer endpoints, Metronome's wire format (see shared/metronome-api.md)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import (
    data_response,
    paginated_response,
    param,
    param_bool,
    param_list,
    validated,
)
from billing_console.schema import IdSerializer, envelope, page_envelope
from billing_console.wire_fields import refuse_unsupported
from customers import selectors, services
from customers.billing_on_create import customer_create_with_billing
from customers.models import Customer
from customers.wire_fields import CUSTOMER_CREATE

MAX_FILTER_IDS = 100


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def customer_to_wire(customer: Customer, *, detail: bool = False) -> dict[str, Any]:
    aliases = selectors.customer_aliases(customer)
    data: dict[str, Any] = {
        "id": str(customer.public_id),
        "name": customer.name,
        "external_id": customer.external_id or (aliases[0] if aliases else str(customer.public_id)),
        "ingest_aliases": aliases,
        "custom_fields": customer.custom_fields,
    }
    if detail:
        data.update(
            created_at=_iso(customer.created_at),
            updated_at=_iso(customer.updated_at),
            archived_at=_iso(customer.archived_at),
            customer_config={"salesforce_account_id": customer.salesforce_account_id or None},
        )
    return data


class StringMap(serializers.DictField):
    child = serializers.CharField(allow_blank=True, max_length=2000)


class CustomerOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    external_id = serializers.CharField()
    ingest_aliases = serializers.ListField(child=serializers.CharField())
    custom_fields = StringMap()


class CustomerConfigOutput(serializers.Serializer):
    salesforce_account_id = serializers.CharField(allow_null=True)


class CustomerDetailOutput(CustomerOutput):
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    archived_at = serializers.DateTimeField(allow_null=True)
    customer_config = CustomerConfigOutput()


CUSTOMER_RESPONSE = envelope("CustomerDetailResponse", CustomerDetailOutput())


class CustomerCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=10_000)
        ingest_aliases = serializers.ListField(
            child=serializers.CharField(max_length=255), required=False, max_length=100
        )
        external_id = serializers.CharField(max_length=255, required=False, allow_blank=True)
        custom_fields = StringMap(required=False)

    @extend_schema(
        request=InputSerializer, responses=CUSTOMER_RESPONSE, operation_id="customers_create"
    )
    def post(self, request: Request) -> Response:
        refuse_unsupported(request.data, CUSTOMER_CREATE)  # the serializer would drop them
        data = validated(self.InputSerializer, request.data)
        customer = customer_create_with_billing(
            **data,
            billing_config=request.data.get("billing_config"),
            customer_billing_provider_configurations=request.data.get(
                "customer_billing_provider_configurations"
            ),
        )
        return data_response(customer_to_wire(customer, detail=True))

    @extend_schema(
        operation_id="customers_list",
        responses=page_envelope("CustomerListResponse", CustomerDetailOutput),
    )
    def get(self, request: Request) -> Response:
        customer_ids = param_list(request, "customer_ids")
        salesforce_ids = param_list(request, "salesforce_account_ids")
        for name, values in (
            ("customer_ids", customer_ids),
            ("salesforce_account_ids", salesforce_ids),
        ):
            if values and len(values) > MAX_FILTER_IDS:
                raise serializers.ValidationError({name: [f"At most {MAX_FILTER_IDS} ids."]})
        qs = selectors.customer_list(
            archived=param_bool(request, "only_archived"),
            customer_ids=customer_ids,
            ingest_alias=param(request, "ingest_alias"),
            salesforce_account_ids=salesforce_ids,
        )
        return paginated_response(request, qs, lambda c: customer_to_wire(c, detail=True))


class CustomerDetailApi(APIView):
    @extend_schema(operation_id="customers_retrieve", responses=CUSTOMER_RESPONSE)
    def get(self, request: Request, customer_id: str) -> Response:
        return data_response(customer_to_wire(selectors.customer_get(customer_id), detail=True))


class CustomerArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.UUIDField()

    @extend_schema(
        request=InputSerializer, responses=envelope("CustomerArchiveResponse", IdSerializer())
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        customer = services.customer_archive(customer=selectors.customer_get(str(data["id"])))
        return data_response({"id": str(customer.public_id)})


class CustomerSetIngestAliasesApi(APIView):
    class InputSerializer(serializers.Serializer):
        ingest_aliases = serializers.ListField(
            child=serializers.CharField(max_length=255), max_length=100, allow_empty=True
        )

    @extend_schema(request=InputSerializer, responses={200: None})
    def post(self, request: Request, customer_id: str) -> Response:
        data = validated(self.InputSerializer, request.data)
        services.customer_set_ingest_aliases(
            customer=selectors.customer_get(customer_id), ingest_aliases=data["ingest_aliases"]
        )
        return Response(status=200)


class CustomerSetNameApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=10_000)

    @extend_schema(
        request=InputSerializer, responses=envelope("CustomerSetNameResponse", CustomerOutput())
    )
    def post(self, request: Request, customer_id: str) -> Response:
        data = validated(self.InputSerializer, request.data)
        customer = services.customer_set_name(
            customer=selectors.customer_get(customer_id), name=data["name"]
        )
        return data_response(customer_to_wire(customer))


class CustomerUpdateConfigApi(APIView):
    class InputSerializer(serializers.Serializer):
        salesforce_account_id = serializers.CharField(
            max_length=255, required=False, allow_blank=True, allow_null=True
        )
        leave_stripe_invoices_in_draft = serializers.BooleanField(required=False, allow_null=True)

    @extend_schema(request=InputSerializer, responses={200: None})
    def post(self, request: Request, customer_id: str) -> Response:
        data = validated(self.InputSerializer, request.data)
        services.customer_update_config(customer=selectors.customer_get(customer_id), **data)
        return Response(status=200)
