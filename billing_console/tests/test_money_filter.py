from decimal import Decimal
from types import SimpleNamespace

import pytest

from billing_console.templatetags.money import format_money

USD = SimpleNamespace(is_fiat=True, currency_code="USD", name="USD (cents)")
JPY = SimpleNamespace(is_fiat=True, currency_code="JPY", name="JPY (units)")
AI = SimpleNamespace(is_fiat=False, currency_code="", name="AI credits")


@pytest.mark.parametrize(
    ("amount", "credit_type", "shown"),
    [
        (Decimal("5050000"), USD, "USD 50,500.00"),
        (Decimal("1"), USD, "USD 0.01"),
        (Decimal("0.5"), USD, "USD 0.005"),
        (Decimal("-250"), USD, "USD -2.50"),
        (Decimal("1200"), JPY, "JPY 1,200"),
        (Decimal("12.5"), AI, "12.50 AI credits"),
        (None, USD, "—"),
    ],
)
def test_format_money(amount, credit_type, shown):
    assert format_money(amount, credit_type) == shown
