"""Console customer pages, with and without htmx, per role."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from billing_console.custom_fields import custom_field_key_add
from billing_console.models import ConsolePreference
from customers.models import Customer
from customers.services import customer_create

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def acme(db) -> Customer:
    return customer_create(name="Acme", ingest_aliases=["acme"])


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("customers:customer-list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_list_page_and_table_fragment(client, alice, acme):
    client.force_login(alice)
    page = client.get(reverse("customers:customer-list"))
    assert page.status_code == 200
    assert b"<html" in page.content and b"Acme" in page.content
    fragment = client.get(
        reverse("customers:customer-list") + "?q=acm", HTTP_HX_TARGET="customer-table", **HX
    )
    assert fragment.status_code == 200
    assert b"<html" not in fragment.content
    assert b'id="customer-table"' in fragment.content and b"Acme" in fragment.content


def test_list_search_and_archived_filter_are_remembered(client, alice, acme):
    archived = customer_create(name="Gone Inc")
    archived.archived_at = archived.created_at
    archived.save()
    client.force_login(alice)
    response = client.get(reverse("customers:customer-list") + "?status=archived")
    assert b"Gone Inc" in response.content and b">Acme<" not in response.content
    assert ConsolePreference.objects.get(user=alice).value == {"status": "archived"}
    again = client.get(reverse("customers:customer-list"))  # no filters: the saved ones apply
    assert b"Gone Inc" in again.content and b">Acme<" not in again.content


def test_create_with_empty_name_rerenders_form_with_422(client, alice):
    client.force_login(alice)
    response = client.post(reverse("customers:customer-create"), {"name": ""}, **HX)
    assert response.status_code == 422
    assert b"This field is required" in response.content
    assert b'id="create-form"' in response.content
    assert not Customer.objects.exists()


def test_create_redirects_to_the_new_customer(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("customers:customer-create"),
        {"name": "Globex", "ingest_aliases": "globex, gx"},
        **HX,
    )
    customer = Customer.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse(
        "customers:customer-detail", args=[customer.public_id]
    )
    assert [a.alias for a in customer.aliases.all()] == ["globex", "gx"]
    plain = client.post(reverse("customers:customer-create"), {"name": "Initech"})
    assert plain.status_code == 302


def test_duplicate_alias_is_an_inline_error(client, alice, acme):
    client.force_login(alice)
    response = client.post(
        reverse("customers:customer-create"), {"name": "Copycat", "ingest_aliases": "acme"}, **HX
    )
    assert response.status_code == 422
    assert b"already an ingest alias" in response.content


def test_quick_actions_rename_aliases_fields_archive(client, fiona, acme):
    client.force_login(fiona)
    pid = acme.public_id
    response = client.post(
        reverse("customers:customer-set-name", args=[pid]), {"name": "Acme 2"}, **HX
    )
    assert response.status_code == 200 and b"Acme 2" in response.content
    bad = client.post(reverse("customers:customer-set-name", args=[pid]), {"name": ""}, **HX)
    assert bad.status_code == 422
    response = client.post(
        reverse("customers:customer-set-aliases", args=[pid]), {"ingest_aliases": "a, b"}, **HX
    )
    assert response.status_code == 200 and b"a</li>" in response.content
    custom_field_key_add(entity="customer", key="tier", enforce_uniqueness=False)
    response = client.post(
        reverse("customers:customer-set-field", args=[pid]), {"key": "tier", "value": "gold"}, **HX
    )
    assert response.status_code == 200 and b"gold" in response.content
    unknown = client.post(
        reverse("customers:customer-set-field", args=[pid]), {"key": "nope", "value": "1"}, **HX
    )
    assert unknown.status_code == 422 and b"not defined" in unknown.content
    client.post(reverse("customers:customer-delete-field", args=[pid, "tier"]), **HX)
    response = client.post(reverse("customers:customer-archive", args=[pid]), **HX)
    assert response["HX-Redirect"]
    acme.refresh_from_db()
    assert acme.name == "Acme 2" and acme.custom_fields == {} and acme.archived_at is not None


@pytest.mark.parametrize("name", ["customer-set-name", "customer-set-aliases", "customer-archive"])
def test_read_only_and_outsiders_cannot_change(client, bob, charlie, acme, name):
    for user in (bob, charlie):
        client.force_login(user)
        response = client.post(reverse(f"customers:{name}", args=[acme.public_id]), {"name": "x"})
        assert response.status_code == 403
    acme.refresh_from_db()
    assert acme.name == "Acme" and acme.archived_at is None


def test_read_only_can_look(client, bob, acme):
    client.force_login(bob)
    assert (
        client.get(reverse("customers:customer-detail", args=[acme.public_id])).status_code == 200
    )
    page = client.get(reverse("customers:customer-list"))
    assert page.status_code == 200 and b"New customer" not in page.content


def test_unknown_customer_is_404(client, alice):
    client.force_login(alice)
    url = reverse("customers:customer-detail", args=["6f1c4a0e-0000-4000-8000-000000000000"])
    assert client.get(url).status_code == 404


def test_console_changes_are_audited_with_user_ip_and_agent(client, alice, acme):
    client.force_login(alice)
    client.post(
        reverse("customers:customer-set-name", args=[acme.public_id]),
        {"name": "Renamed"},
        HTTP_USER_AGENT="Mozilla/5.0 test",
        REMOTE_ADDR="10.1.2.3",
    )
    entry = LogEntry.objects.filter(content_type__model="customer").latest("timestamp")
    assert entry.actor == alice
    assert entry.remote_addr == "10.1.2.3"
    assert entry.additional_data["user_agent"] == "Mozilla/5.0 test"
    assert entry.changes_dict["name"] == ["Acme", "Renamed"]
