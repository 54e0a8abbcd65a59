"""Which tax provider computes an invoice's tax, with its credentials: the tax_provider of the
billing provider configuration the invoice is collected through (invoicing.providers.sync),
and the credentials stored for that configuration's billing provider (Avalara: upsert-
AvalaraCredentials; Anrok: Settings → Tax)."""

from django.db import transaction

from billing_console.encryption import decrypt_secret, encrypt_secret
from customers.avalara import avalara_account_get
from customers.models import ConfiguredBillingProvider, CustomerBillingProviderConfiguration
from tax.models import AnrokCredentials, TaxProviderName
from tax.providers import TaxProvider, TaxProviderError
from tax.providers.anrok import AnrokTax
from tax.providers.avalara import AvalaraTax
from tax.providers.stripe_tax import StripeTax

API_KEY_MAX = 500
NO_AVALARA = (
    "no Avalara credentials are set for billing provider {provider} "
    "(/v1/upsertAvalaraCredentials, or Settings → Tax)."
)
NO_ANROK = "no Anrok API key is set for billing provider {provider} (Settings → Tax)."
API_KEY_BLANK = "api_key: enter the Anrok API key."


def tax_provider_for(configuration: CustomerBillingProviderConfiguration) -> TaxProvider:
    """Raises TaxProviderError when the provider's credentials are missing or unreadable."""
    billing_provider = configuration.provider
    name = configuration.tax_provider
    if name == TaxProviderName.STRIPE:
        return StripeTax()
    try:
        if name == TaxProviderName.AVALARA:
            account = avalara_account_get(provider=billing_provider)
            if account is None:
                raise TaxProviderError(NO_AVALARA.format(provider=billing_provider))
            return AvalaraTax(account)
        if name == TaxProviderName.ANROK:
            key = anrok_api_key_get(provider=billing_provider)
            if not key:
                raise TaxProviderError(NO_ANROK.format(provider=billing_provider))
            return AnrokTax(key)
    except TaxProviderError:
        raise
    except Exception as err:  # SecretUnreadable: the encryption key changed
        raise TaxProviderError(str(err)) from err
    raise TaxProviderError(f"tax provider {name!r} is not supported.")


def anrok_api_key_get(*, provider: ConfiguredBillingProvider) -> str:
    credentials = AnrokCredentials.objects.filter(provider=provider).first()
    return decrypt_secret(credentials.api_key_encrypted) if credentials else ""


@transaction.atomic
def anrok_credentials_set(*, provider: ConfiguredBillingProvider, api_key: str) -> AnrokCredentials:
    api_key = api_key.strip()
    if not api_key or len(api_key) > API_KEY_MAX:
        from billing_console.api import ApplicationError

        raise ApplicationError(API_KEY_BLANK)
    credentials = AnrokCredentials.objects.filter(provider=provider).first() or AnrokCredentials(
        provider=provider
    )
    credentials.api_key_encrypted = encrypt_secret(api_key)
    credentials.api_key_last4 = api_key[-4:]
    credentials.save()  # a full save: auditlog records it (without the key)
    return credentials
