"""HTML input for the alerts console: the alert form (fields by type) and notification settings.
Forms only validate and shape input into the wire dict the services take."""

from decimal import Decimal
from typing import Any

from django import forms

from alerts.lifecycle import SYSTEM_TYPES
from alerts.models import (
    COMMIT_TYPES,
    GRANT_TYPES,
    NOT_MONEY_TYPES,
    AlertStatus,
    AlertType,
)
from billing_console.forms import CreditTypeChoiceField, MoneyField
from customers.models import Customer
from pricing.models import USD_CENTS_ID, CreditType
from usage.models import BillableMetric

STATUSES = [("active", "Active"), ("archived", "Archived"), ("all", "All")]
# Percentages and days are plain numbers, of the commits and credits in the credit type chosen.
MONEY_TYPES = frozenset(AlertType.values) - NOT_MONEY_TYPES
INVOICE_TYPES = [("USAGE", "Usage statements"), ("SCHEDULED", "Scheduled charges and commits")]
COMMIT_ENTITIES = [
    ("ContractCreditOrCommit", "Commits and credits"),
    ("Commit", "Commits"),
    ("ContractCredit", "Credits"),
    ("Contract", "Their contract"),
]


class AlertFilterForm(forms.Form):
    q = forms.CharField(required=False)
    alert_type = forms.ChoiceField(required=False, choices=[("", "Any type"), *AlertType.choices])
    status = forms.ChoiceField(required=False, choices=STATUSES)


class StateFilterForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any state"), *AlertStatus.choices])


def _key_value(raw: str, field: str) -> tuple[str, str] | None:
    raw = raw.strip()
    if not raw:
        return None
    key, sep, value = raw.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise forms.ValidationError(f"Write {field} as key=value, e.g. tier=enterprise.")
    return key.strip(), value.strip()


class AlertForm(forms.Form):
    """Common fields, then the fields of the chosen type (the template shows only those)."""

    name = forms.CharField(max_length=200)
    alert_type = forms.ChoiceField(choices=AlertType.choices, label="Type")
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.active(), required=False, to_field_name="public_id",
        empty_label="All customers",
    )  # fmt: skip
    customer_filter = forms.CharField(
        required=False, label="Only customers with custom field",
        help_text="key=value, e.g. <code>tier=enterprise</code>. Empty: no filter.",
    )  # fmt: skip
    # Money types: typed in the chosen currency's major unit ("$1,000.00"), cleaned to the
    # stored unit (USD cents), the currency's decimals at most. Usage: the metric's unit.
    threshold = MoneyField(
        help_text="Money in the chosen currency, e.g. $1,000.00; usage in the metric's unit; "
        "a percentage as a number (10 for 10%); days as a number of days.",
    )
    # usage_threshold_reached
    billable_metric = forms.ModelChoiceField(
        queryset=BillableMetric.objects.active(), required=False, to_field_name="public_id"
    )
    # money types
    credit_type = CreditTypeChoiceField(
        queryset=CreditType.objects.active(), required=False, to_field_name="public_id",
        empty_label="USD (default)", label="Currency or pricing unit", default=USD_CENTS_ID,
    )  # fmt: skip
    contract_filter = forms.CharField(
        required=False, label="Only contracts with custom field",
        help_text="key=value on the contract. Empty: every contract.",
    )  # fmt: skip
    # spend_threshold_reached
    group_key = forms.CharField(
        required=False, max_length=200, label="Group key",
        help_text="A group key of the billable metrics, e.g. <code>user_id</code>. Empty: all spend.",
    )  # fmt: skip
    group_value = forms.CharField(
        required=False, max_length=2000, label="Group value",
        help_text="One value (e.g. <code>123</code>), or empty: every value alarms on its own.",
    )  # fmt: skip
    # invoice_total_reached
    invoice_types = forms.MultipleChoiceField(
        required=False, choices=INVOICE_TYPES, widget=forms.CheckboxSelectMultiple,
        help_text="None checked: every invoice type.",
    )  # fmt: skip
    # balance types
    balance_entity = forms.ChoiceField(
        required=False,
        choices=COMMIT_ENTITIES,
        label="Count only",
        initial="ContractCreditOrCommit",
    )
    balance_filter = forms.CharField(
        required=False, label="With custom field",
        help_text="key=value, e.g. <code>pool=ai</code>. Empty: every active commit and credit.",
    )  # fmt: skip
    # low_remaining_days_in_plan_reached (Metronome 1.0 plans)
    plan = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="public_id", empty_label="Any plan",
        help_text="Only customers on this plan; the days left until their plan ends.",
    )  # fmt: skip
    # low_remaining_seat_balance_reached
    seat_key = forms.CharField(
        required=False, max_length=200, label="Seat group key",
        help_text="The seat group key of the subscription, e.g. <code>user_id</code>.",
    )  # fmt: skip
    seat_value = forms.CharField(
        required=False, max_length=2000, label="Seat",
        help_text="One seat (e.g. <code>alice</code>), or empty: every seat alarms on its own.",
    )  # fmt: skip
    # credit grant types (low_credit_balance_reached, low_remaining_credit_percentage_reached)
    grant_types = forms.CharField(
        required=False, max_length=2000, label="Only credit grants of type",
        help_text="Comma-separated credit_grant_type values, e.g. <code>PROMO, PAID</code>. "
        "Empty: every credit grant.",
    )  # fmt: skip
    evaluate_on_create = forms.BooleanField(
        required=False, initial=True, label="Evaluate existing customers now",
        help_text="Unchecked: only customers whose usage or balance changes from now on.",
    )  # fmt: skip

    TYPE_FIELDS = {
        AlertType.USAGE: ("billable_metric", "contract_filter"),
        AlertType.SPEND: ("credit_type", "group_key", "group_value", "contract_filter"),
        AlertType.INVOICE_TOTAL: ("credit_type", "invoice_types", "contract_filter"),
        **{t: ("credit_type", "balance_entity", "balance_filter") for t in COMMIT_TYPES},
        AlertType.LOW_DAYS_IN_PLAN: ("plan",),
        AlertType.LOW_SEAT_BALANCE: (
            "credit_type",
            "seat_key",
            "seat_value",
            "balance_entity",
            "balance_filter",
        ),
        **{t: ("credit_type", "grant_types") for t in GRANT_TYPES},
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from plans.models import Plan

        self.fields["plan"].queryset = Plan.objects.order_by("name")  # type: ignore[attr-defined]
        if self.chosen_type() in MONEY_TYPES:
            threshold = self.fields["threshold"]
            assert isinstance(threshold, MoneyField)
            threshold.credit_type = self._chosen_credit_type()

    def _chosen_credit_type(self) -> CreditType:
        """The credit type the threshold is typed in: the one chosen, else USD."""
        raw = self.data.get("credit_type") if self.is_bound else self.initial.get("credit_type")
        try:
            chosen = self.fields["credit_type"].clean(raw or None)
        except forms.ValidationError:  # reported by the credit_type field itself
            chosen = None
        return chosen or _usd()

    def chosen_type(self) -> str:
        value = self.data.get("alert_type") if self.is_bound else self.initial.get("alert_type")
        return value if value in AlertType.values else AlertType.SPEND

    def type_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.TYPE_FIELDS[AlertType(self.chosen_type())]]

    def common_fields(self) -> list[forms.BoundField]:
        names = ("name", "alert_type", "customer", "customer_filter", "threshold")
        return [self[name] for name in names]

    def clean_customer_filter(self) -> tuple[str, str] | None:
        return _key_value(self.cleaned_data["customer_filter"], "the filter")

    def clean_contract_filter(self) -> tuple[str, str] | None:
        return _key_value(self.cleaned_data["contract_filter"], "the filter")

    def clean_balance_filter(self) -> tuple[str, str] | None:
        return _key_value(self.cleaned_data["balance_filter"], "the filter")

    def wire(self) -> dict[str, Any]:
        """The /v1/alerts/create body this form describes."""
        data = self.cleaned_data
        alert_type = data["alert_type"]
        body: dict[str, Any] = {
            "name": data["name"],
            "alert_type": alert_type,
            "evaluate_on_create": data["evaluate_on_create"],
        }
        filters = []
        if data.get("customer"):
            body["customer_id"] = str(data["customer"].public_id)
        if data.get("customer_filter"):
            key, value = data["customer_filter"]
            filters.append({"entity": "Customer", "key": key, "value": value})
        threshold: Decimal = data["threshold"]  # money types: already in the stored unit
        if alert_type not in (AlertType.USAGE, AlertType.LOW_DAYS_IN_PLAN):
            credit_type = data.get("credit_type") or _usd()
            body["credit_type_id"] = str(credit_type.public_id)
        if alert_type == AlertType.LOW_DAYS_IN_PLAN and data.get("plan"):
            body["plan_id"] = str(data["plan"].public_id)
        body["threshold"] = str(threshold)
        if alert_type == AlertType.USAGE and data.get("billable_metric"):
            body["billable_metric_id"] = str(data["billable_metric"].public_id)
        if alert_type in (AlertType.USAGE, AlertType.SPEND, AlertType.INVOICE_TOTAL) and data.get(
            "contract_filter"
        ):
            key, value = data["contract_filter"]
            filters.append({"entity": "Contract", "key": key, "value": value})
        if alert_type == AlertType.SPEND and data.get("group_key"):
            item = {"key": data["group_key"].strip()}
            if data.get("group_value", "").strip():
                item["value"] = data["group_value"].strip()
            body["group_values"] = [item]
        if alert_type == AlertType.INVOICE_TOTAL and data.get("invoice_types"):
            body["invoice_types_filter"] = data["invoice_types"]
        grant_types = [t.strip() for t in data.get("grant_types", "").split(",") if t.strip()]
        if alert_type in GRANT_TYPES and grant_types:
            body["credit_grant_type_filters"] = grant_types
        if alert_type == AlertType.LOW_SEAT_BALANCE and data.get("seat_key", "").strip():
            body["seat_filter"] = {"seat_group_key": data["seat_key"].strip()}
            if data.get("seat_value", "").strip():
                body["seat_filter"]["seat_group_value"] = data["seat_value"].strip()
        if alert_type in COMMIT_TYPES and data.get("balance_filter"):
            key, value = data["balance_filter"]
            filters.append({"entity": data.get("balance_entity") or "ContractCreditOrCommit",
                            "key": key, "value": value})  # fmt: skip
        if filters:
            body["custom_field_filters"] = filters
        return body


def _usd() -> CreditType:
    from pricing.services import credit_type_get_default

    return credit_type_get_default()


class OffsetNotificationForm(forms.Form):
    name = forms.CharField(max_length=200)
    policy_type = forms.ChoiceField(choices=[(t, t) for t in SYSTEM_TYPES], label="Lifecycle event")
    offset = forms.CharField(
        max_length=64, initial="-P7D",
        help_text="ISO-8601: <code>-P7D</code> 7 days before, <code>PT12H</code> 12 hours after, <code>P1M</code> a month after.",
    )  # fmt: skip

    def wire(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "policy": {"type": data["policy_type"], "offset": data["offset"]},
        }
