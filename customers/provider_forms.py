"""Console forms for billing providers: a Stripe account (entity) and a customer's
configuration with one of the configured providers. Validation is the services' (the same
messages as the API); these forms only shape the input."""

from typing import Any

from django import forms

from customers.models import BillingProvider, ConfiguredBillingProvider
from customers.provider_configs import AWS_REGIONS

SECRET_HELP = "Stored, and shown masked from now on. Leave blank to keep the current one."


class StripeAccountForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="How finance tells the accounts apart, e.g. “US entity”.")  # fmt: skip
    secret_key = forms.CharField(
        label="Secret key",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="sk_live_…, or a restricted key rk_live_… with invoices and customers access.",
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="whsec_…: the secret of the endpoint this page shows after saving.",
    )
    effective_at_end_of_period = forms.BooleanField(
        required=False, label="Date Stripe invoices on the last day of their service period"
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["secret_key"].help_text = SECRET_HELP
            self.fields["webhook_secret"].help_text = SECRET_HELP

    def clean_secret_key(self) -> str:
        value = self.cleaned_data["secret_key"].strip()
        if not value and not self.editing:
            raise forms.ValidationError("A Stripe account needs its secret key.")
        return value

    def to_wire(self) -> dict[str, Any]:
        data = self.cleaned_data
        config: dict[str, Any] = {"name": data["name"], "stripe_secret_key": data["secret_key"]}
        if data["webhook_secret"]:
            config["stripe_webhook_secret"] = data["webhook_secret"].strip()
        if data["effective_at_end_of_period"]:
            config["effective_at_end_of_period"] = True
        return {
            "billing_provider": BillingProvider.STRIPE,
            "delivery_method": "direct_to_billing_provider",
            "configuration": config,
        }


class CustomerBillingConfigurationForm(forms.Form):
    provider = forms.ChoiceField(label="Billing provider")
    external_id = forms.CharField(
        label="Customer id at the provider",
        max_length=255,
        help_text="Stripe: cus_…; AWS: the customer identifier; Azure: the subscription id; "
        "GCP: the procurement account id.",
    )
    stripe_collection_method = forms.ChoiceField(
        label="Collection (Stripe)",
        required=False,
        choices=[
            ("charge_automatically", "Charge the card on file"),
            ("send_invoice", "E-mail the invoice"),
        ],
    )
    tax_provider = forms.ChoiceField(
        label="Tax (Stripe)",
        required=False,
        choices=[
            ("", "No tax computed"),
            ("stripe", "Stripe Tax"),
            ("avalara", "Avalara AvaTax"),
            ("anrok", "Anrok"),
        ],
        help_text="Avalara and Anrok need the customer's tax address and the provider's "
        "credentials (Settings → Tax).",
    )
    aws_product_code = forms.CharField(label="AWS product code", required=False, max_length=255)
    aws_region = forms.ChoiceField(
        label="AWS region", required=False, choices=[("", "—"), *((r, r) for r in AWS_REGIONS)]
    )
    gcp_entitlement_id = forms.CharField(label="GCP entitlement id", required=False, max_length=200)

    # Where a service error about configuration.<key> is shown.
    ERROR_FIELDS = {
        "stripe_customer_id": "external_id", "aws_customer_id": "external_id",
        "azure_subscription_id": "external_id", "gcp_account_id": "external_id",
        "aws_product_code": "aws_product_code", "aws_region": "aws_region",
        "gcp_entitlement_id": "gcp_entitlement_id", "tax_provider": "tax_provider",
        "stripe_collection_method": "stripe_collection_method",
    }  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.providers = {str(p.public_id): p for p in ConfiguredBillingProvider.objects.active()}
        self.fields["provider"].choices = [
            (key, f"{p} ({p.get_billing_provider_display()})") for key, p in self.providers.items()
        ]

    def to_wire(self) -> dict[str, Any]:
        data = self.cleaned_data
        provider = self.providers[data["provider"]]
        kind = provider.billing_provider
        ident = data["external_id"].strip()
        config: dict[str, Any]
        if kind == BillingProvider.STRIPE:
            config = {"stripe_customer_id": ident,
                      "stripe_collection_method": data["stripe_collection_method"] or "charge_automatically"}  # fmt: skip
        elif kind == BillingProvider.AWS_MARKETPLACE:
            config = {"aws_customer_id": ident, "aws_product_code": data["aws_product_code"].strip(),
                      "aws_region": data["aws_region"]}  # fmt: skip
        elif kind == BillingProvider.AZURE_MARKETPLACE:
            config = {"azure_subscription_id": ident}
        else:
            config = {"gcp_account_id": ident, "gcp_entitlement_id": data["gcp_entitlement_id"].strip()}  # fmt: skip
        wire: dict[str, Any] = {
            "billing_provider": kind,
            "delivery_method_id": str(provider.public_id),
            "configuration": {k: v for k, v in config.items() if v},
        }
        if data.get("tax_provider"):
            wire["tax_provider"] = data["tax_provider"]
        return wire

    def add_service_error(self, message: str) -> None:
        field, _, text = message.partition(": ")
        key = field.rsplit(".", 1)[-1]
        self.add_error(self.ERROR_FIELDS.get(key), text or message)
