"""HTML input for the pricing console. Forms only parse text into the shapes the services take;
the business rules (negative prices, overlaps, tier order...) live in pricing.services."""

import json
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from billing_console.forms import within_input_window
from pricing import console_queries
from pricing.models import CreditType, Product, ProductType, RateCard, RateType
from pricing.rating import ROUNDING
from usage.models import AggregationType

STATUS_CHOICES = [("active", "Active"), ("archived", "Archived"), ("all", "All")]
DATETIME_HELP = "UTC, e.g. 2025-01-01 or 2025-01-01 00:00."


def split_list(raw: str) -> list[str]:
    """ "a, b\\nc" -> ["a", "b", "c"] (empty items dropped, order kept, duplicates removed)."""
    items = [item.strip() for item in (raw or "").replace("\n", ",").split(",")]
    return list(dict.fromkeys(item for item in items if item))


def join_list(values: list[str] | None) -> str:
    return ", ".join(values or [])


class UtcDateTimeField(forms.DateTimeField):
    """A date or date-time typed in UTC (the console shows every time in UTC)."""

    widget = forms.DateTimeInput(attrs={"placeholder": "YYYY-MM-DD HH:MM"})
    default_validators = [within_input_window]

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            value = value.astimezone(UTC)
            return value.strftime(
                "%Y-%m-%d" if value.hour == value.minute == 0 else "%Y-%m-%d %H:%M"
            )
        return value


# -- filters ----------------------------------------------------------------------------------


class ProductFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    type = forms.ChoiceField(required=False, choices=[("", "All types"), *ProductType.choices])


class ListFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)


class RateFilterForm(forms.Form):
    products = forms.ChoiceField(
        required=False,
        choices=[("active", "Active products"), ("all", "Include archived products")],
    )
    rates = forms.ChoiceField(
        required=False,
        choices=[("entitled", "Entitled rates"), ("all", "Include disabled rates")],
    )
    as_of = UtcDateTimeField(required=False, label="As of")


# -- products ---------------------------------------------------------------------------------


class ProductFields(forms.Form):
    """What a product version defines (shared by create and update)."""

    name = forms.CharField(max_length=200)
    billable_metric = forms.ModelChoiceField(
        queryset=console_queries.billable_metric_choices(),
        required=False,
        to_field_name="public_id",
        empty_label="— none —",
        help_text="USAGE products only. Or define a new one below.",
    )
    tags = forms.CharField(required=False, help_text="Comma-separated.")
    pricing_group_key = forms.CharField(
        required=False, help_text="Comma-separated group keys rates can be priced by."
    )
    presentation_group_key = forms.CharField(
        required=False, help_text="Comma-separated group keys shown on invoices."
    )
    conversion_factor = forms.DecimalField(
        required=False, label="Quantity conversion factor", max_digits=28, decimal_places=12
    )
    conversion_operation = forms.ChoiceField(
        required=False,
        label="Conversion operation",
        choices=[("", "—"), ("MULTIPLY", "Multiply"), ("DIVIDE", "Divide")],
    )
    rounding_decimal_places = forms.IntegerField(
        required=False, label="Round quantity to decimal places", min_value=0, max_value=12
    )
    rounding_method = forms.ChoiceField(
        required=False,
        label="Rounding method",
        choices=[("", "—"), *[(method, method) for method in ROUNDING]],
    )
    composite_products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        required=False,
        to_field_name="public_id",
        help_text="COMPOSITE products only: the products a percentage applies to.",
    )
    composite_tags = forms.CharField(required=False, help_text="COMPOSITE only. Comma-separated.")
    # A billable metric created together with the product, in the same submit.
    metric_name = forms.CharField(required=False, max_length=200, label="New metric: name")
    metric_event_types = forms.CharField(
        required=False,
        label="New metric: event types",
        help_text="Comma-separated event_type values.",
    )
    metric_aggregation_type = forms.ChoiceField(
        required=False,
        label="New metric: aggregation",
        choices=[("", "—"), *AggregationType.choices],
    )
    metric_aggregation_key = forms.CharField(
        required=False,
        label="New metric: aggregation key",
        help_text="The property summed, maxed...",
    )
    metric_group_keys = forms.CharField(
        required=False,
        label="New metric: group keys",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One group per line, keys comma-separated, e.g. “region” then “region, model”.",
    )

    METRIC_FIELDS = (
        "metric_name", "metric_event_types", "metric_aggregation_type", "metric_aggregation_key",
        "metric_group_keys",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["composite_products"].queryset = console_queries.rate_products()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("metric_name") and data.get("billable_metric"):
            self.add_error("metric_name", "Pick an existing metric or define a new one, not both.")
        if any(data.get(f) for f in self.METRIC_FIELDS[1:]) and not data.get("metric_name"):
            self.add_error("metric_name", "Name the new billable metric.")
        return data

    def new_metric(self) -> dict[str, Any] | None:
        """Keyword arguments of usage.services.billable_metric_create, or None."""
        data = self.cleaned_data
        if not data.get("metric_name"):
            return None
        types = split_list(data["metric_event_types"])
        groups = [split_list(line) for line in data["metric_group_keys"].splitlines()]
        return {
            "name": data["metric_name"],
            "event_type_filter": {"in_values": types} if types else None,
            "aggregation_type": data["metric_aggregation_type"] or None,
            "aggregation_key": data["metric_aggregation_key"] or None,
            "group_keys": [g for g in groups if g],
        }

    def product_fields(self) -> dict[str, Any]:
        """Keyword arguments of pricing.services.product_create/product_update (no metric)."""
        data = self.cleaned_data
        conversion = None
        if data.get("conversion_factor") is not None or data.get("conversion_operation"):
            conversion = {
                "conversion_factor": data.get("conversion_factor"),
                "operation": data.get("conversion_operation"),
            }
        rounding = None
        if data.get("rounding_decimal_places") is not None or data.get("rounding_method"):
            rounding = {
                "decimal_places": data.get("rounding_decimal_places"),
                "rounding_method": data.get("rounding_method"),
            }
        return {
            "name": data["name"],
            "tags": split_list(data["tags"]),
            "pricing_group_key": split_list(data["pricing_group_key"]),
            "presentation_group_key": split_list(data["presentation_group_key"]),
            "quantity_conversion": conversion,
            "quantity_rounding": rounding,
            "composite_product_ids": [str(p.public_id) for p in data["composite_products"]],
            "composite_tags": split_list(data["composite_tags"]),
        }

    @staticmethod
    def initial_from(version: Any) -> dict[str, Any]:
        conversion = version.quantity_conversion or {}
        rounding = version.quantity_rounding or {}
        return {
            "name": version.name,
            "billable_metric": version.billable_metric.public_id
            if version.billable_metric
            else None,
            "tags": join_list(version.tags),
            "pricing_group_key": join_list(version.pricing_group_key),
            "presentation_group_key": join_list(version.presentation_group_key),
            "conversion_factor": conversion.get("conversion_factor"),
            "conversion_operation": conversion.get("operation", ""),
            "rounding_decimal_places": rounding.get("decimal_places"),
            "rounding_method": rounding.get("rounding_method", ""),
            "composite_products": version.composite_product_ids,
            "composite_tags": join_list(version.composite_tags),
        }


class ProductCreateForm(ProductFields):
    type = forms.ChoiceField(choices=ProductType.choices)
    field_order = ["name", "type"]


class ProductUpdateForm(ProductFields):
    starting_at = UtcDateTimeField(
        label="Effective from",
        help_text="The new definition applies to usage from this moment (UTC); earlier usage keeps the old one.",
    )
    field_order = ["starting_at", "name"]


# -- rate cards -------------------------------------------------------------------------------


class RateCardCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    fiat_credit_type = forms.ModelChoiceField(
        queryset=CreditType.objects.none(),
        required=False,
        to_field_name="public_id",
        empty_label="USD (cents) (default)",
        label="Currency",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fiat_credit_type"].queryset = CreditType.objects.filter(
            is_fiat=True, archived_at__isnull=True
        )


# -- rates ------------------------------------------------------------------------------------


def parse_tiers(raw: str) -> list[dict[str, str]]:
    """Lines "size price" -> wire tiers; the last tier may be "price" or "* price" (no limit).
    Numbers stay strings: the service turns them into exact Decimals and checks them."""
    tiers = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        parts = line.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) == 1:
            tiers.append({"price": parts[0]})
        elif len(parts) == 2:
            size, price = parts
            tiers.append(
                {"price": price} if size in ("*", "-", "∞") else {"size": size, "price": price}
            )
        else:
            raise ValidationError(f"Line {number}: write “size price”, e.g. “1000 0.5”.")
    return tiers


def parse_group_values(raw: str) -> dict[str, str]:
    values = {}
    for item in split_list(raw):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValidationError(f"“{item}”: write key=value, e.g. region=eu.")
        values[key.strip()] = value.strip()
    return values


class RateFields(forms.Form):
    starting_at = UtcDateTimeField(help_text=DATETIME_HELP)
    ending_before = UtcDateTimeField(required=False, help_text="Empty: no end.")
    rate_type = forms.ChoiceField(choices=RateType.choices, label="Rate type")
    price = forms.DecimalField(
        required=False, max_digits=28, decimal_places=12, help_text="In the rate card's unit."
    )
    tiers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "1000 2\n* 1"}),
        help_text="TIERED only: one tier per line, “size price”; the last one “* price”.",
    )
    pricing_group_values = forms.CharField(
        required=False, label="Group values", help_text="key=value, comma-separated."
    )
    entitled = forms.BooleanField(required=False, initial=True)

    def clean_tiers(self) -> list[dict[str, str]]:
        return parse_tiers(self.cleaned_data["tiers"])

    def clean_pricing_group_values(self) -> dict[str, str]:
        return parse_group_values(self.cleaned_data["pricing_group_values"])

    def rate_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        tiered = data["rate_type"] == RateType.TIERED
        return {
            "starting_at": data["starting_at"],
            "ending_before": data.get("ending_before"),
            "rate_type": data["rate_type"],
            "price": None if tiered else data.get("price"),
            "tiers": data["tiers"] if tiered else None,
            "pricing_group_values": data["pricing_group_values"],
            "entitled": data["entitled"],
        }


class RateAddForm(RateFields):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), to_field_name="public_id")
    tier_reset_frequency = forms.IntegerField(
        required=False, min_value=1, max_value=120, initial=1, label="Tiers reset every",
        help_text="TIERED only: usage statements over which tiers fill before starting again.",
    )  # fmt: skip
    field_order = [
        "product", "starting_at", "ending_before", "rate_type", "price", "tiers",
        "tier_reset_frequency",
    ]  # fmt: skip

    def rate_fields(self) -> dict[str, Any]:
        fields = super().rate_fields()
        if fields["rate_type"] == RateType.TIERED:
            fields["tier_reset_frequency"] = self.cleaned_data["tier_reset_frequency"] or 1
        return fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_add_%s")
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = console_queries.rate_products()


class RateEditForm(RateFields):
    """One table row: every input belongs to the row's <form> through its form= attribute."""

    def __init__(self, *args: Any, rate_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_rate-{rate_id}_%s")
        super().__init__(*args, **kwargs)
        self.form_id = f"rate-form-{rate_id}"
        for field in self.fields.values():
            field.widget.attrs["form"] = self.form_id
            field.help_text = ""
        self.fields["tiers"].widget.attrs["rows"] = 2

    @classmethod
    def for_rate(cls, rate: Any, data: Any = None) -> "RateEditForm":
        initial = {
            "starting_at": rate.starting_at,
            "ending_before": rate.ending_before,
            "rate_type": rate.rate_type,
            "price": console_queries.decimal_text(rate.price) if rate.price is not None else None,
            "tiers": "\n".join(console_queries.tier_lines(rate.tiers)),
            "pricing_group_values": console_queries.group_text(rate.pricing_group_values),
            "entitled": rate.entitled,
        }
        return cls(data, initial=initial, rate_id=str(rate.public_id))


# -- packages ---------------------------------------------------------------------------------

TERMS_EXAMPLE = """{
  "commits": [
    {"type": "PREPAID", "product_id": "…",
     "access_schedule": {"schedule_items": [
       {"amount": 100000, "starting_at_offset": {"unit": "DAYS", "value": 0},
        "duration": {"unit": "MONTHS", "value": 12}}]}}
  ],
  "usage_statement_schedule": {"frequency": "MONTHLY"}
}"""


class PackageCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    rate_card = forms.ModelChoiceField(
        queryset=RateCard.objects.none(), to_field_name="public_id", label="Rate card"
    )
    uniqueness_key = forms.CharField(
        required=False, max_length=128, help_text="Optional: makes a retried create safe."
    )
    terms = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "placeholder": TERMS_EXAMPLE, "class": "mono"}),
        help_text="Commits, credits, scheduled charges, overrides and schedules, as in the "
        "API's /v1/packages/create body (offsets from the contract start instead of dates).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate_card"].queryset = RateCard.objects.filter(archived_at__isnull=True)

    def clean_terms(self) -> dict[str, Any]:
        raw = self.cleaned_data["terms"].strip()
        try:
            terms = json.loads(raw) if raw else {}
        except ValueError as err:
            raise ValidationError(f"Not valid JSON: {err}.") from None
        if not isinstance(terms, dict):
            raise ValidationError('Enter a JSON object, e.g. {"commits": [...]}.')
        for key in ("name", "rate_card_id", "rate_card_alias", "uniqueness_key"):
            if key in terms:
                raise ValidationError(f"Set “{key}” with its own field, not in the terms.")
        return terms

    def body(self) -> dict[str, Any]:
        """The /v1/packages/create body package_create takes."""
        data = self.cleaned_data
        body = {
            "name": data["name"],
            "rate_card_id": str(data["rate_card"].public_id),
            **data["terms"],
        }
        if data.get("uniqueness_key"):
            body["uniqueness_key"] = data["uniqueness_key"]
        return body
