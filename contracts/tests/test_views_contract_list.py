"""The contracts list: status on the boundary instants, each filter, search, counts, htmx."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse

from contracts.console.contract_list import contract_status
from contracts.models import Contract
from customers.services import customer_create
from pricing.models import Package
from pricing.services import rate_card_create

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
DAY = timedelta(days=1)
URL = reverse("contracts:contract-list")


def _unsaved(start: datetime, end: datetime | None = None, archived: bool = False):
    return SimpleNamespace(
        starting_at=start, ending_before=end, archived_at=NOW if archived else None
    )


@pytest.mark.parametrize(
    ("start", "end", "archived", "expected"),
    [
        (NOW, None, False, "active"),  # starting_at is inclusive: active from that instant
        (NOW + timedelta(microseconds=1), None, False, "upcoming"),
        (NOW - DAY, NOW, False, "ended"),  # ending_before is exclusive: ended at that instant
        (NOW - DAY, NOW + timedelta(microseconds=1), False, "ending_soon"),
        (NOW - DAY, NOW + 30 * DAY, False, "ending_soon"),  # within 30 days, boundary included
        (NOW - DAY, NOW + 30 * DAY + timedelta(microseconds=1), False, "active"),
        (NOW + DAY, NOW + 2 * DAY, False, "upcoming"),  # upcoming wins over ending soon
        (NOW - 9 * DAY, NOW - DAY, True, "archived"),  # archived wins over everything
    ],
)
def test_status_on_the_boundaries(start, end, archived, expected):
    assert contract_status(_unsaved(start, end, archived), NOW) == expected


@pytest.fixture
def book(db):
    """Six contracts, one per status (two active), at NOW."""
    acme, globex = customer_create(name="Acme"), customer_create(name="Globex")
    standard, enterprise = rate_card_create(name="Standard"), rate_card_create(name="Enterprise")
    pilot_package = Package.objects.create(name="Pilot package", rate_card=standard)

    def make(name, customer, start, end=None, card=standard, package=None, archived=False):
        return Contract.objects.create(
            name=name, customer=customer, rate_card=card, package=package, starting_at=start,
            ending_before=end, usage_statement_anchor=start, archived_at=NOW if archived else None,
        )  # fmt: skip

    return SimpleNamespace(
        acme=acme, globex=globex, enterprise=enterprise, pilot_package=pilot_package,
        active=make("Acme 2026", acme, NOW - 90 * DAY, NOW + 200 * DAY),
        open_ended=make("Globex main", globex, NOW - 90 * DAY, card=enterprise),
        upcoming=make("Acme 2027", acme, NOW + 10 * DAY, NOW + 375 * DAY),
        soon=make("Globex renewal", globex, NOW - 300 * DAY, NOW + 20 * DAY),
        later=make("Acme pilot 2", acme, NOW - 30 * DAY, NOW + 45 * DAY, package=pilot_package),
        ended=make("Acme pilot", acme, NOW - 60 * DAY, NOW - DAY, package=pilot_package),
        archived=make("Old deal", globex, NOW - 400 * DAY, archived=True),
    )  # fmt: skip


def _names(response) -> list[str]:
    return sorted(c.name for c in response.context["contracts"])


@pytest.fixture
def signed_in(client, fiona):
    client.force_login(fiona)
    with time_machine.travel(NOW, tick=False):
        yield client


def test_each_row_shows_its_status_and_the_counts_per_status(signed_in, book):
    response = signed_in.get(URL)
    statuses = {c.name: c.status for c in response.context["contracts"]}
    assert statuses == {
        "Acme 2026": "active", "Globex main": "active", "Acme 2027": "upcoming",
        "Globex renewal": "ending_soon", "Acme pilot 2": "active", "Acme pilot": "ended",
        "Old deal": "archived",
    }  # fmt: skip
    tabs = {value: count for value, _label, count in response.context["status_tabs"]}
    assert tabs == {"": 7, "active": 3, "upcoming": 1, "ending_soon": 1, "ended": 1, "archived": 1}
    html = response.content.decode()
    assert '<span class="badge contract-ended">ended</span>' in html
    assert '<span class="badge contract-ending_soon">ending soon</span>' in html
    assert '<span class="muted">· in 20 days</span>' in html  # Globex renewal


def test_contracts_ending_soon_are_listed_by_end_date(signed_in, book):
    response = signed_in.get(URL, {"ending_within": "90"})
    assert [c.name for c in response.context["contracts"]] == ["Globex renewal", "Acme pilot 2"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "active"}, ["Acme 2026", "Acme pilot 2", "Globex main"]),
        ({"status": "ended"}, ["Acme pilot"]),
        ({"status": "ending_soon"}, ["Globex renewal"]),
        ({"status": "upcoming"}, ["Acme 2027"]),
        ({"status": "archived"}, ["Old deal"]),
        ({"ending_within": "30"}, ["Globex renewal"]),
        ({"ending_within": "60"}, ["Acme pilot 2", "Globex renewal"]),
        ({"ending_within": "90"}, ["Acme pilot 2", "Globex renewal"]),
        ({"q": "pilot"}, ["Acme pilot", "Acme pilot 2"]),  # contract name
        ({"q": "globex"}, ["Globex main", "Globex renewal", "Old deal"]),  # customer name
    ],
)
def test_filters_and_search(signed_in, book, query, expected):
    assert _names(signed_in.get(URL, query)) == expected


def test_filters_by_customer_package_rate_card_and_id(signed_in, book):
    by = lambda **q: _names(signed_in.get(URL, q))  # noqa: E731
    assert by(customer=str(book.globex.public_id)) == ["Globex main", "Globex renewal", "Old deal"]
    assert by(package=str(book.pilot_package.public_id)) == ["Acme pilot", "Acme pilot 2"]
    assert by(rate_card=str(book.enterprise.public_id)) == ["Globex main"]
    assert by(q=str(book.soon.public_id)) == ["Globex renewal"]
    assert by(customer=str(book.acme.public_id), status="active") == ["Acme 2026", "Acme pilot 2"]


def test_counts_follow_the_other_filters(signed_in, book):
    response = signed_in.get(URL, {"customer": str(book.acme.public_id), "status": "ended"})
    tabs = {value: count for value, _label, count in response.context["status_tabs"]}
    assert tabs == {"": 4, "active": 2, "upcoming": 1, "ending_soon": 0, "ended": 1, "archived": 0}
    assert _names(response) == ["Acme pilot"]


def test_a_filter_of_nothing_shows_nothing_and_says_why(signed_in, book):
    response = signed_in.get(URL, {"customer": "not-an-id", "ending_within": "7"})
    assert response.status_code == 200 and _names(response) == []
    assert "Nothing is shown for this filter." in response.content.decode()


def test_htmx_gets_the_table_alone_and_plain_get_the_page(signed_in, book):
    fragment = signed_in.get(
        URL, {"ending_within": "30"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="contract-table"
    )
    html = fragment.content.decode()
    assert "<html" not in html and 'id="contract-table"' in html and "Globex renewal" in html
    page = signed_in.get(URL, {"ending_within": "30"}).content.decode()
    assert "<html" in page and "Acme 2026" not in page
    assert '<option value="30" selected>Ending within 30 days</option>' in page


def test_pages_keep_the_filters(signed_in, book):
    for i in range(51):
        Contract.objects.create(
            name=f"Bulk {i}", customer=book.acme, starting_at=NOW - DAY,
            usage_statement_anchor=NOW - DAY,
        )  # fmt: skip
    response = signed_in.get(URL, {"q": "bulk"})
    assert len(response.context["contracts"]) == 50
    assert 'href="?q=bulk&amp;page=2"' in response.content.decode()
    assert len(signed_in.get(URL, {"q": "bulk", "page": "2"}).context["contracts"]) == 1
