"""The contract page's discounts and professional services: deal desk adds them (an edit
recorded with its author, amounts typed in dollars and kept in cents), finance invoices a
professional service (never past its maximum: the error beside the field, 422), and roles
without the right get a 403."""

from datetime import UTC, datetime
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from billing_console.templatetags.money import format_money
from contracts.models import ContractEdit, Discount, ProfessionalService, ProServiceInvoiceItem
from contracts.tests.factories import HTMX, console_world, field_error
from invoicing.models import Invoice
from pricing.services import credit_type_get_default, product_create


@pytest.fixture
def world(db):
    world = console_world()
    world.hours = product_create(name="Implementation hours", type="PRO_SERVICE")
    return world


def _money(cents: int) -> str:
    """As the console shows an amount of USD cents (billing_console/templatetags/money.py)."""
    return format_money(Decimal(cents), credit_type_get_default())


def _url(name: str, world, *args) -> str:
    return reverse(f"contracts:{name}", args=[world.contract.public_id, *args])


def _service(client, world) -> ProfessionalService:
    data = {"product": str(world.hours.public_id), "description": "Implementation",
            "unit_price": "175.50", "quantity": "40", "max_amount": "7020"}  # fmt: skip
    response = client.post(_url("contract-add-pro-service", world), data, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    return ProfessionalService.objects.get()


def test_deal_desk_adds_a_discount_in_dollars(client, dave, world):
    client.force_login(dave)
    data = {"product": str(world.fixed.public_id), "name": "Launch discount", "amount": "50",
            "first_date": "2026-02-01", "months": "1"}  # fmt: skip
    response = client.post(_url("contract-add-discount", world), data, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"]
    [item] = Discount.objects.get(name="Launch discount").items.all()
    assert (item.timestamp, item.amount) == (datetime(2026, 2, 1, tzinfo=UTC), Decimal(5000))
    edit = ContractEdit.objects.get()
    assert edit.actor == "dave" and list(edit.changes) == ["add_discounts"]
    page = client.get(_url("contract-detail", world)).content.decode()
    assert "Launch discount" in page and f'<td class="num">{_money(-5000)}</td>' in page
    history = client.get(_url("contract-history", world)).content.decode()
    assert f"Launch discount ({_money(-5000)})" in history


def test_a_discount_repeated_monthly_is_a_recurring_schedule(client, dave, world):
    client.force_login(dave)
    data = {"product": str(world.fixed.public_id), "amount": "12.34", "first_date": "2026-01-31",
            "months": "3"}  # fmt: skip
    assert client.post(_url("contract-add-discount", world), data, **HTMX).status_code == 200
    items = Discount.objects.get().items.all()
    assert [(i.timestamp.date().isoformat(), i.amount) for i in items] == [
        ("2026-01-31", 1234), ("2026-02-28", 1234), ("2026-03-31", 1234)
    ]  # fmt: skip
    request = ContractEdit.objects.get().request["add_discounts"][0]["schedule"]
    assert request["recurring_schedule"]["amount_distribution"] == "EACH"


def test_a_discount_form_error_shows_beside_the_field(client, dave, world):
    client.force_login(dave)
    data = {"product": str(world.fixed.public_id), "amount": "10", "first_date": "", "months": "1"}
    response = client.post(_url("contract-add-discount", world), data, **HTMX)
    assert response.status_code == 422
    assert field_error(response.content.decode(), "first_date") == "This field is required."
    assert not Discount.objects.exists()


def test_finance_invoices_a_pro_service_and_the_maximum_holds(client, dave, fiona, world):
    client.force_login(dave)
    service = _service(client, world)
    assert (service.unit_price, service.max_amount) == (Decimal(17550), Decimal(702000))
    url = _url("contract-pro-service-invoice", world, service.public_id)
    # Deal desk adds terms; invoicing is finance's.
    assert client.post(url, {"issued_on": "2026-03-02", "quantity": "1"}, **HTMX).status_code == 403
    client.force_login(fiona)
    response = client.post(url, {"issued_on": "2026-03-02", "quantity": "12.5"}, **HTMX)
    invoice = Invoice.objects.get(type="SCHEDULED")
    assert response["HX-Redirect"] == reverse("invoicing:invoice-detail", args=[invoice.public_id])
    assert invoice.total == Decimal(219375)  # 12.5 h x $175.50 = $2,193.75
    # 30 more hours would pass $7,020.00: refused, said in money above the form.
    response = client.post(url, {"issued_on": "2026-03-09", "quantity": "30"}, **HTMX)
    assert response.status_code == 422
    assert (
        f"That would bring Implementation to {_money(745875)} invoiced, over its "
        f"{_money(702000)} maximum. {_money(482625)} is left to invoice."
    ) in unescape(response.content.decode())
    assert ProServiceInvoiceItem.objects.count() == 1
    page = client.get(_url("contract-detail", world)).content.decode()
    assert _money(219375) in page and f"{_money(482625)} left" in page  # of $7,020.00


def test_a_pro_service_invoice_needs_a_quantity_or_an_amount(client, fiona, world):
    client.force_login(fiona)
    service = _service(client, world)
    url = _url("contract-pro-service-invoice", world, service.public_id)
    response = client.post(url, {"issued_on": "2026-03-02"}, **HTMX)
    assert response.status_code == 422
    assert "Give a quantity or an amount" in response.content.decode()


def test_read_only_cannot_add_terms(client, bob, world):
    client.force_login(bob)
    data = {"product": str(world.fixed.public_id), "amount": "5", "first_date": "2026-02-01",
            "months": "1"}  # fmt: skip
    assert client.post(_url("contract-add-discount", world), data, **HTMX).status_code == 403
    assert client.post(_url("contract-add-pro-service", world), {}, **HTMX).status_code == 403
    assert not Discount.objects.exists()
