"""Rate card forms of the pricing console: creating a card, filtering its rate table, and the
rate editor's forms (add a rate; edit one in place, in its table row)."""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from billing_console.forms import CreditTypeChoiceField, MoneyField
from billing_console.lib.money_text import MoneyError, parse_money, unit_label
from pricing.console import queries
from pricing.console.form_fields import DATETIME_HELP, UtcDateTimeField, split_list
from pricing.models import USD_CENTS_ID, CreditType, Product, RateType


class RateCardCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    fiat_credit_type = CreditTypeChoiceField(
        queryset=CreditType.objects.none(),
        required=False,
        to_field_name="public_id",
        empty_label="USD (default)",
        label="Currency",
        default=USD_CENTS_ID,
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

GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def _tier_parts(line: str) -> list[str]:
    """ "100,000 $0.001" -> ["100,000", "$0.001"]; "1000,0.5" (no space) -> ["1000", "0.5"]."""
    parts = line.split()
    if len(parts) == 1 and "," in parts[0] and not GROUPED.fullmatch(parts[0].lstrip("$")):
        parts = [part for part in parts[0].split(",") if part]
    return parts


def _tier_number(number: int, text: str, credit_type: Any, *, price: bool) -> str:
    """One number of a tier line as the service takes it: a price in the stored unit (typed in
    major units, sub-cent allowed), or a size (units, thousands may be grouped)."""
    try:
        if price:
            return str(parse_money(text, credit_type, sub_unit=True, negative=True))
        return str(parse_money(text, None, negative=True))
    except MoneyError as err:
        raise ValidationError(f"Line {number}: {err}") from None


def parse_tiers(raw: str, credit_type: Any = None) -> list[dict[str, str]]:
    """Lines "size price" -> wire tiers; the last tier may be "price" or "* price" (no limit).
    Prices are typed in `credit_type`'s major unit ("$0.001") and come out in its stored unit
    (cents); the service checks the numbers (order, signs)."""
    tiers = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        parts = _tier_parts(line)
        if not parts:
            continue
        if len(parts) > 2:
            raise ValidationError(f"Line {number}: write “size price”, e.g. “1000 0.5”.")
        price = _tier_number(number, parts[-1], credit_type, price=True)
        size = parts[0] if len(parts) == 2 else "*"
        if size in ("*", "-", "∞"):
            tiers.append({"price": price})
        else:
            tiers.append({"size": _tier_number(number, size, None, price=False), "price": price})
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
    # A unit price: sub-cent prices are allowed ("$0.0003" a token). PERCENTAGE: a fraction.
    price = MoneyField(required=False, sub_unit=True, negative=True)
    tiers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "1,000 $0.02\n* $0.01"}),
        help_text="TIERED only: one tier per line, “size price”; the last one “* price”.",
    )
    pricing_group_values = forms.CharField(
        required=False, label="Group values", help_text="key=value, comma-separated."
    )
    entitled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, credit_type: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.credit_type = credit_type
        price = self.fields["price"]
        assert isinstance(price, MoneyField)
        if self._chosen_rate_type() == RateType.PERCENTAGE:  # a fraction of other charges
            price.help_text = "PERCENTAGE: a fraction of the included products, 0.05 = 5%."
        else:
            price.credit_type = credit_type
            price.help_text = f"In {unit_label(credit_type)} per unit, e.g. 25.00 or 0.0003."
        self.fields["tiers"].help_text += f" Prices in {unit_label(credit_type)}."

    def _chosen_rate_type(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("rate_type")) or "")
        return str(self.initial.get("rate_type") or "")

    def clean_tiers(self) -> list[dict[str, str]]:
        return parse_tiers(self.cleaned_data["tiers"], self.credit_type)

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
            "price": rate.price,  # stored units: the field shows them in major units
            "tiers": "\n".join(queries.tier_lines(rate.tiers, rate.credit_type)),
            "pricing_group_values": queries.group_text(rate.pricing_group_values),
            "entitled": rate.entitled,
        }
        return cls(data, initial=initial, rate_id=str(rate.public_id), credit_type=rate.credit_type)
