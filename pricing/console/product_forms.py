"""Product forms of the pricing console: the list filter, and a product version's definition
(with an optional billable metric created in the same submit) for create and update."""

from typing import Any

from django import forms

from pricing.console import queries
from pricing.console.form_fields import STATUS_CHOICES, UtcDateTimeField, join_list, split_list
from pricing.models import Product, ProductType
from pricing.rating import ROUNDING
from usage.models import AggregationType


class ProductFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    type = forms.ChoiceField(required=False, choices=[("", "All types"), *ProductType.choices])


class ProductFields(forms.Form):
    """What a product version defines (shared by create and update)."""

    name = forms.CharField(max_length=200)
    billable_metric = forms.ModelChoiceField(
        queryset=queries.billable_metric_choices(),
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
        self.fields["composite_products"].queryset = queries.rate_products()

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
