"""Alert and lifecycle notification endpoints (Metronome wire format)."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from alerts import lifecycle, selectors, services
from alerts.models import Alert, OffsetNotification
from alerts.wire import (
    customer_alert_to_wire,
    offset_notification_to_wire,
    system_notification_to_wire,
)
from billing_console.api import (
    ApplicationError,
    data_response,
    get_by_public_id,
    paginated_response,
    sequence_response,
)
from billing_console.schema import IdSerializer, envelope
from billing_console.wire import Reader, request_reader
from customers.selectors import customer_get

ALERT_STATUSES = ("ENABLED", "DISABLED", "ARCHIVED")
ARCHIVE_FILTERS = ("ARCHIVED", "NOT_ARCHIVED", "ALL")


_body = request_reader


def _alert(public_id: Any, field: str) -> Alert:
    return get_by_public_id(
        Alert.objects.select_related("credit_type", "billable_metric"), public_id, "alert", field
    )


def _actor(request: Request) -> str:
    token = getattr(request, "auth", None)
    return f"api:{getattr(token, 'name', '')}" if token is not None else "api"


class AlertCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=envelope("AlertCreate", IdSerializer()))
    def post(self, request: Request) -> Response:
        body = _body(request)
        services.alert_wire_check(body)
        alert = services.alert_create(data=body.data)
        return data_response({"id": str(alert.public_id)})


class AlertArchiveApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=envelope("AlertArchive", IdSerializer()))
    def post(self, request: Request) -> Response:
        body = _body(request)
        alert = _alert(body.str("id", required=True), "id")
        services.alert_archive(
            alert=alert, release_uniqueness_key=bool(body.bool("release_uniqueness_key", False))
        )
        return data_response({"id": str(alert.public_id)})


class CustomerAlertListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        body = _body(request)
        customer = customer_get(body.str("customer_id", required=True))
        statuses = set(body.str_list("alert_statuses")) or {"ENABLED"}
        for status in statuses:
            if status not in ALERT_STATUSES:
                raise body.fail("alert_statuses", f"must be among {', '.join(ALERT_STATUSES)}.")
        views = selectors.customer_alert_views(
            customer, include_enabled="ENABLED" in statuses, include_archived="ARCHIVED" in statuses
        )
        return sequence_response(request, views, customer_alert_to_wire)


def _group_values(body: Reader) -> dict[str, str]:
    values = {}
    for item in body.children("group_values"):
        values[item.str("key", required=True)] = item.str("value", required=True)
    return values


class CustomerAlertGetApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        body = _body(request)
        alert = _alert(body.str("alert_id", required=True), "alert_id")
        customer = customer_get(body.str("customer_id", required=True))
        body.choice("plans_or_contracts", ("PLANS", "CONTRACTS"))
        from alerts.evaluation import customer_matches

        if not customer_matches(alert, customer):
            raise ApplicationError(
                services.NOT_FOR_CUSTOMER.format(customer=customer.public_id), "not_found"
            )
        wanted = _seat(body, alert) if body.has("seat_filter") else _group_values(body)
        view = selectors.customer_alert_view(alert, customer, wanted)
        return data_response(customer_alert_to_wire(view))


def _seat(body: Reader, alert: Alert) -> dict[str, str]:
    """seat_filter of a get: the state of that seat (a key alone: of any seat of that key)."""
    seat = body.child("seat_filter", required=True)
    key = seat.str("seat_group_key", required=True)
    if alert.seat_filter is None:
        raise body.fail("seat_filter", "the alert is not scoped to seats (no seat_filter).")
    if key != alert.seat_filter[0]:
        raise seat.fail(
            "seat_group_key", f"the alert is scoped to seat group key '{alert.seat_filter[0]}'."
        )
    return {key: seat.str("seat_group_value")} if seat.has("seat_group_value") else {}


class CustomerAlertResetApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: None})
    def post(self, request: Request) -> Response:
        body = _body(request)
        alert = _alert(body.str("alert_id", required=True), "alert_id")
        customer = customer_get(body.str("customer_id", required=True))
        services.customer_alert_reset(alert=alert, customer=customer)
        return Response(status=200)


# --- /v2/notifications ----------------------------------------------------------------------


def _notification(public_id: Any) -> OffsetNotification:
    return get_by_public_id(OffsetNotification.objects.all(), public_id, "notification", "id")


class NotificationCreateApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        notification = lifecycle.offset_notification_create(
            data=_body(request).data, created_by=_actor(request)
        )
        return data_response(offset_notification_to_wire(notification))


class NotificationGetApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        notification = _notification(_body(request).str("id", required=True))
        return data_response(offset_notification_to_wire(notification))


class NotificationListApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        body = _body(request)
        archive_filter = body.choice("archive_filter", ARCHIVE_FILTERS, default="NOT_ARCHIVED")
        qs = OffsetNotification.objects.all()
        if archive_filter == "NOT_ARCHIVED":
            qs = qs.filter(archived_at__isnull=True)
        elif archive_filter == "ARCHIVED":
            qs = qs.filter(archived_at__isnull=False)
        page = paginated_response(request, qs, offset_notification_to_wire, cursor_param="cursor")
        page.data["cursor"] = page.data.pop("next_page")  # this endpoint names it `cursor`
        return page


class NotificationArchiveApi(APIView):
    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        notification = _notification(_body(request).str("id", required=True))
        notification = lifecycle.offset_notification_archive(notification=notification)
        return data_response(offset_notification_to_wire(notification))


class NotificationEditApi(APIView):
    """With an id: a new offset for that notification. Without: turn a system event on or off."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        body = _body(request)
        if body.has("id"):
            if body.has("is_enabled"):
                raise body.fail("is_enabled", "only system notifications are enabled or disabled.")
            notification = lifecycle.offset_notification_edit(
                notification=_notification(body.str("id")), data=body.data
            )
            return data_response(offset_notification_to_wire(notification))
        policy = body.child("policy", required=True)
        event_type = policy.str("type", required=True)  # type: ignore[union-attr]
        if policy.has("offset"):  # type: ignore[union-attr]
            raise body.fail("id", "is required to edit an offset notification.")
        enabled = body.bool("is_enabled")
        if enabled is None:
            raise body.fail("is_enabled", "is required to edit a system notification.")
        setting = lifecycle.system_notification_set(event_type=event_type, is_enabled=enabled)
        return data_response(system_notification_to_wire(setting.type, setting.is_enabled))


class SystemNotificationListApi(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request) -> Response:
        items = [
            system_notification_to_wire(event_type, enabled)
            for event_type, _about, enabled in lifecycle.system_notifications()
        ]
        return Response({"data": items, "cursor": None})
