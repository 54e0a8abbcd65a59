"""Package form of the pricing console: name, rate card, and the terms typed as the JSON of the
API's /v1/packages/create body, but with amounts in the rate card's currency ("$12,000.00" or
12000), as everywhere in the console; they are stored, as the API takes them, in cents."""

import json
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from billing_console.lib.money_text import MoneyError, terms_to_stored
from pricing.models import CreditType, RateCard

TERMS_EXAMPLE = """{
  "commits": [
    {"type": "PREPAID", "product_id": "…",
     "access_schedule": {"schedule_items": [
       {"amount": "$12,000.00", "starting_at_offset": {"unit": "DAYS", "value": 0},
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
        "API's /v1/packages/create body (offsets from the contract start instead of dates). "
        'Amounts in the rate card\'s currency: <code>"$12,000.00"</code> or '
        "<code>12000</code> is twelve thousand dollars (the API itself takes cents).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate_card"].queryset = RateCard.objects.filter(archived_at__isnull=True)

    def clean_terms(self) -> dict[str, Any]:
        raw = self.cleaned_data["terms"].strip()
        try:
            terms = json.loads(raw, parse_float=Decimal) if raw else {}  # never a float
        except ValueError as err:
            raise ValidationError(f"Not valid JSON: {err}.") from None
        if not isinstance(terms, dict):
            raise ValidationError('Enter a JSON object, e.g. {"commits": [...]}.')
        for key in ("name", "rate_card_id", "rate_card_alias", "uniqueness_key"):
            if key in terms:
                raise ValidationError(f"Set “{key}” with its own field, not in the terms.")
        return terms

    def clean(self) -> dict[str, Any]:
        """The terms' amounts, typed in the rate card's major unit, in the unit stored."""
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
