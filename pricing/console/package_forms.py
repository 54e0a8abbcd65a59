"""The package builder's own fields (prefix "package"): name, rate card (a menu of names), what a
contract from it starts with (its name, length, usage statements, payment terms), and, folded
away, the terms the builder has no form for (subscriptions, spend trackers, thresholds...) as
the JSON of the API's /v1/packages/create body, amounts in the rate card's currency ("$12,000"
or 12000). Nothing typed there is dropped: it is merged into the body the items make."""

import json
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from billing_console.lib.money_text import MoneyError, terms_to_stored
from pricing.console.package_offsets import DurationField
from pricing.models import CreditType, RateCard

# Set by their own fields (or the builder's items): refused in the JSON box.
OWN_FIELDS = ("name", "rate_card_id", "rate_card_alias", "uniqueness_key", "contract_name",
              "duration", "net_payment_terms_days")  # fmt: skip
FREQUENCIES = [
    ("", "Monthly (the default)"),
    ("QUARTERLY", "Quarterly"),
    ("ANNUAL", "Annual"),
    ("WEEKLY", "Weekly"),
]


class PackageHeadForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="e.g. Better: the name deal desk picks.")
    rate_card = forms.ModelChoiceField(
        queryset=RateCard.objects.none(),
        to_field_name="public_id",
        label="Rate card",
        empty_label="Choose a rate card",
        help_text="The list prices; amounts below are in its currency.",
    )
    contract_name = forms.CharField(
        max_length=200, required=False, help_text="Contracts made from it are called this."
    )
    duration = DurationField(
        required=False, label="Contract length", help_text='e.g. "12 months". Empty: open-ended.'
    )
    frequency = forms.ChoiceField(choices=FREQUENCIES, required=False, label="Usage statements")
    net_payment_terms_days = forms.IntegerField(
        required=False, min_value=0, max_value=365, label="Payment terms (days)",
        help_text="Net days to pay an invoice. Empty: the customer's default.",
    )  # fmt: skip
    uniqueness_key = forms.CharField(
        required=False, max_length=128, help_text="Optional: makes a retried create safe."
    )
    terms = forms.CharField(
        required=False,
        label="More terms (API JSON)",
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text="Only for terms the builder has no form for (subscriptions, spend trackers, "
        "threshold billing...), as in the API's /v1/packages/create body, with amounts in the "
        'rate card\'s currency: <code>"$12,000.00"</code> or <code>12000</code>.',
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "package")
        super().__init__(*args, **kwargs)
        self.fields["rate_card"].queryset = RateCard.objects.filter(
            archived_at__isnull=True
        ).order_by("name")

    def main_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("name", "rate_card", "contract_name", "duration", "frequency",
                                  "net_payment_terms_days")]  # fmt: skip

    def advanced_fields(self) -> list[forms.BoundField]:
        return [self["terms"], self["uniqueness_key"]]

    def clean_terms(self) -> dict[str, Any]:
        raw = self.cleaned_data["terms"].strip()
        try:
            terms = json.loads(raw, parse_float=Decimal) if raw else {}  # never a float
        except ValueError as err:
            raise ValidationError(f"Not valid JSON: {err}.") from None
        if not isinstance(terms, dict):
            raise ValidationError('Enter a JSON object, e.g. {"subscriptions": [...]}.')
        for key in OWN_FIELDS:
            if key in terms:
                raise ValidationError(f"Set “{key}” with its own field, not in the terms.")
        return terms

    def clean(self) -> dict[str, Any]:
        """The JSON terms' amounts, typed in the rate card's major unit, in the unit stored."""
        cleaned = super().clean()
        card, terms = cleaned.get("rate_card"), cleaned.get("terms")
        if card is None or not isinstance(terms, dict):
            return cleaned
        ids = _credit_type_ids(terms)
        types = {str(ct.public_id): ct for ct in CreditType.objects.filter(public_id__in=ids)}
        try:
            cleaned["terms"] = terms_to_stored(terms, card.fiat_credit_type, types)
        except MoneyError as err:
            self.add_error("terms", str(err))
        return cleaned

    def body(self) -> dict[str, Any]:
        """The head of the /v1/packages/create body: the JSON terms, then the own fields."""
        data = self.cleaned_data
        body: dict[str, Any] = {
            **data["terms"],
            "name": data["name"],
            "rate_card_id": str(data["rate_card"].public_id),
        }
        for key in ("contract_name", "duration", "net_payment_terms_days", "uniqueness_key"):
            if data.get(key) not in (None, ""):
                body[key] = data[key]
        if data.get("frequency"):
            body["usage_statement_schedule"] = {
                **(body.get("usage_statement_schedule") or {}),
                "frequency": data["frequency"],
            }
        return body


def _credit_type_ids(value: Any) -> set[str]:
    """The valid credit type ids the terms name (a custom-unit commit's amounts are in it)."""
    found: set[str] = set()
    if isinstance(value, dict):
        raw = value.get("credit_type_id")
        if isinstance(raw, str) and _is_uuid(raw):
            found.add(raw)
        for inner in value.values():
            found |= _credit_type_ids(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _credit_type_ids(inner)
    return found


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
