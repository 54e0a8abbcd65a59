"""Billing provider endpoints, in the shapes of the SDK's settings.billing_providers and
customers.*_billing_configurations / customers.billing_config."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import (
    ApplicationError,
    data_response,
    paginated_response,
    param_bool,
)
from billing_console.schema import envelope, page_envelope
from billing_console.wire import Reader
from customers import billing_config, selectors
from customers import billing_providers as services
from customers.wire import configuration_to_wire, legacy_to_wire, provider_to_wire


class ProviderOutput(serializers.Serializer):
    billing_provider = serializers.CharField()
    delivery_method = serializers.CharField()
    delivery_method_configuration = serializers.DictField()
    delivery_method_id = serializers.UUIDField()


class ConfigurationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    archived_at = serializers.DateTimeField(allow_null=True)
    billing_provider = serializers.CharField()
    configuration = serializers.DictField()
    customer_id = serializers.UUIDField()
    delivery_method = serializers.CharField()
    delivery_method_configuration = serializers.DictField()
    delivery_method_id = serializers.UUIDField()
    tax_provider = serializers.CharField(required=False)


class BillingProviderSetUpApi(APIView):
    class InputSerializer(serializers.Serializer):
        billing_provider = serializers.CharField()
        delivery_method = serializers.CharField()
        configuration = serializers.DictField()

    @extend_schema(
        request=InputSerializer,
        responses=envelope(
            "BillingProviderSetUpResponse",
            serializers.DictField(child=serializers.UUIDField()),
        ),
        operation_id="billing_providers_create",
    )
    def post(self, request: Request) -> Response:
        provider = services.billing_provider_set_up(data=request.data)
        return data_response({"delivery_method_id": str(provider.public_id)})


class BillingProviderListApi(APIView):
    class InputSerializer(serializers.Serializer):
        next_page = serializers.CharField(required=False, allow_null=True)

    @extend_schema(
        request=InputSerializer,
        responses=page_envelope("BillingProviderListResponse", ProviderOutput),
        operation_id="billing_providers_list",
    )
    def post(self, request: Request) -> Response:
        return paginated_response(request, services.billing_provider_list(), provider_to_wire)


def _customers_of(items: list[Any]) -> dict[str, Any]:
    found = {}
    for index, item in enumerate(items):
        reader = Reader(item, f"data[{index}]")
        customer_id = reader.str("customer_id", required=True, max_length=100)
        if customer_id not in found:
            try:
                found[customer_id] = selectors.customer_get(customer_id)
            except ApplicationError as err:
                raise ApplicationError(f"data[{index}].{err.message}", err.code) from None
    return found


class CustomerBillingConfigurationsSetApi(APIView):
    class InputSerializer(serializers.Serializer):
        data = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=100)

    @extend_schema(
        request=InputSerializer,
        responses=envelope(
            "CustomerBillingConfigurationsSetResponse", ConfigurationOutput(many=True)
        ),
        operation_id="customers_set_billing_configurations",
    )
    def post(self, request: Request) -> Response:
        items = Reader(request.data).list("data", required=True)
        if not items:
            raise ApplicationError("data: at least one configuration is required.")
        rows = services.customer_billing_configurations_set(
            items=items, customers=_customers_of(items)
        )
        return data_response(
            [
                {
                    "id": str(r.public_id),
                    "billing_provider": r.billing_provider,
                    "configuration": r.configuration,
                    "customer_id": str(r.customer.public_id),
                    "delivery_method_id": str(r.provider.public_id),
                    "tax_provider": r.tax_provider or None,
                }
                for r in rows
            ]
        )


class CustomerBillingConfigurationsGetApi(APIView):
    class InputSerializer(serializers.Serializer):
        customer_id = serializers.UUIDField()
        include_archived = serializers.BooleanField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses=envelope(
            "CustomerBillingConfigurationsGetResponse", ConfigurationOutput(many=True)
        ),
        operation_id="customers_retrieve_billing_configurations",
    )
    def post(self, request: Request) -> Response:
        reader = Reader(request.data)
        customer = selectors.customer_get(reader.str("customer_id", required=True))
        rows = services.customer_billing_configuration_list(
            customer=customer, include_archived=param_bool(request, "include_archived")
        )
        return data_response([configuration_to_wire(r) for r in rows])


class CustomerBillingConfigurationsArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        customer_id = serializers.UUIDField()
        customer_billing_provider_configuration_ids = serializers.ListField(
            child=serializers.UUIDField()
        )

    @extend_schema(
        request=InputSerializer,
        responses=envelope("CustomerBillingConfigurationsArchiveResponse", InputSerializer()),
        operation_id="customers_archive_billing_configurations",
    )
    def post(self, request: Request) -> Response:
        reader = Reader(request.data)
        customer = selectors.customer_get(reader.str("customer_id", required=True))
        ids = reader.str_list("customer_billing_provider_configuration_ids")
        if not ids:
            raise reader.fail("customer_billing_provider_configuration_ids", "is required.")
        rows = services.customer_billing_configurations_archive(customer=customer, ids=ids)
        return data_response(
            {
                "customer_billing_provider_configuration_ids": [str(r.public_id) for r in rows],
                "customer_id": str(customer.public_id),
            }
        )


class CustomerBillingConfigApi(APIView):
    """/v1/customers/{customer_id}/billing-config/{billing_provider_type}."""

    class InputSerializer(serializers.Serializer):
        billing_provider_customer_id = serializers.CharField()
        stripe_collection_method = serializers.CharField(required=False)
        aws_customer_id = serializers.CharField(required=False)
        aws_customer_account_id = serializers.CharField(required=False)
        aws_product_code = serializers.CharField(required=False)
        aws_region = serializers.CharField(required=False)

    @extend_schema(
        responses=envelope("CustomerBillingConfigResponse", serializers.DictField()),
        operation_id="customers_billing_config_retrieve",
    )
    def get(self, request: Request, customer_id: str, provider_type: str) -> Response:
        row = billing_config.customer_billing_config_current(
            customer=selectors.customer_get(customer_id), provider_type=provider_type
        )
        return data_response(legacy_to_wire(row))

    @extend_schema(
        request=InputSerializer,
        responses={200: None},
        operation_id="customers_billing_config_create",
    )
    def post(self, request: Request, customer_id: str, provider_type: str) -> Response:
        billing_config.customer_billing_config_replace(
            customer=selectors.customer_get(customer_id),
            provider_type=provider_type,
            data=request.data,
        )
        return Response(status=200)

    @extend_schema(responses={200: None}, operation_id="customers_billing_config_delete")
    def delete(self, request: Request, customer_id: str, provider_type: str) -> Response:
        billing_config.customer_billing_config_delete(
            customer=selectors.customer_get(customer_id), provider_type=provider_type
        )
        return Response(status=200)
