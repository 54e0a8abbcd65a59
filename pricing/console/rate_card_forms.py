"""Rate card forms of the pricing console: creating a card, filtering its rate table, and the
rate editor's forms (add a rate; edit one in place, in its table row)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from pricing.console import queries
from pricing.console.form_fields import DATETIME_HELP, UtcDateTimeField, split_list
from pricing.models import CreditType, Product, RateType


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
        self.fields["product"].queryset = queries.rate_products()


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
            "price": queries.decimal_text(rate.price) if rate.price is not None else None,
            "tiers": "\n".join(queries.tier_lines(rate.tiers)),
            "pricing_group_values": queries.group_text(rate.pricing_group_values),
            "entitled": rate.entitled,
        }
        return cls(data, initial=initial, rate_id=str(rate.public_id))
