"""Currency menus list each credit type once, as people name it: the empty choice is USD (the
default), so USD is not listed again, and nothing says "(cents)"."""

import re
from collections import Counter

import pytest
from django.urls import reverse

from billing_console.forms import CreditTypeChoiceField
from pricing.models import USD_CENTS_ID, CreditType
from pricing.products import credit_type_create


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select[1])]


@pytest.mark.parametrize(
    ("url", "name"),
    [("alerts:alert-create", "credit_type"), ("pricing:rate-card-list", "fiat_credit_type")],
)
def test_each_credit_type_once_by_the_name_people_use(client, alice, url, name):
    credit_type_create(name="GPU hours")
    client.force_login(alice)
    labels = _options(client.get(reverse(url)).content.decode(), name)
    assert labels[0] == "USD (default)" and "USD" not in labels
    assert [label for label, n in Counter(labels).items() if n > 1] == []
    assert "EUR" in labels and not any("(cents)" in label for label in labels)
    assert ("GPU hours" in labels) is (name == "credit_type")  # rate cards: fiat only


def test_the_default_shown_selects_the_empty_choice_and_still_cleans(db):
    field = CreditTypeChoiceField(
        queryset=CreditType.objects.all(), to_field_name="public_id", required=False,
        empty_label="USD (default)", default=USD_CENTS_ID,
    )  # fmt: skip
    usd = CreditType.objects.get(public_id=USD_CENTS_ID)
    assert field.prepare_value(usd) == "" and field.prepare_value(str(USD_CENTS_ID)) == ""
    assert field.clean(str(USD_CENTS_ID)) == usd and field.clean("") is None
    eur = CreditType.objects.get(currency_code="EUR")
    assert field.prepare_value(eur) == eur.public_id
