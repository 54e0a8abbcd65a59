"""The one seam to Stripe: a `stripe.StripeClient` for a configured Stripe account (entity).

Several Stripe accounts can be set up; each call uses the API key of the account that the
contract's billing configuration names. STRIPE_API_BASE points the real library elsewhere
(tests run a local fake Stripe); empty means Stripe itself.
"""

from typing import Any

import stripe
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from billing_console.encryption import SecretUnreadable
from customers.models import BillingProvider, ConfiguredBillingProvider

# Network faults and Stripe's 5xx/429: retried (the tasks' autoretry_for, with backoff).
STRIPE_TRANSIENT = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)
# Recorded on the external invoice (shown on the invoice's page) when the account's API key was
# encrypted with a key no longer in SECRETS_ENCRYPTION_KEYS. The invoice keeps its place: the
# providers sweep tries again, and the sync resumes once the key is entered again.
STRIPE_KEY_UNREADABLE = (
    "This Stripe account's API key can no longer be decrypted (SECRETS_ENCRYPTION_KEYS "
    "changed); enter it again in Settings, Billing providers. The sync resumes then."
)


def stripe_client(provider: ConfiguredBillingProvider) -> stripe.StripeClient:
    """Raises billing_console.encryption.SecretUnreadable when the API key cannot be read."""
    if provider.billing_provider != BillingProvider.STRIPE or not provider.secret_key:
        raise ValueError(f"{provider} is not a Stripe account with an API key")
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        provider.secret_key,
        base_addresses={"api": base} if base else None,
        # The library retries connection errors and 5xx with the same idempotency key.
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def stripe_options(key: str) -> dict[str, str]:
    """Request options with an idempotency key derived from our rows (Zulip)."""
    return {"idempotency_key": key}


def as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object (not dict-like since stripe 13) or a webhook's JSON, as a plain dict."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def failure_reason(error: Exception) -> str:
    """What finance reads of a Stripe call that failed: Stripe's message, the unreadable key,
    or the defect's type (details in the log)."""
    from invoicing.failures import describe

    if isinstance(error, SecretUnreadable):
        return STRIPE_KEY_UNREADABLE
    if isinstance(error, stripe.StripeError):
        return error.user_message or str(error)
    return describe(error)


def failure_record(rows: QuerySet, prefix: str, error: Exception) -> None:
    """After a Stripe step failed for any reason but a refusal: the reason goes on `rows`
    (their `error`, after `prefix`), where finance sees it and the sweeps find it again; an
    outage is raised again for the task's retries."""
    rows.update(error=prefix + failure_reason(error), updated_at=timezone.now())
    if isinstance(error, STRIPE_TRANSIENT):
        raise error
