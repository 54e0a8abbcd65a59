"""The customer overview: each figure on Acme's March 15 (reports/tests/overview_world.py), the
page and its fragments, a constant number of queries, and the balance arithmetic on its own."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing_console.templatetags.money import format_money
from contracts.models import Commit
from contracts.terms.customer_commits import customer_commit_create
from contracts.terms.ledger import commit_available_balance
from customers.services import customer_create
from pricing.models import CreditType
from pricing.services import credit_type_get_default
from reports.customer_overview import customer_overview
from reports.overview_balances import balance_series, sparkline
from reports.tests.overview_world import NOW, acme_world

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def usd(cents: int) -> str:
    """An amount in USD cents as the `money` filter shows it (USD 750.00, $750.00, ...)."""
    return format_money(D(cents), credit_type_get_default())


def ai(units: int) -> str:
    return format_money(D(units), CreditType.objects.get(name="AI credits"))


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(db, travel):
    return acme_world()


def _url(customer, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("reports:customer-overview", args=[customer.public_id]) + (
        f"?{query}" if query else ""
    )


def _text(html: str) -> str:
    """The fragment's text with tags dropped and spaces collapsed, as a reader sees it."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


# -- balance arithmetic (no database) -----------------------------------------------------------


def _segment(pk, amount, start, end):
    return SimpleNamespace(pk=pk, amount=D(amount), starting_at=start, ending_before=end)


def _entry(segment, amount, at):
    return SimpleNamespace(segment_id=segment.pk, amount=D(amount), timestamp=at)


def test_the_balance_steps_down_with_each_draw_and_ends_at_what_remains_now():
    year = _segment(1, 1000, T0, T0 + timedelta(days=365))
    entries = [_entry(year, 1000, T0), _entry(year, -150, T0 + timedelta(days=31)),
               _entry(year, -100, T0 + timedelta(days=59))]  # fmt: skip
    now = T0 + timedelta(days=73)
    assert [v for _t, v in balance_series([year], entries, now)] == [
        D(1000),
        D(850),
        D(750),
        D(750),
    ]
    spark = sparkline(balance_series([year], entries, now))
    assert spark.path == "M0.0 2.0H51.0V5.6H97.0V8.0H120.0"  # 1000 at the top, 750 at 3/4
    assert (spark.end_x, spark.end_y, spark.high) == ("120.0", "8.0", D(1000))


def test_an_ended_segment_drops_out_and_an_overdrawn_one_counts_as_zero():
    first = _segment(1, 500, T0, T0 + timedelta(days=10))
    second = _segment(2, 300, T0 + timedelta(days=10), T0 + timedelta(days=20))
    entries = [_entry(first, 500, T0), _entry(second, 300, T0 + timedelta(days=10)),
               _entry(second, -400, T0 + timedelta(days=12))]  # fmt: skip
    series = balance_series([first, second], entries, T0 + timedelta(days=15))
    assert [v for _t, v in series] == [D(500), D(300), D(0), D(0)]


def test_the_overview_counts_remaining_as_the_ledger_does(acme):
    rows = {row.commit.name: row for row in customer_overview(acme.world.customer).balances}
    for commit in Commit.objects.filter(customer=acme.world.customer):
        assert rows[commit.name].remaining == commit_available_balance(commit, at=NOW)


# -- the figures -------------------------------------------------------------------------------


def test_each_figure_of_acmes_march(acme):
    overview = customer_overview(acme.world.customer)
    codes = lambda figures: [(ct.currency_code, v) for ct, v in figures]  # noqa: E731
    this, last = overview.this_period, overview.last_period
    assert (this.period.start, this.period.end) == (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))  # fmt: skip
    assert codes(this.spend) == [("USD", D(10_000))]  # 4 calls x 2,500 cents, before the commit
    assert codes(this.invoiced) == [("USD", D(0))]  # all of it drawn from the commit
    assert codes(last.spend) == [("USD", D(15_000))] and codes(last.invoiced) == [("USD", D(0))]
    assert codes(overview.drafts) == [("USD", D(0))] and overview.draft_count == 1
    assert codes(overview.lifetime) == [("USD", D(100_000))]  # the commit purchase
    assert [(ct.name, v) for ct, v in overview.remaining] == [
        ("USD (cents)", D(80_000)),  # 75,000 on the commit + 5,000 welcome credit
        ("AI credits", D(5_000)),
    ]
    rows = [(r.commit.name, r.status, r.remaining, r.granted) for r in overview.balances]
    assert rows == [
        ("AI credit grant", "active", D(5_000), D(5_000)),
        ("Annual commit", "active", D(75_000), D(100_000)),
        ("Welcome credit", "active", D(5_000), D(5_000)),
        ("Trial credit", "expired", D(0), D(2_000)),
    ]
    assert [s.alert.name for s in overview.alerts] == ["Spend over $50"]


def test_without_a_contract_the_period_is_the_calendar_month(db, travel):
    overview = customer_overview(customer_create(name="Nobody", ingest_aliases=["nobody"]))
    assert overview.this_period.calendar
    assert overview.this_period.period.start == datetime(2026, 3, 1, tzinfo=UTC)
    assert overview.last_period.period.start == datetime(2026, 2, 1, tzinfo=UTC)
    assert overview.this_period.spend == [] and overview.balances == []


# -- the page and its fragments ----------------------------------------------------------------


def test_the_customer_page_loads_the_overview_at_its_top(client, fiona, acme):
    client.force_login(fiona)
    page = client.get(reverse("customers:customer-detail", args=[acme.world.customer.public_id]))
    html = page.content.decode()
    assert f'hx-get="{_url(acme.world.customer)}" hx-trigger="load"' in html
    assert html.index('id="customer-overview"') < html.index('id="customer-aliases"')


def test_finance_reads_this_months_spend_and_whats_left_on_the_commit(client, fiona, acme):
    client.force_login(fiona)
    response = client.get(_url(acme.world.customer), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="customer-overview"')
    text = _text(html)
    assert (
        f"Spend this period Mar 1 – Mar 31, 2026 {usd(10_000)} Usage charges, before commits"
        f" & credits Invoiced {usd(0)}"
    ) in text
    assert f"Spend last period Feb 1 – Feb 28, 2026 {usd(15_000)}" in text
    assert f"Left on commits & credits {usd(80_000)} {ai(5_000)}" in text
    assert f"Open drafts {usd(0)} 1 draft invoice" in text
    assert f"Lifetime billings {usd(100_000)}" in text
    assert f"Annual commit prepaid commit Acme 2026 {usd(75_000)} of {usd(100_000)}" in text
    assert f"Welcome credit credit Customer-level {usd(5_000)} of {usd(5_000)}" in text
    assert "1 expired" in text and "Trial credit" in text
    assert "Alerts in alarm 1 Spend over $50" in text
    assert f'href="/alerts/{acme.alert.public_id}/"' in html
    assert html.count('<svg class="spark"') == 4


def test_writers_get_the_quick_actions_and_read_only_users_do_not(client, fiona, bob, acme):
    customer = acme.world.customer
    client.force_login(fiona)
    html = client.get(_url(customer), HTTP_HX_REQUEST="true").content.decode()
    assert f'href="/contracts/new?customer={customer.public_id}">New contract' in html
    # The customer page's customer-level form (contracts.console.customer_commits).
    add = f'href="/customers/{customer.public_id}/#customer-commit-form">Add commit or credit'
    assert add in html
    assert f'href="/alerts/create?customer={customer.public_id}">New alert' in html
    client.force_login(bob)
    html = client.get(_url(customer), HTTP_HX_REQUEST="true").content.decode()
    assert "New contract" not in html and usd(75_000) in html


def test_new_alert_starts_with_the_customer_chosen(client, fiona, acme):
    client.force_login(fiona)
    customer = acme.world.customer
    html = client.get(
        reverse("alerts:alert-create"), {"customer": str(customer.public_id)}
    ).content.decode()
    assert f'<option value="{customer.public_id}" selected>' in html


def test_without_htmx_the_overview_is_a_page_of_its_own(client, bob, acme):
    client.force_login(bob)
    html = client.get(_url(acme.world.customer)).content.decode()
    assert "<html" in html and 'id="customer-overview"' in html and usd(75_000) in html


def test_the_chart_switches_between_spend_and_quantities(client, bob, acme):
    client.force_login(bob)
    customer = acme.world.customer

    def chart(**params) -> str:
        response = client.get(_url(customer, **params), HTTP_HX_REQUEST="true",
                              HTTP_HX_TARGET="overview-chart")  # fmt: skip
        html = response.content.decode()
        assert html.lstrip().startswith('<section class="card" id="overview-chart"'), html[:200]
        return html

    assert f"Calls {usd(10_000)}" in _text(chart(view="product", measure="spend"))
    assert "Calls 4" in _text(chart(view="product", measure="quantity"))
    per_day = chart(view="day", measure="spend")
    days = dict(re.findall(r'data-day="([\d-]+)">\s*<title>[^:]+: ([^<]+)</title>', per_day))
    assert len(days) == 15  # March 1 to 15, today included
    assert [days["2026-03-05"], days["2026-03-10"], days["2026-03-06"]] == [
        usd(5_000),
        usd(5_000),
        usd(0),
    ]
    quantities = chart(view="day", measure="quantity")
    assert re.search(r'data-day="2026-03-05">\s*<title>Mar 5, 2026: 2</title>', quantities)
    assert 'name="product"' in quantities


def test_the_overview_takes_the_same_queries_however_many_commits(client, bob, acme):
    customer = acme.world.customer
    client.force_login(bob)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(_url(customer), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for i in range(6):
        customer_commit_create(customer=customer, credit=True, data={
            "product_id": str(acme.commit.product.public_id), "priority": 20 + i,
            "name": f"Extra credit {i}", "access_schedule": {"schedule_items": [{
                "amount": 1_000, "starting_at": "2026-03-01T00:00:00Z",
                "ending_before": "2026-06-01T00:00:00Z"}]},
        })  # fmt: skip
    assert queries() == few <= 20
    assert len(customer_overview(customer).balances) == 10
