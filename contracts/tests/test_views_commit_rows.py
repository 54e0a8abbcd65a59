"""The contract page's commit form with rows (contracts/console/forms_commits.py): several access
and invoice schedule items typed in dollars and kept in cents, the products and specifiers it
pays for and its rollover stored as the API stores the same wire, rows added and removed by
buttons (htmx or a plain POST), and a bad row refused beside its own field with nothing written."""

from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.console.forms_commits import CommitForm
from contracts.models import Commit, ContractEdit
from contracts.tests.factories import HTMX, console_world, field_error
from invoicing.tests.factories import priced_world
from pricing.services import product_create

STORED = ("kind", "name", "priority", "applicable_product_ids", "applicable_product_tags",
          "specifiers", "rollover_fraction", "do_not_invoice")  # fmt: skip


@pytest.fixture
def world(db):
    return console_world()


def _url(world) -> str:
    return reverse("contracts:contract-add-commit", args=[world.contract.public_id])


def _halves(world, **more) -> dict:
    """$6,000.00 H1 + $6,000.00 H2, billed in two invoices, paying for Calls, 50% rollover."""
    return {
        "kind": "PREPAID", "name": "Annual", "product": str(world.fixed.public_id),
        "priority": "1",
        "amount": "$6,000.00", "starting_at": "2026-01-01", "ending_before": "2026-07-01",
        "amount_1": "6000", "starting_at_1": "2026-07-01", "ending_before_1": "2027-01-01",
        "invoice_amount": "$6,000.00", "invoice_date": "2026-01-01",
        "invoice_amount_1": "6,000", "invoice_date_1": "2026-07-01",
        "applicable_products": [str(world.product.public_id)], "rollover": "50%",
        **more,
    }  # fmt: skip


def _spans(commit) -> list[tuple]:
    return [(s.amount, s.starting_at.date().isoformat(), s.ending_before.date().isoformat())
            for s in commit.segments.order_by("starting_at")]  # fmt: skip


def test_two_access_and_two_invoice_items_are_kept_in_cents(client, dave, world):
    client.force_login(dave)
    response = client.post(_url(world), _halves(world), **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    commit = Commit.objects.get()
    assert _spans(commit) == [
        (Decimal("600000"), "2026-01-01", "2026-07-01"),
        (Decimal("600000"), "2026-07-01", "2027-01-01"),
    ]
    items = [(i.amount, i.timestamp.date().isoformat()) for i in commit.invoice_items.all()]
    assert items == [(Decimal("600000"), "2026-01-01"), (Decimal("600000"), "2026-07-01")]
    assert commit.applicable_product_ids == [str(world.product.public_id)]
    assert commit.rollover_fraction == Decimal("0.5")
    page = client.get(reverse("contracts:contract-detail", args=[world.contract.public_id]))
    row = page.content.decode().split('class="item"')[1]
    assert "Pays for Calls · 50% of the unused balance rolls over" in row
    assert "Invoiced $6,000.00 on Jan 1, 2026, $6,000.00 on Jul 1, 2026" in row


def test_no_invoice_rows_bill_the_access_total_on_the_first_start(client, dave, world):
    client.force_login(dave)
    data = _halves(world, invoice_amount="", invoice_date="", invoice_amount_1="",
                   invoice_date_1="")  # fmt: skip
    assert client.post(_url(world), data, **HTMX).status_code == 200
    item = Commit.objects.get().invoice_items.get()
    assert (item.amount, item.timestamp.date().isoformat()) == (Decimal("1200000"), "2026-01-01")


def test_specifiers_and_rollover_are_stored_as_the_api_stores_the_same_wire(
    client, dave, api, world
):
    tagged = world.seats  # a SUBSCRIPTION product: its charges too
    client.force_login(dave)
    data = _halves(world, kind="CREDIT", applicable_tags="tokens, storage", rollover="12.5",
                   spec_product=str(world.product.public_id), spec_pricing="region=us-east-1",
                   spec_tags_1="gpu", spec_presentation_1="project=alpha, team=ml",
                   spec_product_2="", spec_tags_2="")  # a blank third row: left out  # fmt: skip
    data["applicable_products"] = [str(world.product.public_id), str(tagged.public_id)]
    assert client.post(_url(world), data, **HTMX).status_code == 200
    from_form = Commit.objects.get()
    wire = {  # what an API client sends for the same credit
        "name": "Annual", "priority": 1, "product_id": str(world.fixed.public_id),
        "access_schedule": {"schedule_items": [
            {"amount": 600000, "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-07-01T00:00:00Z"},
            {"amount": 600000, "starting_at": "2026-07-01T00:00:00Z", "ending_before": "2027-01-01T00:00:00Z"}]},
        "applicable_product_ids": [str(world.product.public_id), str(tagged.public_id)],
        "applicable_product_tags": ["tokens", "storage"],
        "specifiers": [
            {"product_id": str(world.product.public_id), "pricing_group_values": {"region": "us-east-1"}},
            {"product_tags": ["gpu"], "presentation_group_values": {"project": "alpha", "team": "ml"}}],
        "rollover_fraction": 0.125,
    }  # fmt: skip
    ids = {"customer_id": str(world.customer.public_id), "contract_id": str(world.contract.public_id)}  # fmt: skip
    edit = api.post("/v2/contracts/edit", {**ids, "add_credits": [wire]}, format="json")
    assert edit.status_code == 200, edit.content
    from_api = Commit.objects.exclude(pk=from_form.pk).get()
    assert {k: getattr(from_form, k) for k in STORED} == {k: getattr(from_api, k) for k in STORED}
    assert _spans(from_form) == _spans(from_api)
    assert from_form.specifiers == wire["specifiers"]
    assert from_form.rollover_fraction == Decimal("0.125")
    assert not from_form.invoice_items.exists()  # a credit: its hidden invoice rows not sent
    page = client.get(reverse("contracts:contract-detail", args=[world.contract.public_id]))
    assert (
        "Pays for Calls; Seats; usage tagged tokens or storage; Calls where region=us-east-1; "
        "usage tagged gpu where project=alpha, team=ml · 12.5% of the unused balance rolls over"
    ) in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"ending_before_1": "2026-06-01"}, "ending_before_1", "Must be after the start date."),
        ({"amount_1": ""}, "amount_1", "Required for this item."),
        ({"amount_1": "12.345"}, "amount_1", "USD amounts have at most 2 decimal places."),
        ({"invoice_amount_1": ""}, "invoice_amount_1", "Give the amount billed."),
        ({"rollover": "150%"}, "rollover", "Ensure this value is less than or equal to 100."),
        ({"spec_pricing": "region"}, "spec_pricing", "'region' is not key=value."),
    ],
)
def test_a_bad_row_is_refused_beside_its_field_with_nothing_written(
    client, dave, world, changes, field, error
):
    client.force_login(dave)
    response = client.post(_url(world), _halves(world, **changes), **HTMX)
    assert response.status_code == 422
    assert field_error(response.content.decode(), field) == error
    assert not Commit.objects.exists() and not ContractEdit.objects.exists()


def test_the_services_word_on_a_row_lands_on_that_row_past_blank_ones(client, dave):
    """The service refuses invoice item [1] (after the contract's end): sent from the form's
    third row, as the second row was left blank."""
    world = priced_world(contract_extra={"ending_before": "2027-01-01T00:00:00Z"})
    world.fixed = product_create(name="Prepaid commit", type="FIXED")
    client.force_login(dave)
    data = _halves(world, invoice_amount_1="", invoice_date_1="",
                   invoice_amount_2="$6,000.00", invoice_date_2="2027-02-01")  # fmt: skip
    response = client.post(_url(world), data, **HTMX)
    assert response.status_code == 422
    error = field_error(response.content.decode(), "invoice_date_2")
    assert error and error.startswith("the contract ends at")
    assert not Commit.objects.exists()


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain-post"])
def test_rows_are_added_and_removed_by_buttons_with_nothing_sent(client, dave, world, headers):
    client.force_login(dave)
    data = _halves(world, row_action="add:access")
    response = client.post(_url(world), data, **headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="amount_2"' in html and 'name="amount_3"' not in html
    assert 'value="6000"' in html  # the second row as typed
    assert "field-error" not in html  # not checked yet: nothing to say
    assert not Commit.objects.exists()

    data = _halves(world, row_action="remove:access:0")
    html = client.post(_url(world), data, **headers).content.decode()
    assert 'name="amount_1"' not in html
    assert 'name="starting_at" value="2026-07-01"' in html  # the second row moved up
    assert not Commit.objects.exists()


def test_a_one_row_form_posts_what_it_always_did(db):
    """Row 0 keeps the fields' own names; the subclass interface stays."""
    form = CommitForm(products=(), credit_type=None)
    assert {"amount", "starting_at", "ending_before", "invoice_amount"} <= set(form.fields)
    assert form.wire_fields["access_schedule"] == "amount"
