"""Rate card forms of the pricing console: creating a card, filtering and searching its rate
table, and the rate editor's forms (add a rate; edit one in place, in its table row; change one
from a date). Dates are picked (midnight UTC); tiers are rows (tier_rows.py)."""

from datetime import UTC, date, datetime, time
from typing import Any

from django import forms

from billing_console.forms import CreditTypeChoiceField, MoneyField, within_input_window
from billing_console.lib.money_text import unit_label
from pricing.console import queries
from pricing.console.form_fields import UtcDateTimeField, split_list
from pricing.console.tier_rows import TierRowsMixin
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
    q = forms.CharField(required=False, max_length=200, label="Search products")
    type = forms.ChoiceField(
        required=False, label="Rate type", choices=[("", "Any type"), *RateType.choices]
    )
    when = forms.ChoiceField(
        required=False,
        label="In force",
        choices=[("", "Any time"), ("now", "In force now"), ("future", "Starting later"),
                 ("ended", "Ended")],
    )  # fmt: skip
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


class RateDateField(forms.DateField):
    """A day picked in the browser (<input type=date>), meaning midnight UTC of that day."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_validators = [within_input_window]

    def to_python(self, value: Any) -> datetime | None:  # type: ignore[override]
        day = super().to_python(value)
        return datetime.combine(day, time.min, tzinfo=UTC) if day else None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return value


def parse_group_values(raw: str) -> dict[str, str]:
    values = {}
    for item in split_list(raw):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(f"“{item}”: write key=value, e.g. region=eu.")
        values[key.strip()] = value.strip()
    return values


NEEDS_TIERS = "Give at least one tier (a price; a size for all but the last)."


class PriceFields(TierRowsMixin):
    """A rate type with its price, or its tiers as rows."""

    rate_type = forms.ChoiceField(choices=RateType.choices, label="Rate type")
    # A unit price: sub-cent prices are allowed ("$0.0003" a token). PERCENTAGE: a fraction.
    price = MoneyField(required=False, sub_unit=True, negative=True)

    def setup_price(self, credit_type: Any, tiers: list[dict[str, Any]] | None = None) -> None:
        self.credit_type = credit_type
        price = self.fields["price"]
        assert isinstance(price, MoneyField)
        if self._chosen_rate_type() == RateType.PERCENTAGE:  # a fraction of other charges
            price.help_text = "PERCENTAGE: a fraction of the included products, 0.05 = 5%."
        else:
            price.credit_type = credit_type
            price.help_text = f"In {unit_label(credit_type)} per unit, e.g. 25.00 or 0.0003."
        self.setup_tier_rows(tiers)

    def _chosen_rate_type(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("rate_type")) or "")
        return str(self.initial.get("rate_type") or "")

    def clean(self) -> dict[str, Any]:
        """Tiers for a TIERED rate; for another type the rows are hidden and not sent."""
        data = super().clean()
        data["tiers"] = None
        if data.get("rate_type") == RateType.TIERED:
            data["tiers"] = self.clean_tier_rows()
            if not data["tiers"] and "tier_price" not in self.errors:
                self.add_error("tier_price", NEEDS_TIERS)
        return data


class RateFields(PriceFields):
    starting_at = RateDateField(label="Starting on", help_text="From midnight UTC.")
    ending_before = RateDateField(
        required=False, label="Ending before", help_text="Empty: no end. Ends at midnight UTC."
    )
    pricing_group_values = forms.CharField(
        required=False, label="Group values", help_text="key=value, comma-separated."
    )
    entitled = forms.BooleanField(required=False, initial=True)

    def __init__(
        self, *args: Any, credit_type: Any = None, tiers: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.setup_price(credit_type, tiers)

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
        "product", "starting_at", "ending_before", "rate_type", "price", "tier_reset_frequency",
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

    def plain_fields(self) -> list:
        return [self[name] for name in self.fields if not name.startswith("tier_")]


class RateEditForm(RateFields):
    """One table row: every input belongs to the row's <form> through its form= attribute.

    Edit corrects the rate from its start: a start (or end) left on its day keeps its exact
    moment, so a rate starting at 10:30 UTC is not moved to midnight by saving it."""

    def __init__(self, *args: Any, rate_id: str, rate: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_rate-{rate_id}_%s")
        super().__init__(*args, **kwargs)
        self.rate = rate
        self.form_id = f"rate-form-{rate_id}"
        for field in self.fields.values():
            field.widget.attrs["form"] = self.form_id
            field.help_text = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.rate is not None:
            for name in ("starting_at", "ending_before"):
                kept, chosen = getattr(self.rate, name), data.get(name)
                if kept and chosen and chosen.date() == kept.astimezone(UTC).date():
                    data[name] = kept
        return data

    @classmethod
    def for_rate(cls, rate: Any, data: Any = None) -> "RateEditForm":
        initial = {
            "starting_at": rate.starting_at,
            "ending_before": rate.ending_before,
            "rate_type": rate.rate_type,
            "price": rate.price,  # stored units: the field shows them in major units
            "pricing_group_values": queries.group_text(rate.pricing_group_values),
            "entitled": rate.entitled,
        }
        return cls(
            data, initial=initial, rate_id=str(rate.public_id), rate=rate,
            credit_type=rate.credit_type, tiers=rate.tiers,
        )  # fmt: skip


def first_of_next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


class RateChangeForm(PriceFields):
    """Change a rate from a date: the new price (or tiers, or type) and the day it starts."""

    starting_at = RateDateField(
        label="New price from", help_text="Midnight UTC. The current rate ends then."
    )
    field_order = ["starting_at", "rate_type", "price"]

    def __init__(self, *args: Any, rate: Any, today: date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "starting_at": first_of_next_month(today), "rate_type": rate.rate_type,
            "price": rate.price,
        })  # fmt: skip
        super().__init__(*args, **kwargs)
        self.rate = rate
        self.fields["rate_type"].choices = [c for c in RateType.choices if c[0] != RateType.CUSTOM]
        self.setup_price(rate.credit_type, rate.tiers)

    def change_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        tiered = data["rate_type"] == RateType.TIERED
        return {
            "starting_at": data["starting_at"],
            "rate_type": data["rate_type"],
            "price": None if tiered else data.get("price"),
            "tiers": data["tiers"] if tiered else None,
        }
