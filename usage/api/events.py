"""Event endpoints, Metronome's wire format (see shared/metronome-api.md): ingest, and the
search of recent events by transaction id."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import validated
from usage import selectors, services, wire
from usage.api.billable_metrics import BillableMetricOutput
from usage.services import DEDUPE_WINDOW

MAX_SEARCH_IDS = 100


class MatchedCustomerOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class EventOutput(serializers.Serializer):
    id = serializers.UUIDField()
    transaction_id = serializers.CharField()
    customer_id = serializers.CharField()
    event_type = serializers.CharField()
    timestamp = serializers.DateTimeField()
    properties = serializers.JSONField()
    processed_at = serializers.DateTimeField()
    is_duplicate = serializers.BooleanField()
    matched_customer = MatchedCustomerOutput(allow_null=True)
    matched_billable_metrics = BillableMetricOutput(many=True)


class IngestApi(APIView):
    @extend_schema(
        operation_id="usage_ingest",
        request=inline_serializer(
            name="UsageEvent",
            fields={
                "transaction_id": serializers.CharField(),
                "customer_id": serializers.CharField(),
                "event_type": serializers.CharField(),
                "timestamp": serializers.DateTimeField(),
                "properties": serializers.JSONField(required=False),
            },
            many=True,
        ),
        responses={200: None},
    )
    def post(self, request: Request) -> Response:
        """A bare JSON array of up to 100 events; all are checked before any is stored, repeats
        of a transaction id seen in the last 34 days are acknowledged and dropped. No body, or
        `[]`, is acknowledged with nothing stored, as Metronome does."""
        events = request.data
        no_body = request.stream is None  # DRF: no content (its data is then an empty dict)
        if events == [] or (no_body and not events):
            return Response(status=200)
        services.usage_ingest(events=events)
        return Response(status=200)


class EventSearchApi(APIView):
    class InputSerializer(serializers.Serializer):
        # The wire name is camelCase (the SDK aliases transaction_ids to transactionIds).
        transactionIds = serializers.ListField(
            child=serializers.CharField(max_length=128), max_length=MAX_SEARCH_IDS
        )

    @extend_schema(
        operation_id="usage_search", request=InputSerializer, responses=EventOutput(many=True)
    )
    def post(self, request: Request) -> Response:
        """The stored events with these transaction ids that happened in the last 34 days, with
        the customer and the active billable metrics each matches. A bare JSON array."""
        body = request.data
        if isinstance(body, dict) and "transactionIds" not in body and "transaction_ids" in body:
            body = {"transactionIds": body["transaction_ids"]}  # the snake_case spelling too
        data = validated(self.InputSerializer, body)
        since = timezone.now() - DEDUPE_WINDOW
        events = selectors.events_search(transaction_ids=data["transactionIds"], since=since)
        customers = selectors.customers_by_event_id([e.customer_id for e in events])
        matched = selectors.event_matched_metrics(events)
        return Response(
            [wire.event_to_wire(e, customers.get(e.customer_id), matched[e.pk]) for e in events]
        )
