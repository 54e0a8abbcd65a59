"""The contract page's add forms that wait in a closed <details> (page.LAZY_FORMS): the plain GET
neither builds nor renders them, only a placeholder that htmx swaps for the form when the
details opens (?form=<partial>, the same URL); a form shown with its errors is inline as before.
In a real browser: "Add an override" opened, the form loads and adds an override."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing_console.tests.form_labels import label_problems
from billing_console.tests.screenshots import element_shots
from contracts.console.page import LAZY_FORMS
from contracts.models import Override
from contracts.tests.factories import HTMX, console_world, field_error

pytestmark = pytest.mark.django_db
IDS = re.compile(r' id="([^"]+)"')


@pytest.fixture
def world(db):
    return console_world()


def _url(world) -> str:
    return reverse("contracts:contract-detail", args=[world.contract.public_id])


def test_the_plain_page_has_a_placeholder_not_the_form(client, dave, world):
    client.force_login(dave)
    response = client.get(_url(world))
    page = response.content.decode()
    assert response.status_code == 200
    for partial in LAZY_FORMS:
        form = client.get(_url(world), {"form": partial}).content.decode()
        fields = set(IDS.findall(form))  # the form's own id and each field's
        assert f'id="{partial}"' in form and len(fields) > 2
        assert fields.isdisjoint(IDS.findall(page)), partial
        assert f'hx-get="{_url(world)}?form={partial}"' in page
    assert page.count('hx-trigger="toggle from:closest details once"') == len(LAZY_FORMS)
    # Every details opened: still no id twice, every input with its one label.
    forms = [client.get(_url(world), {"form": partial}).content.decode() for partial in LAZY_FORMS]
    assert label_problems(page + "".join(forms)) == []
    assert 'id="commit-form"' in page  # always in view: rendered with the page
    # Not built either (only a bound one would be).
    context = response.context
    assert all(f"{name}_form" not in context for _t, name, _b in LAZY_FORMS.values())


@pytest.mark.parametrize("headers", [HTMX, {}])
def test_the_form_alone_as_the_page_would_show_it(client, dave, world, headers):
    client.force_login(dave)
    response = client.get(_url(world), {"form": "override-form"}, **headers)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="override-form"') and "<html" not in html
    action = reverse("contracts:contract-add-override", args=[world.contract.public_id])
    assert f'hx-post="{action}"' in html and 'name="csrfmiddlewaretoken"' in html
    for name in ("type", "product", "percent_off", "multiplier", "price", "starting_at"):
        assert f'name="{name}"' in html
    assert 'id="override-percent_off"' in html  # the ids it has on the page (own_ids)


@pytest.mark.parametrize("partial", ["nope", "commit-form", "terms-form", "commits", ""])
def test_a_form_that_is_not_loaded_on_open_is_refused(client, dave, world, partial):
    client.force_login(dave)
    assert client.get(_url(world), {"form": partial}).status_code == 404


def test_read_only_gets_no_placeholder_and_no_form(client, bob, world):
    client.force_login(bob)
    page = client.get(_url(world)).content.decode()
    assert "?form=" not in page
    assert client.get(_url(world), {"form": "override-form"}).status_code == 403


def test_a_refused_form_is_inline_and_open_the_others_as_before(client, dave, world):
    """Without htmx, an invalid add shows the page with that form open and its error; the
    other add forms are rendered too, as before."""
    client.force_login(dave)
    url = reverse("contracts:contract-add-override", args=[world.contract.public_id])
    data = {"type": "PERCENT_OFF", "product": str(world.product.public_id),
            "percent_off": "120", "starting_at": "2026-02-01"}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 422
    page = response.content.decode()
    assert field_error(page, "percent_off")
    assert re.search(r'<details open><summary class="muted">Add an override</summary>\s*<form id="override-form"', page)  # fmt: skip
    assert 'id="charge-form"' in page and "?form=" not in page
    assert not Override.objects.exists()


@pytest.mark.browser
def test_opening_add_an_override_loads_the_form(page, login, dave, world):
    login("dave")
    page.goto(_url(world))
    overrides = page.locator("#overrides")
    assert overrides.locator("#override-form").count() == 0
    with page.expect_response(lambda r: "form=override-form" in r.url) as loaded:
        overrides.locator("summary", has_text="Add an override").click()
    assert loaded.value.status == 200
    form = overrides.locator("#override-form")
    form.wait_for()
    assert overrides.get_by_text("Loading the form").count() == 0
    element_shots(page, "contract-override-loaded-form", "#overrides")

    # Closed and opened again: the form stays as typed, not loaded a second time.
    form.locator("input[name=percent_off]").fill("20")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "form=" in r.url else None)
    overrides.locator("summary", has_text="Add an override").click()
    overrides.locator("summary", has_text="Add an override").click()
    assert form.locator("input[name=percent_off]").input_value() == "20" and requests == []

    form.locator("select[name=product]").select_option(label="Calls")
    form.locator("input[name=starting_at]").fill("2026-02-01")
    with page.expect_navigation():
        form.get_by_role("button", name="Add override").click()
    assert Override.objects.get().multiplier == Decimal("0.8")
