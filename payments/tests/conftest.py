"""Payments tests reuse invoicing's local fake Stripe (the real `stripe` library talks to it)."""

from invoicing.tests.conftest import fake  # noqa: F401 (the fixture)
