"""htmx requests that cannot get their fragment (billing_console/htmx_errors.py): signed out is a
401 that swaps nothing, not the sign-in page inside the card; a 403 names the role; a server
error rolls the request's writes back, so "nothing was changed" is true."""

from unittest import mock
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from billing_console.htmx_errors import SIGNED_OUT
from contracts.models import Commit
from invoicing.tests.factories import priced_world
from pricing.services import product_create

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world(db):
    world = priced_world()
    world.fixed = product_create(name="Prepaid commit", type="FIXED")
    return world


def _page(world) -> str:
    return reverse("contracts:contract-detail", args=[world.contract.public_id])


def _add_commit(world) -> str:
    return reverse("contracts:contract-add-commit", args=[world.contract.public_id])


def _commit(world) -> dict:
    return {"kind": "PREPAID", "name": "Annual", "product": str(world.fixed.public_id),
            "amount": "1000", "starting_at": "2026-01-01", "ending_before": "2027-01-01"}  # fmt: skip


def test_a_signed_out_htmx_post_is_a_401_without_the_sign_in_page(client, world):
    page = f"http://testserver{_page(world)}?expired=1"
    response = client.post(_add_commit(world), _commit(world), HTTP_HX_CURRENT_URL=page, **HTMX)
    assert response.status_code == 401
    body = response.content.decode()
    assert body == SIGNED_OUT
    assert "<form" not in body and "password" not in body
    assert response["HX-Reswap"] == "none"
    # Back to the page the form is on, not to the POST-only URL it was sent to.
    assert response["X-Sign-In-Url"] == "/login/?" + urlencode(
        {"next": f"{_page(world)}?expired=1"}
    )
    assert not Commit.objects.exists()


def test_a_signed_out_htmx_get_is_a_401_too(client, world):
    response = client.get(_page(world), **HTMX)
    assert response.status_code == 401
    assert response["X-Sign-In-Url"] == "/login/"  # no current URL sent: the plain sign-in page


def test_a_signed_out_page_still_redirects_to_the_sign_in_page(client, world):
    response = client.get(_page(world))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={_page(world)}"
    response = client.post(_add_commit(world), _commit(world))  # a plain form post, too
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_signing_out_with_htmx_is_not_mistaken_for_an_expired_session(client, dave):
    client.force_login(dave)
    response = client.post(reverse("logout"), **HTMX)
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_a_403_names_the_role_and_swaps_nothing(client, bob, world):
    client.force_login(bob)
    response = client.post(_add_commit(world), _commit(world), **HTMX)
    assert response.status_code == 403
    assert response["X-Console-Role"] == "read-only"
    assert response["HX-Reswap"] == "none"
    assert "X-Console-Reason" not in response


def test_a_csrf_failure_is_told_apart_from_a_role(dave, world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(dave)
    response = client.post(_add_commit(world), _commit(world), **HTMX)
    assert response.status_code == 403
    assert response["X-Console-Reason"] == "csrf"
    assert "X-Console-Role" not in response


def test_a_form_with_errors_is_still_swapped(client, dave, world):
    client.force_login(dave)
    response = client.post(_add_commit(world), {**_commit(world), "amount": "x"}, **HTMX)
    assert response.status_code == 422
    assert "HX-Reswap" not in response


def test_a_server_error_after_the_write_leaves_nothing_written(client, dave, world):
    """The edit is applied, then the response fails: an htmx request keeps nothing of it."""
    client.force_login(dave)
    client.raise_request_exception = False
    with mock.patch("contracts.console.views.back", side_effect=RuntimeError("render failed")):
        response = client.post(_add_commit(world), _commit(world), **HTMX)
        assert response.status_code == 500
        assert response["HX-Reswap"] == "none"
        assert not Commit.objects.exists()
        # Without htmx (a plain form post: the 500 page claims nothing) the service's own
        # transaction had committed.
        response = client.post(_add_commit(world), _commit(world))
        assert response.status_code == 500
        assert Commit.objects.count() == 1
