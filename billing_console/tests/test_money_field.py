"""MoneyField: amounts typed in major units ("$1,200.50"), cleaned to stored units (cents).

Which fields take sub-unit precision: unit prices only (rates, tiers; `sub_unit=True`), where
"$0.0003" a token is a real price. Amounts billed as they are (commits, charges, thresholds)
take the currency's own decimals: "12.345" dollars is refused, never rounded."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django import forms

from billing_console.forms import CreditTypeChoiceField, MoneyField

USD = SimpleNamespace(is_fiat=True, currency_code="USD", name="USD (cents)")
JPY = SimpleNamespace(is_fiat=True, currency_code="JPY", name="JPY (units)")
KWD = SimpleNamespace(is_fiat=True, currency_code="KWD", name="KWD (mills)")
GPU = SimpleNamespace(is_fiat=False, currency_code="", name="GPU hours")


def _field(credit_type=USD, **kwargs) -> MoneyField:
    return MoneyField(credit_type=credit_type, **kwargs)


@pytest.mark.parametrize(
    ("typed", "credit_type", "stored"),
    [
        ("$1,200.50", USD, "120050"),
        ("1200.5", USD, "120050"),
        ("25", USD, "2500"),
        ("$25.00", USD, "2500"),
        ("25 USD", USD, "2500"),
        ("USD 25", USD, "2500"),
        ("  $ 7.10 ", USD, "710"),
        (".5", USD, "50"),
        ("¥1,200", JPY, "1200"),
        ("KWD 1.234", KWD, "1234"),
        ("1,234.5", GPU, "1234.5"),  # a custom unit is not converted
        ("1,234.5 GPU hours", GPU, "1234.5"),
    ],
)
def test_it_reads_major_units_into_stored_units(typed, credit_type, stored):
    assert _field(credit_type).clean(typed) == Decimal(stored)


def test_sub_cent_prices_only_where_allowed():
    assert _field(sub_unit=True).clean("0.0003") == Decimal("0.03")
    assert _field(sub_unit=True).clean("$12.345") == Decimal("1234.5")
    with pytest.raises(forms.ValidationError, match="at most 2 decimal places"):
        _field().clean("12.345")
    with pytest.raises(forms.ValidationError, match="no decimal places"):
        _field(JPY).clean("1.5")
    with pytest.raises(forms.ValidationError, match="at most 3 decimal places"):
        _field(KWD).clean("1.2345")


def test_negative_where_allowed():
    assert _field(negative=True).clean("-$5.25") == Decimal("-525")
    assert _field(negative=True).clean("$-5.25") == Decimal("-525")
    assert _field(negative=True).clean("−5") == Decimal("-500")  # a typographic minus
    with pytest.raises(forms.ValidationError, match="must not be negative"):
        _field().clean("-5")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,5", "Use a point for decimals"),  # a European decimal comma is not read as 15
        ("1,20,000", "Use a point for decimals"),
        ("€5", "Enter an amount in USD"),  # another currency's symbol
        ("5 cents", "Enter an amount in USD"),
        ("abc", "Enter an amount in USD, e.g. $1,200.50."),
        ("1e3", "Enter an amount in USD"),
        ("$99999999999999", "too large"),
    ],
)
def test_it_refuses_what_is_not_an_amount(typed, message):
    with pytest.raises(forms.ValidationError, match=message.replace("$", r"\$")):
        _field().clean(typed)


def test_empty_is_none_or_required():
    assert _field(required=False).clean("") is None
    with pytest.raises(forms.ValidationError, match="required"):
        _field().clean("")


def test_without_a_credit_type_it_is_a_plain_number():
    assert _field(None).clean("0.05") == Decimal("0.05")
    assert _field(None).clean("1,000") == Decimal("1000")


def test_a_stored_initial_value_is_shown_in_major_units():
    class PriceForm(forms.Form):
        price = MoneyField(sub_unit=True)

    form = PriceForm(initial={"price": Decimal("2500.000000000000")})
    form.fields["price"].credit_type = USD
    assert 'value="25.00"' in str(form["price"])
    form = PriceForm(initial={"price": Decimal("0.03")})
    form.fields["price"].credit_type = USD
    assert 'value="0.0003"' in str(form["price"])
    assert 'inputmode="decimal"' in str(form["price"])
    bound = PriceForm({"price": "$1,2"})  # typed text comes back as typed, with the error
    bound.fields["price"].credit_type = USD
    assert not bound.is_valid() and 'value="$1,2"' in str(bound["price"])


def test_each_form_has_its_own_credit_type():
    class PriceForm(forms.Form):
        price = MoneyField()

    one, two = PriceForm({"price": "1"}), PriceForm({"price": "1"})
    one.fields["price"].credit_type, two.fields["price"].credit_type = USD, JPY
    assert one.is_valid() and two.is_valid()
    assert (one.cleaned_data["price"], two.cleaned_data["price"]) == (Decimal(100), Decimal(1))


def test_credit_type_choices_name_the_unit_people_read():
    field = CreditTypeChoiceField(queryset=None)
    assert field.label_from_instance(USD) == "USD"
    assert field.label_from_instance(GPU) == "GPU hours"
