"""The customer page's card of customer-level commits and credits (contracts.console
.customer_commits): the form posts what /customerCommits/create takes and calls its service, so
the console makes what the API makes; amounts are typed in dollars; what the form or the
service refuses shows beside its field with nothing written."""

import re
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from billing_console.tests.form_labels import label_problems
from contracts.models import Commit, CommitInvoiceItem
from contracts.tests.factories import console_world, field_error
from pricing.models import CreditTypeConversion
from pricing.products import credit_type_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return console_world()


@pytest.fixture(autouse=True)
def _mid_2026():
    """Within the commits' access (Jan 1, 2026 – 2027): their balance is usable now."""
    with time_machine.travel(datetime(2026, 6, 15, 12, tzinfo=UTC), tick=False):
        yield


def _add_url(world) -> str:
    return reverse("contracts:customer-commit-add", args=[world.customer.public_id])


def _prepaid(world, **extra) -> dict:
    data = {
        "kind": "PREPAID", "name": "Annual prepay", "product": str(world.fixed.public_id),
        "amount": "$5,000.00", "starting_at": "2026-01-01", "ending_before": "2027-01-01",
        "priority": "1", "invoice_contract": str(world.contract.public_id),
    }  # fmt: skip
    data.update(extra)
    return data


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _without_ids(value):
    """`value` without the keys that differ between two equal commits: ids, creation times."""
    if isinstance(value, dict):
        drop = {"id", "created_at", "updated_at"}
        return {k: _without_ids(v) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _listed(api, customer) -> list[dict]:
    """/customerCommits/list as the API reads it back, ids left out (they differ)."""
    body = {"customer_id": str(customer.public_id), "include_balance": True}
    rows = api.post("/v1/contracts/customerCommits/list", body, format="json").json()["data"]
    return [_without_ids(row) for row in rows]


def test_a_prepaid_commit_added_in_dollars_is_what_the_api_makes(client, fiona, api, world):
    client.force_login(fiona)
    response = client.post(_add_url(world), _prepaid(world), HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response["HX-Trigger"] == '{"balancesChanged": {}}'  # the overview reloads
    text = _text(response.content.decode())
    assert "Commit “Annual prepay” added." in text
    assert "$5,000.00 · Jan 1, 2026 – Jan 1, 2027 $5,000.00 All contracts all products 1" in text
    commit = Commit.objects.get()
    assert commit.contract is None and commit.invoice_contract == world.contract
    assert commit.priority == 1 and commit.applicable_contract_ids == []
    assert [s.amount for s in commit.segments.all()] == [Decimal(500_000)]  # USD cents
    assert list(CommitInvoiceItem.objects.values_list("amount", flat=True)) == [Decimal(500_000)]
    console = _listed(api, world.customer)
    # The customer overview's balances (reports app) list it, customer-level.
    overview = client.get(
        reverse("reports:customer-overview", args=[world.customer.public_id]),
        HTTP_HX_REQUEST="true",
    )
    assert "Annual prepay prepaid commit Customer-level $5,000.00 of $5,000.00" in _text(
        overview.content.decode()
    )

    # The same commit through the API: read back, it is the same but for its ids.
    body = {
        "customer_id": str(world.customer.public_id), "type": "PREPAID", "name": "Annual prepay",
        "product_id": str(world.fixed.public_id), "priority": 1,
        "invoice_contract_id": str(world.contract.public_id),
        "access_schedule": {"schedule_items": [{"amount": 500000,
            "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}]},
        "invoice_schedule": {"schedule_items": [{"amount": 500000,
            "timestamp": "2026-01-01T00:00:00Z"}]},
    }  # fmt: skip
    assert api.post("/v1/contracts/customerCommits/create", body, format="json").status_code == 200
    both = _listed(api, world.customer)
    assert len(both) == 2 and both[0] == both[1] == console[0]


def test_a_credit_on_one_contract_for_some_products(client, dave, world):
    client.force_login(dave)
    data = _prepaid(
        world, kind="CREDIT", name="Goodwill", invoice_contract="", amount="250",
        applicable_contracts=[str(world.contract.public_id)],
        applicable_products=[str(world.product.public_id)], applicable_tags="compute, gpu ",
    )  # fmt: skip
    response = client.post(_add_url(world), data)  # no script: back to the customer page
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{world.customer.public_id}/"
    credit = Commit.objects.get()
    assert credit.kind == "CREDIT" and credit.invoice_contract is None
    assert credit.applicable_contract_ids == [str(world.contract.public_id)]
    assert credit.applicable_product_ids == [str(world.product.public_id)]
    assert credit.applicable_product_tags == ["compute", "gpu"]
    assert credit.segments.get().amount == 25_000
    card = client.get(reverse("contracts:customer-commits", args=[world.customer.public_id]))
    text = _text(card.content.decode())
    assert "Goodwill Credit Prepaid commit $250.00 · Jan 1, 2026 – Jan 1, 2027 $250.00" in text
    assert "Contract from Jan 1, 2026 Calls, tag compute, tag gpu 1" in text, text


def test_an_amount_past_the_cent_is_refused_beside_it_and_nothing_is_written(client, fiona, world):
    client.force_login(fiona)
    response = client.post(
        _add_url(world), _prepaid(world, amount="12.345"), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    error = field_error(response.content.decode(), "amount")
    assert error and "12.345" not in (field_error(response.content.decode(), "name") or "")
    assert "cent" in error.lower() or "decimal" in error.lower(), error
    assert Commit.objects.count() == 0
    assert 'value="12.345"' in response.content.decode()  # kept as typed


def test_the_services_refusal_names_its_field_and_nothing_is_written(client, fiona, world):
    """A prepaid commit that is invoiced needs the contract to bill it on: the service says
    invoice_contract_id, the form shows it beside "Invoice on contract"."""
    client.force_login(fiona)
    response = client.post(
        _add_url(world), _prepaid(world, invoice_contract=""), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    error = field_error(response.content.decode(), "invoice_contract")
    assert error and error.startswith("is required for a commit that is invoiced"), error
    assert Commit.objects.count() == 0 and CommitInvoiceItem.objects.count() == 0


def test_priority_is_required_at_customer_level(client, fiona, world):
    client.force_login(fiona)
    response = client.post(_add_url(world), _prepaid(world, priority=""), HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert field_error(response.content.decode(), "priority")
    assert Commit.objects.count() == 0


def test_read_only_users_see_the_card_but_cannot_add(client, bob, world):
    client.force_login(bob)
    card = client.get(
        reverse("contracts:customer-commits", args=[world.customer.public_id]),
        HTTP_HX_REQUEST="true",
    )
    assert card.status_code == 200 and "customer-commit-form" not in card.content.decode()
    assert client.post(_add_url(world), _prepaid(world)).status_code == 403
    assert Commit.objects.count() == 0


def test_the_end_date_moves_through_the_apis_service(client, fiona, world):
    client.force_login(fiona)
    client.post(_add_url(world), _prepaid(world), HTTP_HX_REQUEST="true")
    commit = Commit.objects.get()
    url = reverse(
        "contracts:customer-commit-end-date", args=[world.customer.public_id, commit.public_id]
    )
    bad = client.post(url, {"ending_before": "2025-06-01"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422
    assert field_error(bad.content.decode(), "ending_before") == "would remove every schedule item."
    assert commit.segments.get().ending_before.date().isoformat() == "2027-01-01"
    done = client.post(url, {"ending_before": "2026-07-01"}, HTTP_HX_REQUEST="true")
    assert (
        done.status_code == 200 and "Access now ends before Jul 1, 2026." in done.content.decode()
    )
    assert commit.segments.get().ending_before.date().isoformat() == "2026-07-01"


def test_the_card_and_its_error_fragment_label_each_input_once_beside_the_page(
    client, fiona, world
):
    client.force_login(fiona)
    client.post(_add_url(world), _prepaid(world), HTTP_HX_REQUEST="true")
    customer_page = client.get(
        reverse("customers:customer-detail", args=[world.customer.public_id])
    )
    card = client.get(
        reverse("contracts:customer-commits", args=[world.customer.public_id]),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    refused = client.post(
        _add_url(world), _prepaid(world, amount="12.345"), HTTP_HX_REQUEST="true"
    ).content.decode()
    html = customer_page.content.decode()
    placeholder = re.compile(r'<section id="customer-commits".*?</section>', re.S)
    assert len(placeholder.findall(html)) == 1
    for fragment in (card, refused):
        assert label_problems(fragment) == []
        # Swapped in for the page's placeholder, it repeats no id of the page.
        assert label_problems(placeholder.sub(fragment.replace("\\", r"\\"), html)) == []


def test_adding_an_access_item_shows_the_form_again_unsent(client, fiona, world):
    client.force_login(fiona)
    data = _prepaid(world, row_action="add:access")
    response = client.post(_add_url(world), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and Commit.objects.count() == 0
    html = response.content.decode()
    assert 'name="amount_1"' in html and 'value="$5,000.00"' in html
    assert '<details class="add-commit" id="customer-commit-add" open>' in html


def test_a_commit_in_a_custom_unit_is_invoiced_in_dollars(client, fiona, world):
    """The customer's rate card converts "GPU hours": the unit chooser shows; the access is
    typed in GPU hours, the purchase invoice in dollars (required: no total to take)."""
    gpu = credit_type_create(name="GPU hours", decimal_places=0)
    CreditTypeConversion.objects.create(
        rate_card=world.rate_card, custom_credit_type=gpu, fiat_per_custom_credit=Decimal(500)
    )
    client.force_login(fiona)
    data = _prepaid(world, unit=str(gpu.public_id), amount="100")
    refused = client.post(_add_url(world), data, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422 and Commit.objects.count() == 0
    assert field_error(refused.content.decode(), "invoice_amount").startswith("Give the amount")
    response = client.post(_add_url(world), {**data, "invoice_amount": "$500.00"})
    assert response.status_code == 302
    commit = Commit.objects.get()
    assert commit.access_credit_type == gpu and commit.segments.get().amount == 100
    assert list(CommitInvoiceItem.objects.values_list("amount", flat=True)) == [Decimal(50_000)]
