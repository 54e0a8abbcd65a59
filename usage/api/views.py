"""Usage endpoints, Metronome's wire format (see shared/metronome-api.md): ingest, billable
metrics, usage aggregates and event search."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import (
    ApplicationError,
    MomentField,
    data_response,
    decode_cursor,
    encode_cursor,
    paginated_response,
    param,
    param_bool,
    sequence_response,
    validated,
)
from billing_console.schema import IdSerializer, envelope, page_envelope
from customers import selectors as customer_selectors
from customers.models import Customer
from usage import selectors, services, wire
from usage.models import AggregationType, BillableMetric
from usage.services import DEDUPE_WINDOW

MAX_WINDOWS = 2000  # per customer and metric in one request
ROWS_PER_PAGE = 1000  # /v1/usage pages hold whole (customer, metric) series up to about this
MAX_GROUP_VALUES = 200  # Metronome's cap on group values returned or filtered on
MAX_SEARCH_IDS = 100


# -- schema -----------------------------------------------------------------------------------


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


class UsageRowOutput(serializers.Serializer):
    customer_id = serializers.UUIDField()
    billable_metric_id = serializers.UUIDField()
    billable_metric_name = serializers.CharField()
    start_timestamp = serializers.DateTimeField()
    end_timestamp = serializers.DateTimeField()
    value = serializers.FloatField(allow_null=True)
    groups = serializers.DictField(child=serializers.FloatField(allow_null=True), required=False)


class UsageGroupRowOutput(serializers.Serializer):
    starting_on = serializers.DateTimeField()
    ending_before = serializers.DateTimeField()
    group_key = serializers.CharField(allow_null=True)
    group_value = serializers.CharField(allow_null=True)
    group = StringMap(allow_null=True)
    value = serializers.FloatField(allow_null=True)


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


class GroupBySerializer(serializers.Serializer):
    key = serializers.CharField(max_length=200)
    values = serializers.ListField(
        child=serializers.CharField(max_length=2000, allow_blank=True),
        required=False,
        max_length=MAX_GROUP_VALUES,
    )


METRIC_RESPONSE = envelope("BillableMetricResponse", BillableMetricOutput())
ID_RESPONSE = envelope("BillableMetricIdResponse", IdSerializer())


# -- helpers ----------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _windows(data: dict[str, Any]) -> selectors.Windows:
    """The period's windows; DAY windows start at UTC midnight and HOUR windows on the hour."""
    starting_on, ending_before = _utc(data["starting_on"]), _utc(data["ending_before"])
    size = data["window_size"]
    if ending_before <= starting_on:
        raise ApplicationError("ending_before: must be after starting_on.")
    step = selectors.WINDOW_SIZES.get(size)
    if step is not None:
        for name, moment in (("starting_on", starting_on), ("ending_before", ending_before)):
            aligned = moment.replace(minute=0, second=0, microsecond=0)
            if size == "DAY":
                aligned = aligned.replace(hour=0)
            if moment != aligned:
                boundary = "UTC midnight" if size == "DAY" else "an hour boundary"
                raise ApplicationError(f"{name}: must fall on {boundary} for {size} windows.")
    windows = selectors.Windows(starting_on, ending_before, size)
    if windows.count() > MAX_WINDOWS:
        raise ApplicationError(
            f"ending_before: the period holds {windows.count()} {size} windows; at most "
            f"{MAX_WINDOWS} per request."
        )
    return windows


class WindowSizeField(serializers.ChoiceField):
    """HOUR, DAY or NONE; lower case accepted (Metronome's docs spell it both ways)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=["HOUR", "DAY", "NONE"], **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(data.upper() if isinstance(data, str) else data)


def _group_keys_allow(metric: BillableMetric, keys: list[str], field: str, exact: bool) -> None:
    """Group keys must be declared on the metric: `exact` needs one declared (compound) key
    with exactly these properties, otherwise each property must appear in one."""
    if metric.sql:
        raise ApplicationError(f"{field}: SQL billable metrics cannot be grouped.")
    declared = [set(group) for group in metric.group_keys or []]
    if exact:
        ok = set(keys) in declared and len(set(keys)) == len(keys)
    else:
        ok = all(any(key in group for group in declared) for key in keys)
    if not ok:
        names = ", ".join("[" + ", ".join(g) + "]" for g in metric.group_keys) or "none"
        raise ApplicationError(
            f"{field}: {', '.join(keys)} is not a group key of billable metric '{metric.name}' "
            f"(its group keys: {names})."
        )


def _sort_key(values: tuple) -> tuple:
    return tuple((v is None, v or "") for v in values)


# -- ingest -----------------------------------------------------------------------------------


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
        """A bare JSON array of 1-100 events; all are checked before any is stored, repeats
        of a transaction id seen in the last 34 days are acknowledged and dropped."""
        services.usage_ingest(events=request.data)
        return Response(status=200)


# -- billable metrics -------------------------------------------------------------------------


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


# -- usage ------------------------------------------------------------------------------------


class UsageListApi(APIView):
    class InputSerializer(serializers.Serializer):
        class MetricSerializer(serializers.Serializer):
            id = serializers.CharField(max_length=100)
            group_by = GroupBySerializer(required=False)

        starting_on = MomentField()
        ending_before = MomentField()
        window_size = WindowSizeField()
        customer_ids = serializers.ListField(
            child=serializers.CharField(max_length=100), required=False, max_length=100
        )
        billable_metrics = serializers.ListField(
            child=MetricSerializer(), required=False, max_length=100
        )
        next_page = serializers.CharField(required=False, allow_null=True)

    @extend_schema(
        operation_id="usage_list",
        request=InputSerializer,
        responses=page_envelope("UsageListResponse", UsageRowOutput),
    )
    def post(self, request: Request) -> Response:
        """One row per customer x metric x window, in that order; pages hold whole series."""
        data = validated(self.InputSerializer, request.data)
        windows = _windows(data)
        pairs = [(c, m, g) for c in self._customers(data) for m, g in self._metrics(data)]
        cursor = param(request, "next_page")
        offset = decode_cursor(str(cursor)) if cursor else 0
        if not isinstance(offset, int) or not 0 <= offset <= len(pairs):
            raise ApplicationError("next_page: invalid cursor.")
        per_page = max(1, ROWS_PER_PAGE // windows.count())
        rows: list[dict[str, Any]] = []
        for customer, metric, group_by in pairs[offset : offset + per_page]:
            rows.extend(_series(customer, metric, group_by, windows))
        more = offset + per_page < len(pairs)
        return Response(
            {"data": rows, "next_page": encode_cursor(offset + per_page) if more else None}
        )

    @staticmethod
    def _customers(data: dict[str, Any]) -> list[Customer]:
        ids = data.get("customer_ids")
        if not ids:
            return list(Customer.objects.active().order_by("pk"))
        found = []
        for index, public_id in enumerate(dict.fromkeys(ids)):
            try:
                found.append(customer_selectors.customer_get(public_id))
            except ApplicationError as err:
                raise ApplicationError(
                    f"customer_ids[{index}]: no customer with id {public_id}.", err.code
                ) from None
        return found

    @staticmethod
    def _metrics(data: dict[str, Any]) -> list[tuple[BillableMetric, dict | None]]:
        requested = data.get("billable_metrics")
        if not requested:
            return [(m, None) for m in selectors.metric_list().order_by("name", "pk")]
        out = []
        for index, item in enumerate(requested):
            field = f"billable_metrics[{index}]"
            metric = selectors.metric_get(item["id"], f"{field}.id")
            group_by = item.get("group_by")
            if group_by:
                _group_keys_allow(metric, [group_by["key"]], f"{field}.group_by.key", exact=False)
            out.append((metric, group_by))
        return out


def _series(
    customer: Customer, metric: BillableMetric, group_by: dict | None, windows: selectors.Windows
) -> list[dict[str, Any]]:
    """Every window of one customer's metric: the value (0 without usage) and, with group_by,
    each group value's (None when nothing matched a requested value)."""
    totals = selectors.metric_usage(
        metric=metric, customer=customer, starting_at=windows.starting_at,
        ending_before=windows.ending_before, bucket=windows,
    )  # fmt: skip
    grouped: dict[tuple, Decimal] = {}
    if group_by:
        grouped = selectors.metric_usage(
            metric=metric, customer=customer, starting_at=windows.starting_at,
            ending_before=windows.ending_before, group_by=[group_by["key"]], bucket=windows,
        )  # fmt: skip
    rows = []
    for low, high in windows.all():
        groups = None
        if group_by:
            seen = {key[1]: value for key, value in grouped.items() if key[0] == low and key[1]}
            wanted = group_by.get("values")
            if wanted is None:
                wanted = sorted(seen)[:MAX_GROUP_VALUES]
            groups = {value: seen.get(value) for value in wanted}
        value = totals.get((low,), Decimal(0))
        row = wire.usage_row(
            customer=customer, metric=metric, bounds=(low, high), value=value, groups=groups
        )
        rows.append(row)
    return rows


class UsageListWithGroupsApi(APIView):
    class InputSerializer(serializers.Serializer):
        billable_metric_id = serializers.CharField(max_length=100)
        customer_id = serializers.CharField(max_length=100)
        window_size = WindowSizeField()
        starting_on = MomentField(required=False)
        ending_before = MomentField(required=False)
        current_period = serializers.BooleanField(required=False)
        group_key = serializers.ListField(
            child=serializers.CharField(max_length=200), required=False, allow_empty=False
        )
        group_by = GroupBySerializer(required=False)
        group_filters = serializers.DictField(
            child=serializers.ListField(child=serializers.CharField(max_length=2000)),
            required=False,
        )
        limit = serializers.IntegerField(required=False)
        next_page = serializers.CharField(required=False, allow_null=True)

    @extend_schema(
        operation_id="usage_list_with_groups",
        request=InputSerializer,
        responses=page_envelope("UsageListWithGroupsResponse", UsageGroupRowOutput),
    )
    def post(self, request: Request) -> Response:
        """Rows per window and group value combination. Without a group key, one row per
        window. `current_period` (the plan's billing period in Metronome 1.0) is not supported:
        pass starting_on and ending_before."""
        data = validated(self.InputSerializer, request.data)
        if data.get("current_period"):
            raise ApplicationError(
                "current_period: not supported by this server; pass starting_on and ending_before."
            )
        for name in ("starting_on", "ending_before"):
            if data.get(name) is None:
                raise ApplicationError(f"{name}: is required.")
        metric = selectors.metric_get(data["billable_metric_id"])
        customer = customer_selectors.customer_get(data["customer_id"])
        keys, filters, listed = self._grouping(data, metric)
        windows = _windows(data)
        usage = selectors.metric_usage(
            metric=metric, customer=customer, starting_at=windows.starting_at,
            ending_before=windows.ending_before, group_by=keys or None, bucket=windows,
        )  # fmt: skip
        items = []
        for low, high in windows.all():
            if not keys:
                items.append(((low, high), (), usage.get((low,), Decimal(0))))
                continue
            found = {key[1:]: value for key, value in usage.items() if key[0] == low}
            for values in listed:
                found.setdefault(values, None)  # requested but unmatched: null
            for values in sorted(found, key=_sort_key):
                if all(not f or v in f for v, f in zip(values, filters, strict=True)):
                    items.append(((low, high), values, found[values]))
        return sequence_response(
            request,
            items,
            lambda item: wire.group_row(bounds=item[0], keys=keys, values=item[1], value=item[2]),
        )

    @staticmethod
    def _grouping(
        data: dict[str, Any], metric: BillableMetric
    ) -> tuple[list[str], list[list[str]], list[tuple]]:
        """(group keys, allowed values per key (empty: all), value tuples always listed)."""
        group_key, group_by = data.get("group_key"), data.get("group_by")
        group_filters = data.get("group_filters") or {}
        if group_key and group_by:
            raise ApplicationError("group_by: cannot be combined with group_key; use group_key.")
        if group_key:
            _group_keys_allow(metric, group_key, "group_key", exact=True)
            keys = list(group_key)
        elif group_by:
            _group_keys_allow(metric, [group_by["key"]], "group_by.key", exact=False)
            keys = [group_by["key"]]
        else:
            keys = []
        unknown = [k for k in group_filters if k not in keys]
        if unknown:
            raise ApplicationError(f"group_filters: {', '.join(unknown)} is not in group_key.")
        if sum(len(v) for v in group_filters.values()) > MAX_GROUP_VALUES:
            raise ApplicationError(f"group_filters: at most {MAX_GROUP_VALUES} values in all.")
        filters = [list(group_filters.get(k) or []) for k in keys]
        listed: list[tuple] = []
        if group_by and group_by.get("values"):
            filters = [list(group_by["values"])]
            listed = [(v,) for v in group_by["values"]]
        return keys, filters, listed


# -- events -----------------------------------------------------------------------------------


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
