"""Remembered list filters say so: "Filters applied: status = Draft, customer = “Acme” · Reset",
and Reset forgets them (billing_console/preferences.py, the filters_applied_line tag)."""

import pytest
from django.urls import reverse

from billing_console.models import ConsolePreference

LINE = '<p class="filters-applied" role="status">'


def test_invoices_remembered_filters_are_shown_and_reset_forgets_them(client, fiona):
    client.force_login(fiona)
    url = reverse("invoicing:invoice-list")
    assert LINE not in client.get(url).content.decode()
    client.get(url, {"status": "DRAFT", "q": "Acme"})
    html = client.get(url).content.decode()  # nothing asked: the remembered filters apply
    assert LINE in html and "status = Draft" in html and "customer = “Acme”" in html
    assert f'<a href="{url}?reset=1" hx-boost="false">Reset</a>' in html
    fragment = client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="invoice-table")
    assert LINE in fragment.content.decode()  # the line is in the table htmx swaps
    assert LINE not in client.get(url, {"reset": "1"}).content.decode()
    assert not ConsolePreference.objects.filter(user=fiona, page="invoice-list").exists()
    assert LINE not in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("url", "query", "shown"),
    [
        ("pricing:product-list", {"status": "archived"}, "status = Archived"),
        ("usage:metric-list", {"q": "calls"}, "search = “calls”"),
        ("alerts:alert-list", {"status": "all"}, "status = All"),
        ("customers:customer-list", {"status": "active"}, None),  # the default: nothing to say
    ],
)
def test_other_lists_say_which_filters_apply(client, alice, url, query, shown):
    client.force_login(alice)
    client.get(reverse(url), query)
    html = client.get(reverse(url)).content.decode()
    assert (LINE in html) is (shown is not None)
    if shown:
        assert shown in html
