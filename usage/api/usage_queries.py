"""Usage query endpoints, Metronome's wire format (see shared/metronome-api.md): usage per
customer, metric and window (/v1/usage), and per window and group value (/v1/usage/groups)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_console.api import (
    ApplicationError,
    MomentField,
    decode_cursor,
    encode_cursor,
    param,
    sequence_response,
    validated,
)
from billing_console.schema import page_envelope
from contracts import selectors as contract_selectors
from customers import selectors as customer_selectors
from customers.models import Customer
from usage import selectors, wire
from usage.api.billable_metrics import StringMap
from usage.api.query_input import (
    MAX_GROUP_VALUES,
    GroupBySerializer,
    WindowSizeField,
    group_keys_allow,
    query_windows,
)
from usage.models import BillableMetric

ROWS_PER_PAGE = 1000  # /v1/usage pages hold whole (customer, metric) series up to about this


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


def _sort_key(values: tuple) -> tuple:
    return tuple((v is None, v or "") for v in values)


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
        windows = query_windows(data)
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
                group_keys_allow(metric, [group_by["key"]], f"{field}.group_by.key", exact=False)
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
        window. With `current_period`, or a bound left out, the period is the customer's
        current billing period (see _current_period)."""
        data = validated(self.InputSerializer, request.data)
        metric = selectors.metric_get(data["billable_metric_id"])
        customer = customer_selectors.customer_get(data["customer_id"])
        _current_period(data, customer)
        keys, filters, listed = self._grouping(data, metric)
        windows = query_windows(data)
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
            group_keys_allow(metric, group_key, "group_key", exact=True)
            keys = list(group_key)
        elif group_by:
            group_keys_allow(metric, [group_by["key"]], "group_by.key", exact=False)
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


def _current_period(data: dict[str, Any], customer: Customer) -> None:
    """`current_period: true` (Metronome: the customer's current billing period; an error with
    starting_on or ending_before, or without a plan, here a contract, in force), and a bound
    left out, are read off the customer's current billing period (contracts.selectors), widened
    to whole windows: a DAY query still starts at UTC midnight."""
    given = [name for name in ("starting_on", "ending_before") if data.get(name) is not None]
    if data.get("current_period") and given:
        raise ApplicationError(f"{given[0]}: cannot be combined with current_period.")
    if len(given) == 2:
        return
    period = contract_selectors.customer_billing_period(customer=customer, at=timezone.now())
    if period is None:
        field = "current_period" if data.get("current_period") else "starting_on"
        raise ApplicationError(
            f"{field}: customer {customer.public_id} has no contract in force, so no current "
            "billing period; pass starting_on and ending_before."
        )
    step = selectors.WINDOW_SIZES.get(data["window_size"])
    if data.get("starting_on") is None:
        data["starting_on"] = _window_floor(period.start, step)
    if data.get("ending_before") is None:
        end = _window_floor(period.end, step)
        data["ending_before"] = end if end == period.end or step is None else end + step


def _window_floor(moment: datetime, step: timedelta | None) -> datetime:
    """The start of the HOUR or DAY window holding `moment` (UTC); `moment` itself for NONE."""
    if step is None:
        return moment
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if step >= timedelta(days=1) else moment
