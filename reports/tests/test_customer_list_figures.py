"""The customers list's billing columns (reports/customer_spend.py through customers'
list_figures hook): spend this period and open drafts to the cent, sorting, query count."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import Contract
from customers.services import customer_create
from invoicing.models import Invoice
from pricing.models import CreditType
from pricing.services import credit_type_get_default
from reports.customer_overview import customer_overview

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)
JAN, FEB, MAR, APR = (datetime(2026, m, 1, tzinfo=UTC) for m in (1, 2, 3, 4))
URL = reverse("customers:customer-list")


def _contract(customer, start=JAN, end=None) -> Contract:
    return Contract.objects.create(
        customer=customer, name=f"{customer.name} deal", starting_at=start, ending_before=end,
        usage_statement_anchor=JAN,
    )  # fmt: skip


def _invoice(
    contract, start, end, subtotal, total=None, *, status="DRAFT", type="USAGE", unit=None
):
    return Invoice.objects.create(
        customer=contract.customer, contract=contract, credit_type=unit or credit_type_get_default(),
        type=type, status=status, period_start=start, period_end=end, issued_at=end,
        subtotal=D(subtotal), total=D(subtotal if total is None else total),
    )  # fmt: skip


@pytest.fixture
def book(db):
    """On March 15: Acme (USD, monthly), Globex (EUR), Umbrella (JPY), Initech (its contract
    ended March 10: the calendar month counts) and Hooli (nothing billed yet)."""
    usd = credit_type_get_default()
    eur, jpy = CreditType.objects.get(currency_code="EUR"), CreditType.objects.get(currency_code="JPY")  # fmt: skip
    acme = customer_create(name="Acme")
    deal = _contract(acme)
    _invoice(deal, FEB, MAR, "15000", status="FINALIZED")  # last period: not this one's spend
    _invoice(deal, MAR, APR, "10050", "2550")  # $100.50 of usage, $75.00 of it paid by a commit
    _invoice(deal, MAR, APR, "99999", status="VOID", type="SCHEDULED")  # void: never counted
    _invoice(deal, MAR, MAR, "100000", type="SCHEDULED")  # a $1,000.00 commit purchase, draft
    globex = customer_create(name="Globex")
    _invoice(_contract(globex), MAR, APR, "123456", unit=eur)  # €1,234.56
    umbrella = customer_create(name="Umbrella")
    _invoice(_contract(umbrella), MAR, APR, "5000", unit=jpy)  # ¥5,000: 5,000 in major units
    initech = customer_create(name="Initech")
    ended = _contract(initech, end=datetime(2026, 3, 10, tzinfo=UTC))
    _invoice(ended, FEB, MAR, "4000", status="FINALIZED")
    _invoice(ended, MAR, datetime(2026, 3, 10, tzinfo=UTC), "777", status="FINALIZED")
    hooli = customer_create(name="Hooli")
    _contract(hooli)
    for days, customer in enumerate((acme, globex, umbrella, initech, hooli)):
        type(customer).objects.filter(pk=customer.pk).update(created_at=JAN + timedelta(days))
    return SimpleNamespace(usd=usd, acme=acme, globex=globex, initech=initech, hooli=hooli)


@pytest.fixture
def signed_in(client, fiona):
    client.force_login(fiona)
    with time_machine.travel(NOW, tick=False):
        yield client


def _rows(html: str) -> list[list[str]]:
    """Name, spend this period, open drafts, per row of the table."""
    rows = re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>(.*?)</tr>", html, re.S)
    out = []
    for name, rest in rows:
        cells = re.findall(r'<td class="num" data-label="[^"]+">(.*?)</td>', rest, re.S)
        clean = [re.sub(r"<[^>]+>", " ", c).split() for c in cells]
        out.append([name, " ".join(clean[0]), " ".join(clean[1])])
    return out


def test_spend_this_period_and_open_drafts_to_the_cent(signed_in, book):
    rows = _rows(signed_in.get(URL, {"sort": "name"}).content.decode())
    assert rows == [
        ["Acme", "$100.50", "$1,025.50"],
        ["Globex", "€1,234.56", "€1,234.56"],
        ["Hooli", "—", "—"],
        ["Initech", "$7.77", "—"],
        ["Umbrella", "¥5,000", "¥5,000"],
    ]


def test_spend_is_the_overviews(signed_in, book):
    for customer in (book.acme, book.initech):
        overview = customer_overview(customer, now=NOW)
        page = signed_in.get(URL, {"q": customer.name})
        listed = page.context["page"][0].figures
        assert listed["spend"] == overview.this_period.spend
        assert listed["drafts"] == overview.drafts


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-spend", ["Umbrella", "Globex", "Acme", "Initech", "Hooli"]),  # in major units
        ("spend", ["Hooli", "Initech", "Acme", "Globex", "Umbrella"]),
        ("-drafts", ["Umbrella", "Globex", "Acme", "Hooli", "Initech"]),
        ("name", ["Acme", "Globex", "Hooli", "Initech", "Umbrella"]),
        ("-name", ["Umbrella", "Initech", "Hooli", "Globex", "Acme"]),
        ("-created", ["Hooli", "Initech", "Umbrella", "Globex", "Acme"]),
        ("nonsense", ["Hooli", "Initech", "Umbrella", "Globex", "Acme"]),  # the default
    ],
)
def test_sort(signed_in, book, sort, expected):
    response = signed_in.get(URL, {"sort": sort})
    assert [c.name for c in response.context["page"]] == expected


def test_sort_links_flip_and_keep_the_filters(signed_in, book):
    html = signed_in.get(URL, {"sort": "-spend", "q": "a"}).content.decode()
    spend = re.search(r'<th class="num" aria-sort="(\w+)"[^>]*><a [^>]*href="([^"]+)"', html)
    assert spend is not None and spend.groups() == ("descending", "?sort=spend&amp;q=a")
    assert 'href="?sort=-drafts&amp;q=a"' in html and 'href="?sort=name&amp;q=a"' in html
    assert '<input type="hidden" name="sort" value="-spend" form="customer-filters">' in html


def _queries(client, sort: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, {"sort": sort}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("sort", ["-spend", "-drafts", "name"])
def test_query_count_does_not_grow_with_the_customers(
    signed_in, book, sort, django_assert_max_num_queries
):
    few = _queries(signed_in, sort)
    for i in range(20):
        deal = _contract(customer_create(name=f"Bulk {i}"))
        _invoice(deal, MAR, APR, str(100 + i))
    with django_assert_max_num_queries(few):
        signed_in.get(URL, {"sort": sort})
    assert few <= 12


def test_the_list_says_which_filters_apply_and_reset_forgets_them(signed_in, book):
    signed_in.get(URL, {"q": "glob", "status": "all"})
    html = signed_in.get(URL).content.decode()  # the remembered filters apply...
    assert "Filters applied: <span" in html and "search = “glob”" in html and "status = All" in html  # fmt: skip
    assert '<a href="/customers/?reset=1"' in html
    reset = signed_in.get(URL, {"reset": "1"})
    assert [c.name for c in reset.context["page"]] == ["Hooli", "Initech", "Umbrella", "Globex", "Acme"]  # fmt: skip
    assert "Filters applied" not in signed_in.get(URL).content.decode()  # ...until reset


def test_one_day_later_in_april_the_period_moves_on(client, fiona, book):
    client.force_login(fiona)
    with time_machine.travel(APR + timedelta(hours=1), tick=False):
        rows = _rows(client.get(URL, {"sort": "name"}).content.decode())
    assert rows[0] == ["Acme", "—", "$1,025.50"]  # no April statement yet; drafts stay open
