"""Package form of the pricing console: name, rate card, and the terms typed as the JSON of the
API's /v1/packages/create body."""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from pricing.models import RateCard

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
