"""Alert writes: create (from a /v1/alerts/create body), archive, and reset a customer's state.

Input is Metronome-shaped; every field is validated here with errors naming it, so the API and
the console report the same messages. Evaluation happens in tasks enqueued on commit.
"""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.models import (
    BALANCE_TYPES,
    COMMIT_TYPES,
    GRANT_TYPES,
    PERCENT_TYPES,
    WIRE_ENTITIES,
    Alert,
    AlertStatus,
    AlertType,
    CustomerAlert,
)
from billing_console.api import ApplicationError, get_by_public_id
from billing_console.wire import Reader
from customers.models import Customer
from pricing.models import CreditType
from pricing.services import credit_type_get_default
from usage.models import BillableMetric

UNIQUENESS_KEY_REUSED = "uniqueness_key: '{key}' was already used for another alert."
TYPE_UNSUPPORTED = "alert_type: '{value}' is not supported by this server; use one of {choices}."
ONLY_FOR = "{field}: only {types} alerts take this field."
ALERT_ARCHIVED = "alert_id: the alert is archived."
NOT_FOR_CUSTOMER = "alert_id: the alert does not apply to customer {customer}."
SEAT_AND_SPLIT = (
    "seat_filter: cannot be combined with an alert_specifiers filter without a value "
    "(each splits the balance its own way)."
)

# Customer: the console's scoping by the customer's custom fields (alerts.forms), which the wire
# cannot express: the API refuses it (alert_wire_check) and never shows it (alerts.wire).
ENTITIES = (*WIRE_ENTITIES, "Customer")
COMMIT_ENTITIES = ("Commit", "ContractCredit", "ContractCreditOrCommit")
# Fields that only some alert types take (Metronome rejects them elsewhere, so do we).
ONLY = {
    "billable_metric_id": {AlertType.USAGE},
    "group_values": {AlertType.SPEND},
    "invoice_types_filter": {AlertType.INVOICE_TOTAL},
    "alert_specifiers": {AlertType.LOW_BALANCE, AlertType.LOW_PERCENTAGE},
    "access_type": BALANCE_TYPES | PERCENT_TYPES,
    # The seat group key (and seat) whose commits and credits the balance is read from.
    "seat_filter": COMMIT_TYPES,
    # Metronome defines it for the CreditBalance and CreditPercentage notifications only.
    "credit_grant_type_filters": GRANT_TYPES,
}
UNSUPPORTED_FIELDS: dict[str, str] = {}
# Counted in days or usage: no credit type to choose.
NO_CREDIT_TYPE = {AlertType.USAGE: "usage alerts count the metric, not money.",
                  AlertType.LOW_DAYS_IN_PLAN: "days-in-plan alerts count days, not money."}  # fmt: skip


def _filter(item: Reader, *, value_required: bool) -> dict[str, Any]:
    entity = item.choice("entity", ENTITIES, required=True)
    key = item.str("key", required=True, max_length=200)
    value = item.str("value", required=value_required, max_length=2000) if (
        value_required or item.has("value")
    ) else None  # fmt: skip
    return {"entity": entity, "key": key, **({"value": value} if value is not None else {})}


def _specifiers(reader: Reader) -> list[dict[str, Any]]:
    out = []
    for spec in reader.children("alert_specifiers"):
        include = [_filter(f, value_required=False) for f in spec.children("custom_field_filters")]
        exclude = [
            {"custom_field_filters": [
                _filter(f, value_required=True) for f in ex.children("custom_field_filters")
            ]}
            for ex in spec.children("exclude")
        ]  # fmt: skip
        for flt in include:
            if flt["entity"] == "Customer":
                raise spec.fail("custom_field_filters", "entity Customer is not a balance.")
        out.append({"custom_field_filters": include, **({"exclude": exclude} if exclude else {})})
    return out


def _group_values(reader: Reader) -> list[dict[str, str]]:
    items = []
    for item in reader.children("group_values"):
        key = item.str("key", required=True, max_length=200)
        value = item.str("value", max_length=2000) if item.has("value") else None
        items.append({"key": key, **({"value": value} if value is not None else {})})
    keys = [i["key"] for i in items]
    if len(set(keys)) != len(keys):
        raise reader.fail("group_values", "each key may appear once.")
    if sum(1 for i in items if "value" not in i) > 1:
        raise reader.fail("group_values", "at most one key may be given without a value.")
    return items


def _seat_filter(reader: Reader) -> list[dict[str, str]]:
    """seat_filter, kept as the alert's one group value (group_values is spend alerts' only
    otherwise): a key alone reads each seat's balance on its own, a value that seat's."""
    if not reader.has("seat_filter"):
        return []
    seat = reader.child("seat_filter", required=True)
    key = seat.str("seat_group_key", required=True, max_length=200)
    value = seat.str("seat_group_value", max_length=2000) if seat.has("seat_group_value") else None
    return [{"key": key, **({"value": value} if value is not None else {})}]


def alert_wire_check(reader: Reader) -> None:
    """What the wire may not carry though the console may: a Customer filter entity."""
    for item in reader.children("custom_field_filters"):
        item.choice("entity", WIRE_ENTITIES, required=True)


def _custom_field_filters(reader: Reader, alert_type: str) -> list[dict[str, str]]:
    filters = []
    for item in reader.children("custom_field_filters"):
        flt = _filter(item, value_required=True)
        if alert_type in GRANT_TYPES:  # credit grants carry no contract or commit fields
            raise item.fail(
                "entity", "credit grant alerts are scoped by credit_grant_type_filters."
            )
        if flt["entity"] in COMMIT_ENTITIES and alert_type not in COMMIT_TYPES:
            raise item.fail("entity", f"{flt['entity']} filters apply to balance alerts only.")
        filters.append(flt)
    return filters


def _credit_type(reader: Reader, alert_type: str) -> CreditType | None:
    if alert_type in NO_CREDIT_TYPE:
        if reader.has("credit_type_id"):
            raise reader.fail("credit_type_id", NO_CREDIT_TYPE[alert_type])
        return None
    if not reader.has("credit_type_id"):
        return credit_type_get_default()
    return get_by_public_id(
        CreditType.objects.active(), reader.str("credit_type_id"), "credit type", "credit_type_id"
    )


def _grant_type_filters(reader: Reader) -> list[str]:
    """credit_grant_type_filters: the credit_grant_type values whose grants count, each once."""
    values = []
    for index, value in enumerate(reader.str_list("credit_grant_type_filters")):
        if not value.strip() or len(value) > 200:
            raise reader.fail(
                f"credit_grant_type_filters[{index}]", "must be a credit_grant_type (1-200 chars)."
            )
        if value not in values:
            values.append(value)
    return values


def _check_fields(reader: Reader, alert_type: str) -> None:
    for field, why in UNSUPPORTED_FIELDS.items():
        if reader.has(field):
            raise reader.fail(field, why)
    for field, types in ONLY.items():
        if reader.has(field) and alert_type not in types:
            names = ", ".join(sorted(types))
            raise ApplicationError(ONLY_FOR.format(field=field, types=names))


@transaction.atomic
def alert_create(*, data: dict[str, Any]) -> Alert:
    """Create an alert from a /v1/alerts/create body; evaluation follows on commit."""
    reader = Reader(data)
    raw_type = reader.str("alert_type", required=True, max_length=100)
    if raw_type not in AlertType.values:
        raise ApplicationError(
            TYPE_UNSUPPORTED.format(value=raw_type, choices=", ".join(AlertType.values))
        )
    alert_type = AlertType(raw_type)
    _check_fields(reader, alert_type)
    alert = Alert(
        name=reader.str("name", required=True, max_length=200).strip(),
        alert_type=alert_type,
        threshold=reader.decimal("threshold", required=True, minimum=Decimal(0)),
        credit_type=_credit_type(reader, alert_type),
        group_values=_group_values(reader) or _seat_filter(reader),
        invoice_types_filter=[t.upper() for t in reader.str_list("invoice_types_filter")],
        custom_field_filters=_custom_field_filters(reader, alert_type),
        alert_specifiers=_specifiers(reader),
        credit_grant_type_filters=_grant_type_filters(reader),
        access_type=reader.choice("access_type", ("SPEND",), default="SPEND")
        if alert_type in BALANCE_TYPES | PERCENT_TYPES
        else "",
        evaluate_on_create=bool(reader.bool("evaluate_on_create", True)),
        uniqueness_key=reader.str("uniqueness_key", max_length=128) or None,
    )
    if alert_type == AlertType.LOW_SEAT_BALANCE and not reader.has("seat_filter"):
        raise reader.fail("seat_filter", "is required for low_remaining_seat_balance_reached.")
    if alert.seat_filter and any(
        f.get("value") is None
        for spec in alert.alert_specifiers
        for f in spec["custom_field_filters"]
    ):
        raise ApplicationError(SEAT_AND_SPLIT)
    if alert_type == AlertType.USAGE:
        alert.billable_metric = get_by_public_id(
            BillableMetric.objects.active(),
            reader.str("billable_metric_id", required=True),
            "billable metric",
            "billable_metric_id",
        )
    if reader.has("plan_id"):
        from plans.models import Plan

        alert.plan = get_by_public_id(Plan.objects.all(), reader.str("plan_id"), "plan", "plan_id")
    if reader.has("customer_id"):
        alert.customer = get_by_public_id(
            Customer.objects.active(), reader.str("customer_id"), "customer", "customer_id"
        )
    if alert.uniqueness_key and Alert.objects.filter(uniqueness_key=alert.uniqueness_key).exists():
        raise ApplicationError(UNIQUENESS_KEY_REUSED.format(key=alert.uniqueness_key), "conflict")
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:  # a concurrent create with the same key won the race
        raise ApplicationError(
            UNIQUENESS_KEY_REUSED.format(key=alert.uniqueness_key), "conflict"
        ) from None
    if alert.evaluate_on_create:
        from alerts.tasks import alert_evaluate_all

        alert_evaluate_all.delay_on_commit(alert.pk)
    return alert


@transaction.atomic
def alert_archive(*, alert: Alert, release_uniqueness_key: bool = False) -> Alert:
    """Stop evaluating the alert for every customer. Idempotent; optionally frees its key."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    fields = []
    if alert.archived_at is None:
        alert.archived_at = timezone.now()
        fields.append("archived_at")
    if release_uniqueness_key and alert.uniqueness_key is not None:
        alert.uniqueness_key = None
        fields.append("uniqueness_key")
    if fields:
        alert.save(update_fields=[*fields, "updated_at"])
    return alert


@transaction.atomic
def customer_alert_reset(*, alert: Alert, customer: Customer) -> int:
    """Forget the customer's state for this alert (every group value) and evaluate afresh:
    if the threshold is still crossed, the customer alarms, and is notified, again."""
    from alerts.evaluation import customer_matches
    from alerts.tasks import alerts_evaluate_customers

    if alert.archived_at is not None:
        raise ApplicationError(ALERT_ARCHIVED)
    if not customer_matches(alert, customer):
        raise ApplicationError(NOT_FOR_CUSTOMER.format(customer=customer.public_id), "not_found")
    now = timezone.now()
    states = list(CustomerAlert.objects.select_for_update().filter(alert=alert, customer=customer))
    for state in states:
        state.status, state.version = AlertStatus.EVALUATING, state.version + 1
        state.triggered_by, state.status_changed_at, state.evaluated_at = "", now, None
        state.save(
            update_fields=[
                "status", "version", "triggered_by", "status_changed_at", "evaluated_at",
                "updated_at",
            ]
        )  # fmt: skip
    alerts_evaluate_customers.delay_on_commit([customer.pk], "reset", [alert.pk])
    return len(states)
