"""Fixtures for Stripe tests: a running fake Stripe (the real library pointed at it) and a
priced world whose contract is billed through a configured Stripe account."""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from contracts.terms.billing_provider import contract_billing_configuration_set
from customers.billing_providers import billing_provider_set_up, customer_billing_configuration_set
from customers.models import ConfiguredBillingProvider, CustomerBillingProviderConfiguration
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh
from invoicing.tests import fake_stripe
from invoicing.tests.factories import FEB, JAN, World, priced_world, send_calls

STRIPE_KEY = "sk_test_51FakeKeyForTests0001"
WEBHOOK_SECRET = "whsec_testsecret0001"


@dataclass
class StripeWorld:
    world: World
    entity: ConfiguredBillingProvider
    configuration: CustomerBillingProviderConfiguration

    @property
    def contract(self):
        return self.world.contract

    def january_invoice(self, calls: int = 10) -> Invoice:
        """The January usage statement with `calls` calls at 5 cents: a 50-cent draft."""
        send_calls(calls, JAN + timedelta(days=3))
        contract_invoices_refresh(contract=self.contract, through=FEB + timedelta(hours=1))
        return Invoice.objects.get(contract=self.contract, type="USAGE", period_start=JAN)


def stripe_world(
    fake: fake_stripe.FakeStripe,
    *,
    world: World | None = None,
    entity: dict[str, Any] | None = None,
    **config: Any,
) -> StripeWorld:
    world = world or priced_world()
    provider = billing_provider_set_up(data={
        "billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
        "configuration": {"name": "US entity", "stripe_secret_key": STRIPE_KEY,
                          "stripe_webhook_secret": WEBHOOK_SECRET, **(entity or {})},
    })  # fmt: skip
    tax = config.pop("tax_provider", None)
    data: dict[str, Any] = {
        "billing_provider": "stripe",
        "delivery_method_id": str(provider.public_id),
        "configuration": {"stripe_customer_id": "cus_acme", **config},
    }
    if tax:
        data["tax_provider"] = tax
    configuration = customer_billing_configuration_set(customer=world.customer, data=data)
    contract_billing_configuration_set(contract=world.contract, configuration=configuration)
    world.contract.refresh_from_db()
    fake.add_customer("cus_acme")
    return StripeWorld(world, provider, configuration)


def signed(payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """The body and Stripe-Signature header, computed as Stripe computes them."""
    body = json.dumps(payload).encode()
    timestamp = int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return body, f"t={timestamp},v1={signature}"


def invoice_event(event_id: str, event_type: str, stripe_invoice: dict[str, Any]) -> dict:
    return {
        "id": event_id, "object": "event", "type": event_type, "api_version": "2026-10-28.endive",
        "created": int(time.time()), "livemode": False,
        "data": {"object": stripe_invoice},
    }  # fmt: skip
