"""A package's "New contract": the package page links to the contract create page with that
package chosen (and its own term), and the contract made there carries the package's terms."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from contracts.models import Contract
from invoicing.tests.factories import priced_world
from pricing.packages import package_archive, package_create
from pricing.services import product_create

HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = datetime(2026, 3, 14, 15, 30, tzinfo=UTC)
CREATE = reverse("contracts:contract-create")


@pytest.fixture
def world(db):
    world = priced_world()
    fixed = product_create(name="Prepaid commit", type="FIXED")
    world.package = package_create(data={
        "name": "Growth", "rate_card_id": str(world.rate_card.public_id), "contract_name": "Growth plan",
        "duration": {"unit": "MONTHS", "value": 6},
        "credits": [{"product_id": str(fixed.public_id), "priority": 1, "access_schedule": {"schedule_items": [
            {"amount": 10000, "starting_at_offset": {"unit": "MONTHS", "value": 0},
             "duration": {"unit": "MONTHS", "value": 3}}]}}],
    })  # fmt: skip
    return world


def _selected(page: str, name: str) -> str | None:
    """The value of the option selected in <select name=name>, None if none is."""
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select, f"no {name} menu"
    option = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select[0])
    return option[1] if option else None


def test_new_contract_from_the_package_page_starts_from_that_package(client, dave, world):
    client.force_login(dave)
    detail = reverse("contracts:package-detail", args=[world.package.public_id])
    page = client.get(detail).content.decode()
    link = f"{CREATE}?package={world.package.public_id}"
    assert f'href="{link}">New contract</a>' in page
    with time_machine.travel(NOW, tick=False):
        form = client.get(link).content.decode()
    assert _selected(form, "source") == f"package:{world.package.public_id}"
    assert _selected(form, "duration") == ""  # the package's own term, not 12 months
    assert "ends as the package sets" in form
    data = {"customer": str(world.customer.public_id), "source": _selected(form, "source"),
            "start": "next_month", "duration": ""}  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        response = client.post(CREATE, data, **HTMX)
    assert response.status_code == 200, response.content.decode()
    contract = Contract.objects.get(package=world.package)
    assert contract.name == "Growth plan"
    assert contract.starting_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert contract.ending_before == datetime(2026, 10, 1, tzinfo=UTC)  # the package's 6 months


@pytest.mark.parametrize("given", ["6f1c4a0e-0000-4000-8000-000000000000", "nope", "archived"])
def test_an_unknown_or_archived_package_is_ignored(client, dave, world, given):
    client.force_login(dave)
    if given == "archived":
        package_archive(package=world.package)
        given = str(world.package.public_id)
    with time_machine.travel(NOW, tick=False):
        response = client.get(CREATE, {"package": given})
    form = response.content.decode()
    assert response.status_code == 200
    assert _selected(form, "source") is None  # nothing chosen: the browser shows the first
    assert _selected(form, "duration") == "12"  # the usual default
    assert given not in form


def test_no_new_contract_button_on_an_archived_package(client, dave, world):
    client.force_login(dave)
    package_archive(package=world.package)
    page = client.get(reverse("contracts:package-detail", args=[world.package.public_id]))
    assert page.status_code == 200 and b"New contract" not in page.content
