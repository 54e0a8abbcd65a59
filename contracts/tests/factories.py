"""A contract the console tests edit: the invoicing priced world plus a FIXED product (commits,
credits, charges), a SUBSCRIPTION product with a monthly seat rate, and helpers to read forms."""

import re
from html import unescape
from types import SimpleNamespace

from invoicing.tests.factories import JAN, priced_world
from pricing.services import product_create, rate_add

HTMX = {"HTTP_HX_REQUEST": "true"}


def console_world() -> SimpleNamespace:
    world = priced_world()
    seats = product_create(name="Seats", type="SUBSCRIPTION")
    rate_add(
        rate_card=world.rate_card, product=seats, starting_at=JAN, rate_type="SUBSCRIPTION",
        price=2500, billing_frequency="MONTHLY", is_prorated=True,
    )  # fmt: skip
    return SimpleNamespace(
        **vars(world), fixed=product_create(name="Prepaid commit", type="FIXED"), seats=seats
    )


def field_error(html: str, name: str) -> str | None:
    """The inline error shown beside the form field `name` (None when it has none)."""
    pattern = r'<div class="field has-error">(.*?)<div class="field-error" role="alert">(.*?)</div>'
    for body, error in re.findall(pattern, html, re.S):
        if f'name="{name}"' in body:
            return unescape(error.strip())
    return None
