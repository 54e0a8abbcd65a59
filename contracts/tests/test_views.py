"""The deal-desk contract page: edits through htmx forms, inline errors, archive, history, roles."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing_console.lib.periods import Period
from contracts.console.forms import preset_start
from contracts.edits import contract_edit
from contracts.models import Commit, Contract, Override, ScheduledChargeItem
from contracts.tests.factories import field_error
from invoicing.services import (
    contract_scheduled_invoices_sync,
    invoice_compute_usage,
    invoice_finalize,
)
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from pricing.packages import package_create
from pricing.services import product_create

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(db):
    world = priced_world()
    world.fixed = product_create(name="Prepaid commit", type="FIXED")
    return world


def _url(name: str, world, *args) -> str:
    return reverse(f"contracts:{name}", args=[world.contract.public_id, *args])


def test_page_shows_edit_forms_to_deal_desk_only(client, dave, bob, world):
    client.force_login(dave)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert 'id="commit-form"' in page  # the add forms in a closed <details> load when it opens
    assert "?form=override-form" in page and "?form=charge-form" in page
    override = client.get(_url("contract-detail", world), {"form": "override-form"})
    assert 'id="override-form"' in override.content.decode()
    assert "Amount (USD)" in page
    client.force_login(bob)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert 'id="override-form"' not in page and "?form=override-form" not in page
    assert client.get(_url("contract-detail", world), {"form": "override-form"}).status_code == 403
    response = client.post(_url("contract-add-override", world), {"type": "MULTIPLIER"})
    assert response.status_code == 403


def test_commit_error_inline_then_fixed_in_dollars(client, dave, world):
    client.force_login(dave)
    data = {"kind": "PREPAID", "name": "Annual", "product": str(world.fixed.public_id), "amount": "1000",
            "starting_at": "2026-03-01", "ending_before": "2026-02-01"}  # fmt: skip
    response = client.post(_url("contract-add-commit", world), data, **HTMX)
    assert response.status_code == 422
    assert "Must be after the start date." in response.content.decode()
    assert not Commit.objects.exists()
    data["ending_before"] = "2027-03-01"
    response = client.post(_url("contract-add-commit", world), data, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    commit = Commit.objects.get()
    assert commit.segments.get().amount == Decimal("100000")  # $1,000.00 in cents
    assert commit.invoice_items.get().amount == Decimal("100000")


def test_commit_added_without_a_purchase_invoice(client, dave, world):
    """do_not_invoice from the console: the balance is usable, no purchase invoice is issued,
    and the contract page says so; a credit or postpaid commit cannot ask for it."""
    client.force_login(dave)
    data = {"kind": "PREPAID", "name": "Prepaid elsewhere", "product": str(world.fixed.public_id),
            "amount": "500", "starting_at": "2026-01-01", "ending_before": "2027-01-01",
            "do_not_invoice": "on"}  # fmt: skip
    response = client.post(_url("contract-add-commit", world), data, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    commit = Commit.objects.get()
    assert commit.do_not_invoice and commit.segments.get().amount == Decimal("50000")
    invoices = contract_scheduled_invoices_sync(contract=world.contract)
    assert invoices == []  # no purchase invoice for it
    page = client.get(_url("contract-detail", world)).content.decode()
    assert "not invoiced" in page
    response = client.post(_url("contract-add-commit", world), {**data, "kind": "CREDIT"}, **HTMX)
    assert response.status_code == 422
    assert "Only a prepaid commit is invoiced." in response.content.decode()
    assert Commit.objects.count() == 1


def test_override_added_removed_and_recorded_with_its_author(client, dave, world):
    client.force_login(dave)
    data = {
        "type": "MULTIPLIER",
        "product": str(world.product.public_id),
        "multiplier": "0.9",
        "starting_at": "2026-01-01",
    }
    assert client.post(_url("contract-add-override", world), data, **HTMX).status_code == 200
    override = Override.objects.get()
    assert override.multiplier == Decimal("0.9")
    client.post(_url("contract-archive-item", world, "override", override.public_id))
    assert Override.objects.get().archived_at is not None
    page = client.get(_url("contract-detail", world)).content.decode()
    assert "add_overrides" in page and "remove_overrides" in page and "dave" in page


def test_override_form_errors_inline(client, dave, world):
    client.force_login(dave)
    response = client.post(
        _url("contract-add-override", world),
        {"type": "MULTIPLIER", "starting_at": "2026-01-01"},
        **HTMX,
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert (
        "A multiplier override needs a multiplier." in body
        and "Choose a product or give tags." in body
    )
    assert not Override.objects.exists()


def test_monthly_charge_in_dollars(client, dave, world):
    client.force_login(dave)
    data = {
        "product": str(world.fixed.public_id),
        "name": "Platform fee",
        "amount": "500",
        "first_date": "2026-01-01",
        "months": "3",
    }
    assert client.post(_url("contract-add-charge", world), data, **HTMX).status_code == 200
    items = ScheduledChargeItem.objects.order_by("timestamp")
    assert [(i.timestamp.month, i.amount) for i in items] == [(1, Decimal("50000"))] * 1 + [
        (2, Decimal("50000")),
        (3, Decimal("50000")),
    ]


def test_end_date_before_a_finalized_invoice_needs_confirmation(client, dave, world):
    invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    client.force_login(dave)
    data = {"name": "Renamed", "ending_before": "2026-01-15"}
    response = client.post(_url("contract-update-terms", world), data, **HTMX)
    assert response.status_code == 422 and "finalized invoice" in response.content.decode()
    world.contract.refresh_from_db()
    assert (
        world.contract.name != "Renamed" and world.contract.ending_before is None
    )  # nothing applied
    data["allow_before_finalized"] = "on"
    assert client.post(_url("contract-update-terms", world), data, **HTMX).status_code == 200
    world.contract.refresh_from_db()
    assert world.contract.name == "Renamed"
    assert world.contract.ending_before == datetime(2026, 1, 15, tzinfo=UTC)


# --- create: from a package, with date presets ----------------------------------------------

NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("this_month", datetime(2026, 3, 1, tzinfo=UTC)),
        ("next_month", datetime(2026, 4, 1, tzinfo=UTC)),
        ("today", datetime(2026, 3, 14, tzinfo=UTC)),
        ("next_quarter", datetime(2026, 4, 1, tzinfo=UTC)),
    ],
)
def test_start_presets(preset, expected):
    assert preset_start(preset, NOW.date()) == expected


@pytest.fixture
def package(world):
    return package_create(data={
        "name": "Growth", "rate_card_id": str(world.rate_card.public_id), "contract_name": "Growth plan",
        "duration": {"unit": "MONTHS", "value": 6}, "usage_statement_schedule": {"frequency": "QUARTERLY"},
        "credits": [{"product_id": str(world.fixed.public_id), "priority": 1, "access_schedule": {"schedule_items": [
            {"amount": 10000, "starting_at_offset": {"unit": "MONTHS", "value": 0},
             "duration": {"unit": "MONTHS", "value": 3}}]}}],
    })  # fmt: skip


def _create(client, world, **fields):
    data = {"customer": str(world.customer.public_id), "start": "this_month", "duration": "12"}
    data.update(fields)
    with time_machine.travel(NOW, tick=False):
        return client.post(reverse("contracts:contract-create"), data, **HTMX)


def test_create_from_a_package_this_month_for_12_months(client, dave, world, package):
    client.force_login(dave)
    response = _create(client, world, source=f"package:{package.public_id}")
    assert response.status_code == 200
    contract = Contract.objects.get(package=package)
    assert response["HX-Redirect"] == reverse(
        "contracts:contract-detail", args=[contract.public_id]
    )
    assert (contract.starting_at, contract.ending_before) == (
        datetime(2026, 3, 1, tzinfo=UTC), datetime(2027, 3, 1, tzinfo=UTC)
    )  # fmt: skip
    # The package's terms came along: its name, schedule, rate card and credit (in cents).
    assert (contract.name, contract.usage_statement_frequency) == ("Growth plan", "QUARTERLY")
    assert contract.rate_card == world.rate_card
    credit = contract.commits.get()
    assert (credit.kind, credit.segments.get().amount) == ("CREDIT", Decimal("10000"))
    assert credit.segments.get().ending_before == datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("duration", "end"),
    [
        ("", datetime(2026, 10, 1, tzinfo=UTC)),
        ("open", None),
        ("24", datetime(2028, 4, 1, tzinfo=UTC)),
    ],
)
def test_package_term_or_open_ended_or_24_months(client, dave, world, package, duration, end):
    client.force_login(dave)
    response = _create(
        client, world, source=f"package:{package.public_id}", start="next_month", duration=duration,
        name="Acme 2026", frequency="MONTHLY",
    )  # fmt: skip
    assert response.status_code == 200
    contract = Contract.objects.get(package=package)
    assert contract.starting_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert contract.ending_before == end  # "": the package's 6 months; open: none despite it
    assert (contract.name, contract.usage_statement_frequency) == ("Acme 2026", "MONTHLY")


def test_create_from_a_rate_card_with_custom_dates(client, fiona, world):
    client.force_login(fiona)
    response = _create(
        client, world, source=f"rate_card:{world.rate_card.public_id}", start="date",
        starting_at="2026-05-15", duration="date", ending_before="2026-08-15",
    )  # fmt: skip
    assert response.status_code == 200
    contract = Contract.objects.exclude(pk=world.contract.pk).get()
    assert (contract.package, contract.rate_card) == (None, world.rate_card)
    assert contract.ending_before == datetime(2026, 8, 15, tzinfo=UTC)
    assert contract.usage_statement_frequency == "MONTHLY"


def test_create_errors_inline_by_field(client, dave, world):
    client.force_login(dave)
    before = Contract.objects.count()
    source = f"rate_card:{world.rate_card.public_id}"
    response = _create(client, world, source=source, start="date", starting_at="")
    assert response.status_code == 422
    assert (
        field_error(response.content.decode(), "starting_at")
        == "Pick a start date (or a start preset)."
    )
    response = _create(
        client, world, source=source, start="date", starting_at="2026-05-15",
        duration="date", ending_before="2026-05-01",
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 422
    assert field_error(body, "ending_before") == "Must be after the start date."
    assert 'id="create-form"' in body and "<html" not in body  # the form fragment only
    assert (
        field_error(_create(client, world).content.decode(), "source") == "This field is required."
    )
    assert Contract.objects.count() == before


def test_create_refused_to_read_only(client, bob, world):
    client.force_login(bob)
    response = _create(client, world, source=f"rate_card:{world.rate_card.public_id}")
    assert response.status_code == 403
    assert Contract.objects.count() == 1


def test_date_preview_follows_the_presets(client, dave, world):
    client.force_login(dave)
    url = reverse("contracts:contract-create")
    with time_machine.travel(NOW, tick=False):
        page = client.get(url).content.decode()
        fragment = client.get(
            url, {"start": "this_month", "duration": "24"}, HTTP_HX_TARGET="date-preview", **HTMX
        ).content.decode()
    assert "Starts Apr 1, 2026 · ends before Apr 1, 2027" in page  # the default: next month, 12
    assert fragment.strip() == (
        '<p id="date-preview" class="help" aria-live="polite">'
        "Starts Mar 1, 2026 · ends before Mar 1, 2028</p>"
    )


# --- status badges, drawdown, history --------------------------------------------------------


def _commit(client, world, name, start, end, kind="PREPAID", amount="100"):
    data = {"kind": kind, "name": name, "product": str(world.fixed.public_id), "amount": amount,
            "starting_at": start, "ending_before": end}  # fmt: skip
    assert client.post(_url("contract-add-commit", world), data, **HTMX).status_code == 200


def _badges(html: str) -> dict[str, str]:
    rows = re.findall(r"<strong>([^<]+)</strong>.*?badge status-(\w+)", html, re.S)
    return dict(rows)


def test_status_badges_and_expired_hidden_by_default(client, dave, world):
    client.force_login(dave)
    with time_machine.travel(NOW, tick=False):
        _commit(client, world, "Last year", "2025-01-01", "2026-01-01")
        _commit(client, world, "This year", "2026-01-01", "2027-01-01")
        _commit(client, world, "Next year", "2027-01-01", "2028-01-01", kind="CREDIT")
        _commit(client, world, "Cancelled", "2026-01-01", "2027-01-01", kind="POSTPAID")
        voided = Commit.objects.get(name="Cancelled")
        client.post(_url("contract-archive-item", world, "commit", voided.public_id), **HTMX)
        page = client.get(_url("contract-detail", world)).content.decode()
        all_rows = client.get(
            _url("contract-detail", world), {"expired": "1"}, HTTP_HX_TARGET="commits", **HTMX
        ).content.decode()
    assert _badges(page) == {"This year": "active", "Next year": "upcoming", "Cancelled": "voided"}
    assert "Show expired" in page
    assert _badges(all_rows)["Last year"] == "expired"
    assert all_rows.lstrip().startswith('<section id="commits"') and "Hide expired" in all_rows


def test_drawdown_history_with_the_invoice(client, fiona, world):
    contract_edit(contract=world.contract, data={"add_credits": [{
        "product_id": str(world.fixed.public_id), "name": "Launch credit", "priority": 1,
        "access_schedule": {"schedule_items": [
            {"amount": 10000, "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}]}}]})  # fmt: skip
    send_calls(30, JAN + timedelta(days=3))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    client.force_login(fiona)
    page = client.get(_url("contract-detail", world)).content.decode()
    ledger = page.split("Launch credit", 1)[1].split("</details>", 1)[0]
    assert "Drawdown history (2)" in ledger
    assert re.search(r'title="CREDIT_SEGMENT_START">Granted</td><td class="num">\$100.00<', ledger)
    assert re.search(  # 30 calls at 5 cents
        r'title="CREDIT_AUTOMATED_INVOICE_DEDUCTION">Drawn by usage</td><td class="num">-\$1.50<',
        ledger,
    )
    assert reverse("invoicing:invoice-detail", args=[invoice.public_id]) in ledger
    assert re.search(r"Launch credit.*?\$98\.50", page, re.S)  # the balance


def test_history_names_the_actor_and_what_changed(client, dave, bob, world):
    client.force_login(dave)
    _commit(client, world, "Annual", "2026-01-01", "2027-01-01", amount="1000")
    commit = Commit.objects.get()
    data = {"name": "Annual", "priority": "3", "ending_before": "2027-01-01"}
    url = reverse(
        "contracts:contract-edit-commit", args=[world.contract.public_id, commit.public_id]
    )
    assert client.post(url, data, **HTMX).status_code == 200
    contract_edit(contract=world.contract, data={"update_contract_name": "Via API"})
    client.force_login(bob)  # read-only can read the history
    history = client.get(_url("contract-history", world)).content.decode()
    rows = re.findall(r'<td class="edit-actor">(\w+)</td>\s*<td>(.*?)</td></tr>', history, re.S)
    assert [(actor, " ".join(re.sub(r"<[^>]+>", " ", what).split())) for actor, what in rows] == [
        ("API", "Renamed : unnamed → Via API update_contract_name"),
        ("dave", "Changed commit : Annual: priority none → 3 update_commits"),
        ("dave", "Added commit : Annual (prepaid, $1,000.00) add_commits"),
    ]
    page = client.get(_url("contract-detail", world)).content.decode()
    assert 'id="edit-history"' in page and "Changed commit" in page


def test_a_custom_unit_commit_shows_its_balance_and_ledger_in_its_unit(client, bob, world):
    from pricing.services import credit_type_create

    credits = credit_type_create(name="GPU credits")
    contract_edit(contract=world.contract, data={"add_commits": [{
        "type": "PREPAID", "name": "GPU pack", "priority": 1,
        "product_id": str(world.fixed.public_id),
        "access_schedule": {"credit_type_id": str(credits.public_id), "schedule_items": [
            {"amount": 100, "starting_at": "2026-01-01T00:00:00Z",
             "ending_before": "2027-01-01T00:00:00Z"}]},
    }]})  # fmt: skip
    client.force_login(bob)
    page = client.get(_url("contract-detail", world)).content.decode()
    row = page[page.index("GPU pack") :][:3000]
    assert "100.00 GPU credits" in row and "$1.00" not in row
