"""The one display rule for money: `{{ amount|money:credit_type }}` (and `format_money`), pure."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template

from billing_console.lib.money_text import major_text, shown_terms, unit_label
from billing_console.templatetags.money import format_money

USD = SimpleNamespace(is_fiat=True, currency_code="USD", name="USD (cents)")
EUR = SimpleNamespace(is_fiat=True, currency_code="EUR", name="EUR (cents)")
JPY = SimpleNamespace(is_fiat=True, currency_code="JPY", name="JPY (units)")
KWD = SimpleNamespace(is_fiat=True, currency_code="KWD", name="KWD (mills)")
CHF = SimpleNamespace(is_fiat=True, currency_code="CHF", name="CHF (cents)")
CAD = SimpleNamespace(is_fiat=True, currency_code="CAD", name="CAD (cents)")
GPU = SimpleNamespace(is_fiat=False, currency_code="", name="GPU hours")


@pytest.mark.parametrize(
    ("amount", "credit_type", "shown"),
    [
        # 2 decimals: stored in cents, shown in dollars with the symbol and grouping
        (Decimal("5050000"), USD, "$50,500.00"),
        (Decimal("2500.000000000000"), USD, "$25.00"),  # a RateField's trailing zeros
        (Decimal("1"), USD, "$0.01"),
        (Decimal("0"), USD, "$0.00"),
        (Decimal("-250"), USD, "-$2.50"),
        (Decimal("120000"), EUR, "€1,200.00"),
        (Decimal("2500"), CHF, "CHF 25.00"),  # no symbol everyone reads alike: the code
        (Decimal("2500"), CAD, "CA$25.00"),  # "$" alone is only ever USD
        # sub-cent prices and unrounded amounts: every significant digit, never rounded
        (Decimal("0.03"), USD, "$0.0003"),
        (Decimal("0.035"), USD, "$0.00035"),
        (Decimal("0.5"), USD, "$0.005"),
        (Decimal("1234.5678"), USD, "$12.345678"),
        # 0 decimals: the yen is its own minor unit
        (Decimal("1200"), JPY, "¥1,200"),
        (Decimal("1200.5"), JPY, "¥1,200.5"),
        # 3 decimals: fils, a thousand to the dinar
        (Decimal("1234"), KWD, "KWD 1.234"),
        (Decimal("1234567"), KWD, "KWD 1,234.567"),
        (Decimal("-5"), KWD, "-KWD 0.005"),
        # custom units: their own name, not converted, at least 2 decimals
        (Decimal("1234.5"), GPU, "1,234.50 GPU hours"),
        (Decimal("12"), GPU, "12.00 GPU hours"),
        (Decimal("0.125"), GPU, "0.125 GPU hours"),
        # strings and ints as stored in JSON; nothing to show
        ("2500", USD, "$25.00"),
        (2500, USD, "$25.00"),
        (None, USD, "—"),
        ("", USD, "—"),
    ],
)
def test_format_money(amount, credit_type, shown):
    assert format_money(amount, credit_type) == shown


def test_the_filter_and_the_unit_in_a_template():
    template = Template("{% load money %}{{ amount|money:ct }} in {{ ct|money_unit }}")
    html = template.render(Context({"amount": Decimal("2500"), "ct": USD}))
    assert html == "$25.00 in USD"
    assert Template("{% load money %}{{ ct|money_unit }}").render(Context({"ct": GPU})) == (
        "GPU hours"
    )


def test_no_amount_or_unit_says_cents():
    for credit_type in (USD, EUR, JPY, KWD):
        assert "cents" not in format_money(Decimal("12345"), credit_type)
        assert "(" not in unit_label(credit_type)
    assert unit_label(None) == ""


@pytest.mark.parametrize(
    ("amount", "credit_type", "text"),
    [
        (Decimal("2500.000000000000"), USD, "25.00"),
        (Decimal("0.03"), USD, "0.0003"),
        (Decimal("1200"), JPY, "1200"),
        (Decimal("1234"), KWD, "1.234"),
        (Decimal("12.5"), GPU, "12.5"),
        (None, USD, ""),
    ],
)
def test_major_text_is_what_a_form_input_shows(amount, credit_type, text):
    assert major_text(amount, credit_type) == text


def test_terms_show_their_amounts_in_their_unit():
    terms = {
        "commits": [{"access_schedule": {"schedule_items": [{"amount": 1200000, "quantity": 3}]}}],
        "custom": {"credit_type_id": "gpu", "amount": 5},
        "overwrite_rate": {"rate_type": "PERCENTAGE", "price": "0.05"},
        "multiplier": 0.9,
    }
    shown = shown_terms(terms, USD, {"gpu": GPU})
    assert shown["commits"][0]["access_schedule"]["schedule_items"][0] == {
        "amount": "$12,000.00",
        "quantity": 3,
    }
    assert shown["custom"]["amount"] == "5.00 GPU hours"
    assert shown["overwrite_rate"]["price"] == "0.05"  # a fraction, not money
    assert shown["multiplier"] == 0.9
