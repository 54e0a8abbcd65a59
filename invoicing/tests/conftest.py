"""Invoicing test fixtures: a local fake Stripe that the real `stripe` library talks to."""

from collections.abc import Iterator

import pytest

from invoicing.tests import fake_stripe


@pytest.fixture
def fake(settings) -> Iterator[fake_stripe.FakeStripe]:
    stripe = fake_stripe.FakeStripe()
    server = fake_stripe.start(stripe)
    settings.STRIPE_API_BASE = stripe.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_PAYMENT_RETRY_HOURS = [24, 72]
    yield stripe
    server.shutdown()
    server.server_close()
