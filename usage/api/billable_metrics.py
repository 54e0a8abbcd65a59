"""Billable metric endpoints, Metronome's wire format (see shared/metronome-api.md): create,
list, retrieve, rename, archive, and the metrics on a customer's contracts."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import data_response, paginated_response, param_bool, validated
from billing_console.schema import IdSerializer, envelope, page_envelope
from customers import selectors as customer_selectors
from usage import selectors, services, wire
from usage.models import AggregationType


class StringMap(serializers.DictField):
    child = serializers.CharField(allow_blank=True, max_length=2000)


class BillableMetricOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    aggregation_type = serializers.ChoiceField(AggregationType.choices, allow_null=True)
    aggregation_key = serializers.CharField(allow_null=True)
    event_type_filter = serializers.JSONField(allow_null=True)
    property_filters = serializers.JSONField(allow_null=True)
    group_keys = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    custom_fields = StringMap()
    sql = serializers.CharField(allow_null=True)
    archived_at = serializers.DateTimeField(allow_null=True)


METRIC_RESPONSE = envelope("BillableMetricResponse", BillableMetricOutput())
ID_RESPONSE = envelope("BillableMetricIdResponse", IdSerializer())


class BillableMetricCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=10_000, allow_blank=True)
        aggregation_type = serializers.ChoiceField(AggregationType.choices, required=False)
        aggregation_key = serializers.CharField(max_length=200, required=False, allow_blank=True)
        event_type_filter = serializers.JSONField(required=False)
        property_filters = serializers.JSONField(required=False)
        group_keys = serializers.JSONField(required=False)
        sql = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        custom_fields = StringMap(required=False)

    @extend_schema(
        operation_id="billable_metrics_create", request=InputSerializer, responses=ID_RESPONSE
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        metric = services.billable_metric_create(**data)
        return data_response({"id": str(metric.public_id)})


class BillableMetricListApi(APIView):
    @extend_schema(
        operation_id="billable_metrics_list",
        responses=page_envelope("BillableMetricListResponse", BillableMetricOutput),
    )
    def get(self, request: Request) -> Response:
        qs = selectors.metric_list(include_archived=param_bool(request, "include_archived"))
        return paginated_response(request, qs, wire.metric_to_wire)


class BillableMetricDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=10_000, allow_blank=True)

    @extend_schema(operation_id="billable_metrics_retrieve", responses=METRIC_RESPONSE)
    def get(self, request: Request, billable_metric_id: str) -> Response:
        return data_response(wire.metric_to_wire(selectors.metric_get(billable_metric_id)))

    @extend_schema(
        operation_id="billable_metrics_update", request=InputSerializer, responses=ID_RESPONSE
    )
    def put(self, request: Request, billable_metric_id: str) -> Response:
        data = validated(self.InputSerializer, request.data)
        metric = services.billable_metric_set_name(
            metric=selectors.metric_get(billable_metric_id), name=data["name"]
        )
        return data_response({"id": str(metric.public_id)})


class BillableMetricArchiveApi(APIView):
    class InputSerializer(serializers.Serializer):
        id = serializers.CharField(max_length=100)

    @extend_schema(
        operation_id="billable_metrics_archive", request=InputSerializer, responses=ID_RESPONSE
    )
    def post(self, request: Request) -> Response:
        data = validated(self.InputSerializer, request.data)
        metric = services.billable_metric_archive(metric=selectors.metric_get(data["id"], "id"))
        return data_response({"id": str(metric.public_id)})


class CustomerBillableMetricListApi(APIView):
    @extend_schema(
        operation_id="customers_list_billable_metrics",
        responses=page_envelope("CustomerBillableMetricListResponse", BillableMetricOutput),
    )
    def get(self, request: Request, customer_id: str) -> Response:
        """Metrics priced on the customer's contracts in force now. `on_current_plan` (a
        Metronome 1.0 plans filter) is accepted and ignored: this server has contracts only,
        and the list is always the metrics of the current contracts' rate cards."""
        customer = customer_selectors.customer_get(customer_id)
        qs = selectors.customer_metric_list(
            customer=customer, include_archived=param_bool(request, "include_archived")
        )
        return paginated_response(request, qs, lambda m: wire.metric_to_wire(m, legacy=True))
