"""The one money rule on the contract page: every amount is typed and shown in the credit type's
major unit ("$1,200.50") and kept in cents to the cent; a billed amount finer than a cent
("12.345") is refused, not rounded; an override is typed as "20% off", a multiplier or a new
unit price ("$0.0025") and listed in words ("20% off list")."""

from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from types import SimpleNamespace

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from contracts.console.forms_overrides import OverrideForm
from contracts.console.forms_terms import ChargeForm
from contracts.edits import contract_edit
from contracts.models import (
    Commit,
    ContractEdit,
    DiscountItem,
    Override,
    ProfessionalService,
    ProServiceInvoiceItem,
    RecurringCommit,
    ResellerRoyalty,
    ScheduledChargeItem,
)
from contracts.tests.factories import HTMX, console_world, field_error
from pricing.services import product_create
from reports.audit_money import entries_shown

NOW = datetime(2026, 3, 14, 12, tzinfo=UTC)
TOO_PRECISE = "USD amounts have at most 2 decimal places."


@pytest.fixture
def world(db):
    world = console_world()
    world.hours = product_create(name="Implementation hours", type="PRO_SERVICE")
    return world


def _url(name: str, world, *args) -> str:
    return reverse(f"contracts:{name}", args=[world.contract.public_id, *args])


def _post(client, url: str, data: dict):
    with time_machine.travel(NOW, tick=False):
        return client.post(url, data, **HTMX)


def _page(client, world) -> str:
    return unescape(client.get(_url("contract-detail", world)).content.decode())


# --- amounts: typed in dollars, kept in cents to the cent --------------------------------------


def _commit(world, **changes) -> dict:
    data = {"kind": "PREPAID", "name": "Annual", "product": str(world.fixed.public_id),
            "amount": "$1,200.50", "starting_at": "2026-01-01", "ending_before": "2027-01-01"}  # fmt: skip
    return data | changes


def test_commit_typed_with_symbol_and_grouping_is_kept_to_the_cent(client, dave, world):
    client.force_login(dave)
    data = _commit(world, invoice_amount="1,000.05")
    response = _post(client, _url("contract-add-commit", world), data)
    assert response.status_code == 200 and response["HX-Redirect"]
    commit = Commit.objects.get()
    assert commit.segments.get().amount == Decimal("120050")
    assert commit.invoice_items.get().amount == Decimal("100005")
    assert "$1,200.50" in _page(client, world)


@pytest.mark.parametrize("field", ["amount", "invoice_amount"])
def test_a_billed_amount_finer_than_a_cent_is_refused_not_rounded(client, dave, world, field):
    client.force_login(dave)
    response = _post(
        client, _url("contract-add-commit", world), _commit(world, **{field: "12.345"})
    )
    assert response.status_code == 422
    assert field_error(response.content.decode(), field) == TOO_PRECISE
    assert 'value="12.345"' in response.content.decode()  # kept as typed, to be fixed
    assert not Commit.objects.exists()


def test_charge_and_discount_in_dollars_and_refused_finer(client, dave, world):
    client.force_login(dave)
    charge = {"product": str(world.fixed.public_id), "name": "Platform fee",
              "amount": "$1,200.50", "first_date": "2026-02-01", "months": "2"}  # fmt: skip
    assert _post(client, _url("contract-add-charge", world), charge).status_code == 200
    assert [i.amount for i in ScheduledChargeItem.objects.all()] == [Decimal("120050")] * 2
    response = _post(client, _url("contract-add-charge", world), charge | {"amount": "0.001"})
    assert response.status_code == 422
    assert field_error(response.content.decode(), "amount") == TOO_PRECISE

    discount = {"product": str(world.fixed.public_id), "name": "Launch", "amount": "$250.75",
                "first_date": "2026-02-01", "months": "1"}  # fmt: skip
    assert _post(client, _url("contract-add-discount", world), discount).status_code == 200
    assert DiscountItem.objects.get().amount == Decimal("25075")
    response = _post(client, _url("contract-add-discount", world), discount | {"amount": "12.345"})
    assert field_error(response.content.decode(), "amount") == TOO_PRECISE
    assert DiscountItem.objects.count() == 1


def test_recurring_commit_in_dollars_and_its_edit_form_shows_dollars(client, dave, world):
    client.force_login(dave)
    data = {"kind": "COMMIT", "name": "Monthly pool", "product": str(world.fixed.public_id),
            "priority": "1", "frequency": "MONTHLY", "access_amount": "$1,200.50",
            "invoice_amount": "$1,000", "periods": "1", "proration": "NONE",
            "starting_at": "2026-01-01"}  # fmt: skip
    assert _post(client, _url("contract-add-recurring", world), data).status_code == 200
    item = RecurringCommit.objects.get()
    assert item.access_amount["unit_price"] == 120050
    assert item.invoice_amount["unit_price"] == 100000
    page = client.get(_url("contract-detail", world)).content.decode()
    form = page[page.index(f'id="recurring-edit-{item.public_id}"') :]
    assert 'value="1200.50"' in form and 'value="1000.00"' in form  # dollars, not cents
    url = _url("contract-edit-recurring", world, item.public_id)
    response = _post(client, url, {"access_amount": "1200.505", "invoice_amount": "1000"})
    assert field_error(response.content.decode(), "access_amount") == TOO_PRECISE
    response = _post(client, url, {"access_amount": "$1,300", "invoice_amount": "1000"})
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.access_amount["unit_price"] == 130000


def test_pro_service_unit_price_may_be_finer_than_its_maximum(client, dave, world):
    """A unit price is a price: finer than a cent is kept; the maximum is billed: refused."""
    client.force_login(dave)
    data = {"product": str(world.hours.public_id), "description": "Implementation",
            "unit_price": "$175.505", "quantity": "40", "max_amount": "$7,020.20"}  # fmt: skip
    response = _post(
        client, _url("contract-add-pro-service", world), data | {"max_amount": "7020.205"}
    )
    assert field_error(response.content.decode(), "max_amount") == TOO_PRECISE
    assert _post(client, _url("contract-add-pro-service", world), data).status_code == 200
    service = ProfessionalService.objects.get()
    assert (service.unit_price, service.max_amount) == (Decimal("17550.5"), Decimal("702020"))


def test_pro_service_invoice_amount_refused_finer_than_a_cent(client, fiona, world):
    contract_edit(contract=world.contract, actor="setup", data={"add_professional_services": [
        {"product_id": str(world.hours.public_id), "unit_price": 17550, "quantity": 40,
         "max_amount": 702000}]})  # fmt: skip
    service = ProfessionalService.objects.get()
    client.force_login(fiona)
    url = _url("contract-pro-service-invoice", world, service.public_id)
    response = _post(client, url, {"issued_on": "2026-03-02", "amount": "12.345"})
    assert response.status_code == 422
    assert field_error(response.content.decode(), "amount") == TOO_PRECISE


# --- overrides: % off, a multiplier or a new unit price ----------------------------------------


def _override(world, **changes) -> dict:
    data = {"type": "PERCENT_OFF", "product": str(world.product.public_id),
            "starting_at": "2026-02-01"}  # fmt: skip
    return data | changes


@pytest.mark.parametrize(
    ("typed", "multiplier"),
    [("20% off", "0.8"), ("20", "0.8"), ("12.5%", "0.875"), ("100", "0"), ("0.5", "0.995")],
)
def test_percent_off_is_sent_as_a_multiplier(client, dave, world, typed, multiplier):
    client.force_login(dave)
    response = _post(
        client, _url("contract-add-override", world), _override(world, percent_off=typed)
    )
    assert response.status_code == 200, response.content.decode()
    override = Override.objects.get()
    assert (override.type, override.multiplier) == ("MULTIPLIER", Decimal(multiplier))


def test_percent_off_errors_beside_the_field(client, dave, world):
    client.force_login(dave)
    url = _url("contract-add-override", world)
    for typed, error in [("", "Give the percent off the list price (e.g. 20)."),
                         ("120", "At most 100% off. For a markup, choose a multiplier."),
                         ("twenty", "Enter a number.")]:  # fmt: skip
        response = _post(client, url, _override(world, percent_off=typed))
        assert response.status_code == 422
        assert field_error(response.content.decode(), "percent_off") == error
    assert not Override.objects.exists()


def test_only_the_chosen_types_field_is_read(client, dave, world):
    """The other types' fields are hidden on the page: what they hold is neither sent nor
    an error (a stale "abc" in the hidden multiplier does not block a new price)."""
    client.force_login(dave)
    data = _override(world, type="OVERWRITE", price="$0.0025", multiplier="abc", percent_off="x")
    assert _post(client, _url("contract-add-override", world), data).status_code == 200
    override = Override.objects.get()
    assert override.multiplier is None
    assert override.overwrite_rate == {"rate_type": "FLAT", "price": "0.25"}  # USD cents


def test_multiplier_still_typed_as_a_multiplier(client, dave, world):
    client.force_login(dave)
    data = _override(world, type="MULTIPLIER", multiplier="1.1")
    assert _post(client, _url("contract-add-override", world), data).status_code == 200
    assert Override.objects.get().multiplier == Decimal("1.1")
    assert "10% over list" in _page(client, world)


def test_new_price_below_a_cent_is_kept_and_listed_as_typed(client, dave, world):
    client.force_login(dave)
    url = _url("contract-add-override", world)
    response = _post(client, url, _override(world, type="OVERWRITE", price="$1,200.5"))
    assert response.status_code == 200
    assert Override.objects.get().overwrite_rate["price"] == "120050"
    Override.objects.all().delete()
    response = _post(client, url, _override(world, type="OVERWRITE", price="$0.0025"))
    assert response.status_code == 200
    page = _page(client, world)
    overrides = page[page.index('id="overrides"') : page.index('id="charges"')]
    assert "New unit price $0.0025" in overrides
    assert "0.25" not in overrides.replace('value="0.0025"', "")  # never the cents


def test_the_table_says_percent_off_with_the_exact_multiplier(client, dave, world):
    client.force_login(dave)
    data = _override(world, percent_off="20")
    assert _post(client, _url("contract-add-override", world), data).status_code == 200
    page = _page(client, world)
    overrides = page[page.index('id="overrides"') : page.index('id="charges"')]
    assert "<strong>20% off list</strong>" in overrides and "× 0.8" in overrides  # noqa: RUF001
    history = ContractEdit.objects.get().wire["add_overrides"][0]
    assert Decimal(str(history["multiplier"])) == Decimal("0.8")
    assert "Calls: 20% off list from Feb 1, 2026" in page  # the recent edits, in words


def test_edit_form_is_prefilled_in_the_terms_people_typed(client, dave, world):
    contract_edit(contract=world.contract, actor="setup", data={"add_overrides": [
        {"type": "MULTIPLIER", "multiplier": 0.85, "product_id": str(world.product.public_id),
         "starting_at": "2026-01-01T00:00:00Z"},
        {"type": "OVERWRITE", "overwrite_rate": {"rate_type": "FLAT", "price": 0.25},
         "product_id": str(world.product.public_id), "starting_at": "2026-02-01T00:00:00Z",
         "priority": 10}]})  # fmt: skip
    multiplier, price = Override.objects.order_by("starting_at")
    client.force_login(dave)
    page = client.get(_url("contract-detail", world)).content.decode()
    form = page[page.index(f'id="override-edit-{multiplier.public_id}"') :]
    form = form[: form.index("</form>")]
    assert '<option value="PERCENT_OFF" selected>' in form
    assert 'name="percent_off" value="15"' in form and 'name="multiplier" value="0.85"' in form
    form = page[page.index(f'id="override-edit-{price.public_id}"') :]
    form = form[: form.index("</form>")]
    assert '<option value="OVERWRITE" selected>' in form
    assert 'name="price" value="0.0025"' in form  # dollars, not 0.25 cents
    assert 'name="priority" value="10"' in form  # not 1E+1
    response = _post(client, _url("contract-edit-override", world, price.public_id),
                     _override(world, type="OVERWRITE", price="0.0030", priority="10"))  # fmt: skip
    assert response.status_code == 200
    new = Override.objects.get(archived_at__isnull=True, type="OVERWRITE")
    assert new.overwrite_rate["price"] == "0.30"


# --- audit diffs of the new terms: major units --------------------------------------------------


def test_audit_diffs_of_the_new_terms_in_major_units(client, dave, world):
    """Discount items, professional services and their invoice items, reseller royalties:
    the audit log shows their amounts as people read them (the API keeps cents)."""
    client.force_login(dave)
    discount = {"product": str(world.fixed.public_id), "amount": "$250.75",
                "first_date": "2026-02-01", "months": "1"}  # fmt: skip
    assert _post(client, _url("contract-add-discount", world), discount).status_code == 200
    service = {"product": str(world.hours.public_id), "unit_price": "$175.50", "quantity": "40",
               "max_amount": "$7,020"}  # fmt: skip
    assert _post(client, _url("contract-add-pro-service", world), service).status_code == 200
    ProServiceInvoiceItem.objects.create(
        service=ProfessionalService.objects.get(), timestamp=NOW, quantity=Decimal(2),
        unit_price=Decimal(17550), amount=Decimal(35100),
    )  # fmt: skip
    ResellerRoyalty.objects.create(
        contract=world.contract, reseller_type="AWS", fraction=Decimal("0.1"),
        netsuite_reseller_id="ns-1", starting_at=NOW, reseller_contract_value=Decimal(5000000),
    )  # fmt: skip
    models = ["discountitem", "professionalservice", "proserviceinvoiceitem", "resellerroyalty"]
    entries = LogEntry.objects.filter(content_type__model__in=models)
    changes = {e["resource_type"]: e["changes"] for e in entries_shown(entries)}
    shown = {kind: {k: v[1] for k, v in diff.items()} for kind, diff in changes.items()}
    assert {k: shown["discount_item"][k] for k in ("amount", "unit_price", "quantity")} == {
        "amount": "$250.75", "unit_price": "$250.75", "quantity": "1"}  # fmt: skip
    service_row = shown["professional_service"]
    assert (service_row["unit_price"], service_row["max_amount"]) == ("$175.50", "$7,020.00")
    item = shown["pro_service_invoice_item"]
    assert (item["unit_price"], item["amount"], item["quantity"]) == ("$175.50", "$351.00", "2")
    royalty = shown["reseller_royalty"]
    assert (royalty["reseller_contract_value"], royalty["fraction"]) == ("$50,000.00", "0.1")


def test_a_service_error_on_the_multiplier_shows_beside_the_percent_typed():
    """20% off is sent as the multiplier 0.8: the service's word on `multiplier` belongs to the
    field shown, not to the hidden multiplier field."""
    form = OverrideForm({"type": "PERCENT_OFF", "percent_off": "20", "tags": "tokens",
                         "starting_at": "2026-02-01"})  # fmt: skip
    assert form.is_valid(), form.errors
    assert form.to_wire()["multiplier"] == "0.8" and form.to_wire()["type"] == "MULTIPLIER"
    form.add_error("multiplier", "must be at most 1.")
    assert form.errors == {"percent_off": ["must be at most 1."]}


def test_yen_prices_take_no_decimals_but_a_unit_price_may():
    yen = SimpleNamespace(is_fiat=True, currency_code="JPY", name="JPY")
    form = ChargeForm({"product": "", "amount": "¥1,200.5"}, credit_type=yen)
    form.is_valid()
    assert form.errors["amount"] == ["JPY has no decimal places: enter a whole amount."]
    assert form.fields["amount"].label == "Amount (JPY)"
    form = OverrideForm({"type": "OVERWRITE", "price": "¥0.5", "tags": "gpu",
                         "starting_at": "2026-02-01"}, credit_type=yen)  # fmt: skip
    assert form.is_valid(), form.errors
    assert form.to_wire()["overwrite_rate"]["price"] == "0.5"


def test_an_api_amount_finer_than_a_cent_survives_an_end_date_edit(client, dave, world):
    """The API may set 0.5 cent; its edit form shows $0.005 and takes it back unchanged."""
    contract_edit(contract=world.contract, actor="setup", data={"add_recurring_commits": [{
        "product_id": str(world.fixed.public_id), "priority": 1, "starting_at": "2026-02-01T00:00:00Z",
        "access_amount": {"unit_price": 0.5, "quantity": 1}, "commit_duration": {"value": 1},
        "invoice_amount": {"unit_price": 0.5, "quantity": 1,
                           "credit_type_id": str(world.rate_card.fiat_credit_type.public_id)}}]})  # fmt: skip
    item = RecurringCommit.objects.get()
    client.force_login(dave)
    page = client.get(_url("contract-detail", world)).content.decode()
    assert 'name="access_amount" value="0.005"' in page
    data = {"ending_before": "2026-12-01", "access_amount": "0.005", "invoice_amount": "0.005"}
    response = _post(client, _url("contract-edit-recurring", world, item.public_id), data)
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.ending_before == datetime(2026, 12, 1, tzinfo=UTC)
    assert Decimal(str(item.access_amount["unit_price"])) == Decimal("0.5")
