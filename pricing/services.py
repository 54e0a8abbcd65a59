"""Pricing catalog writes: the public entry point other apps and tests import from. Every
function is atomic, validates first and writes nothing on error; auditlog records each change.

The code lives by concern: credit types and products in `pricing.products`, rate cards in
`pricing.rate_cards`, their rates in `pricing.rates`, and the reading of Metronome-shaped
bodies (references by id, a rate's fields, rate selectors) in `pricing.wire_input`."""

from pricing.products import (
    BEGINNING,
    CONVERSION_OPERATIONS,
    PRODUCT_FIELDS,
    ROUNDING_METHODS,
    credit_type_archive,
    credit_type_create,
    credit_type_get_default,
    product_archive,
    product_create,
    product_update,
)
from pricing.rate_cards import rate_card_archive, rate_card_create, rate_card_update
from pricing.rates import clean_tiers, rate_add, rate_update, rates_add_many
from pricing.wire_input import (
    BILLING_FREQUENCIES,
    credit_type_ref,
    find_by_public_id,
    product_ref,
    rate_input_from_wire,
    rate_selectors_from_wire,
)

__all__ = [
    "BEGINNING",
    "BILLING_FREQUENCIES",
    "CONVERSION_OPERATIONS",
    "PRODUCT_FIELDS",
    "ROUNDING_METHODS",
    "clean_tiers",
    "credit_type_archive",
    "credit_type_create",
    "credit_type_get_default",
    "credit_type_ref",
    "find_by_public_id",
    "product_archive",
    "product_create",
    "product_ref",
    "product_update",
    "rate_add",
    "rate_card_archive",
    "rate_card_create",
    "rate_card_update",
    "rate_input_from_wire",
    "rate_selectors_from_wire",
    "rate_update",
    "rates_add_many",
]
