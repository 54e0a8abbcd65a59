"""Console forms of the tax app: HTML input validation only; services do the writes."""

from django import forms

from customers.models import AvalaraEnvironment


class TaxAddressForm(forms.Form):
    line1 = forms.CharField(label="Address line 1", max_length=200)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(max_length=100)
    region = forms.CharField(
        label="State or region", max_length=100, required=False,
        help_text='The state or province code, e.g. "NY".',
    )  # fmt: skip
    postal_code = forms.CharField(label="Postal code", max_length=20)
    country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$", max_length=2, help_text='Two-letter ISO code, e.g. "US".',
        error_messages={"invalid": 'Enter the two-letter country code, e.g. "US".'},
    )  # fmt: skip

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()


class AnrokKeyForm(forms.Form):
    api_key = forms.CharField(
        label="Anrok API key", max_length=500, strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip


class AvalaraForm(forms.Form):
    avalara_environment = forms.ChoiceField(label="Environment", choices=AvalaraEnvironment.choices)
    avalara_username = forms.CharField(label="Username", max_length=200)
    avalara_password = forms.CharField(
        label="Password", max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )  # fmt: skip
    commit_transactions = forms.BooleanField(
        label="Commit transactions (record them for filing)", required=False
    )
