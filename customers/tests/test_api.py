"""Customers through the official metronome-sdk against a live server."""

import metronome
import pytest
from auditlog.models import LogEntry

from billing_console.custom_fields import custom_field_key_add
from customers.models import Customer

pytestmark = pytest.mark.sdk


def test_create_retrieve_list_archive_roundtrip(sdk):
    created = sdk.v1.customers.create(name="Acme", ingest_aliases=["acme", "acme-prod"])
    customer = created.data
    assert customer.name == "Acme"
    assert customer.ingest_aliases == ["acme", "acme-prod"]
    assert customer.external_id == "acme"

    detail = sdk.v1.customers.retrieve(customer_id=customer.id).data
    assert detail.id == customer.id
    assert detail.archived_at is None
    assert detail.created_at is not None

    listed = [c.id for c in sdk.v1.customers.list()]
    assert customer.id in listed

    archived = sdk.v1.customers.archive(id=customer.id)
    assert archived.data.id == customer.id
    assert sdk.v1.customers.retrieve(customer_id=customer.id).data.archived_at is not None
    assert customer.id not in [c.id for c in sdk.v1.customers.list()]
    assert customer.id in [c.id for c in sdk.v1.customers.list(only_archived=True)]


def test_list_paginates_with_next_page_and_filters(sdk):
    ids = [
        sdk.v1.customers.create(name=f"C{i}", ingest_aliases=[f"c{i}"]).data.id for i in range(7)
    ]
    first = sdk.v1.customers.list(limit=3)
    assert len(first.data) == 3
    assert first.next_page
    every = [c.id for c in sdk.v1.customers.list(limit=3)]  # auto-pagination follows next_page
    assert every == ids
    assert [c.name for c in sdk.v1.customers.list(ingest_alias="c4")] == ["C4"]
    assert {c.id for c in sdk.v1.customers.list(customer_ids=ids[:2])} == set(ids[:2])


def test_set_name_and_ingest_aliases(sdk):
    customer = sdk.v1.customers.create(name="Old name", ingest_aliases=["a1"]).data
    renamed = sdk.v1.customers.set_name(customer_id=customer.id, name="New name")
    assert renamed.data.name == "New name"
    assert (
        sdk.v1.customers.set_ingest_aliases(customer_id=customer.id, ingest_aliases=["a2", "a3"])
        is None
    )
    assert sdk.v1.customers.retrieve(customer_id=customer.id).data.ingest_aliases == ["a2", "a3"]


def test_alias_taken_by_another_active_customer_is_a_conflict(sdk):
    sdk.v1.customers.create(name="First", ingest_aliases=["shared"])
    with pytest.raises(metronome.ConflictError) as err:
        sdk.v1.customers.create(name="Second", ingest_aliases=["shared"])
    assert "shared" in err.value.body["message"]
    assert Customer.objects.filter(name="Second").count() == 0


def test_archived_customer_releases_its_aliases(sdk):
    first = sdk.v1.customers.create(name="First", ingest_aliases=["reuse-me"]).data
    sdk.v1.customers.archive(id=first.id)
    second = sdk.v1.customers.create(name="Second", ingest_aliases=["reuse-me"]).data
    assert [c.id for c in sdk.v1.customers.list(ingest_alias="reuse-me")] == [second.id]


def test_wrong_token_is_authentication_error(live_server):
    client = metronome.Metronome(bearer_token="bc_wrong", base_url=live_server.url, max_retries=0)
    with pytest.raises(metronome.AuthenticationError):
        client.v1.customers.list()


def test_unknown_id_is_not_found(sdk):
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.retrieve(customer_id="6f1c4a0e-0000-4000-8000-000000000000")
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.retrieve(customer_id="not-a-uuid")


def test_malformed_body_is_bad_request_naming_the_field(sdk):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.create(name="")
    assert err.value.body["message"].startswith("name:")
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.create(name="X", ingest_aliases="not-a-list")  # type: ignore[arg-type]
    assert "ingest_aliases" in err.value.body["message"]
    assert not Customer.objects.exists()


def test_custom_fields_lifecycle(sdk):
    customer = sdk.v1.customers.create(name="Acme").data
    sdk.v1.custom_fields.add_key(entity="customer", key="tier", enforce_uniqueness=False)
    sdk.v1.custom_fields.add_key(entity="customer", key="crm_id", enforce_uniqueness=True)
    keys = {
        (k.entity, k.key, k.enforce_uniqueness)
        for k in sdk.v1.custom_fields.list_keys(entities=["customer"])
    }
    assert keys == {("customer", "tier", False), ("customer", "crm_id", True)}

    sdk.v1.custom_fields.set_values(
        entity="customer", entity_id=customer.id, custom_fields={"tier": "gold", "crm_id": "X1"}
    )
    assert sdk.v1.customers.retrieve(customer_id=customer.id).data.custom_fields == {
        "tier": "gold",
        "crm_id": "X1",
    }

    other = sdk.v1.customers.create(name="Other").data
    with pytest.raises(metronome.ConflictError):
        sdk.v1.custom_fields.set_values(
            entity="customer", entity_id=other.id, custom_fields={"crm_id": "X1"}
        )
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.custom_fields.set_values(
            entity="customer", entity_id=other.id, custom_fields={"nope": "1"}
        )
    assert "nope" in err.value.body["message"]

    sdk.v1.custom_fields.delete_values(entity="customer", entity_id=customer.id, keys=["tier"])
    assert sdk.v1.customers.retrieve(customer_id=customer.id).data.custom_fields == {"crm_id": "X1"}
    sdk.v1.custom_fields.remove_key(entity="customer", key="tier")
    assert [k.key for k in sdk.v1.custom_fields.list_keys(entities=["customer"])] == ["crm_id"]


def test_create_with_custom_fields_requires_known_keys(sdk):
    with pytest.raises(metronome.BadRequestError):
        sdk.v1.customers.create(name="Acme", custom_fields={"tier": "gold"})
    custom_field_key_add(entity="customer", key="tier", enforce_uniqueness=False)
    created = sdk.v1.customers.create(name="Acme", custom_fields={"tier": "gold"}).data
    assert created.custom_fields == {"tier": "gold"}


def test_api_changes_are_audited_with_token_actor_ip_and_user_agent(sdk):
    customer = sdk.v1.customers.create(name="Audited").data
    sdk.v1.customers.set_name(customer_id=customer.id, name="Audited 2")
    entries = LogEntry.objects.filter(
        content_type__model="customer", object_pk=str(Customer.objects.get().pk)
    ).order_by("timestamp")
    assert entries.count() == 2
    for entry in entries:
        assert entry.actor is not None and entry.actor.first_name == "API token: tests"
        assert entry.remote_addr == "127.0.0.1"
        assert entry.additional_data["user_agent"].startswith("Metronome/Python")
        assert entry.additional_data["api_token"] == "tests"
    assert entries.last().changes_dict["name"] == ["Audited", "Audited 2"]


def test_update_config_sets_and_clears_the_fields_it_is_given(sdk):
    customer = sdk.v1.customers.create(name="Configured").data
    assert (
        sdk.v1.customers.update_config(
            customer_id=customer.id,
            salesforce_account_id="0015000000XyZ",
            leave_stripe_invoices_in_draft=True,
        )
        is None
    )
    config = sdk.v1.customers.retrieve(customer_id=customer.id).data.customer_config
    assert config.salesforce_account_id == "0015000000XyZ"
    row = Customer.objects.get(public_id=customer.id)
    assert row.leave_stripe_invoices_in_draft is True
    # A field left out keeps its value; null clears it.
    sdk.v1.customers.update_config(customer_id=customer.id, leave_stripe_invoices_in_draft=None)
    row.refresh_from_db()
    assert (row.salesforce_account_id, row.leave_stripe_invoices_in_draft) == (
        "0015000000XyZ",
        None,
    )
    assert [c.id for c in sdk.v1.customers.list(salesforce_account_ids=["0015000000XyZ"])] == [
        customer.id
    ]
    entry = (
        LogEntry.objects.filter(content_type__model="customer", object_pk=str(row.pk))
        .order_by("timestamp")
        .last()
    )
    assert entry.changes_dict["leave_stripe_invoices_in_draft"] == ["True", "None"]


def test_update_config_refuses_bad_input_and_unknown_customers(sdk):
    customer = sdk.v1.customers.create(name="Configured").data
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.update_config(
            customer_id=customer.id, extra_body={"leave_stripe_invoices_in_draft": "maybe"}
        )
    assert "leave_stripe_invoices_in_draft" in err.value.body["message"]
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.customers.update_config(
            customer_id="00000000-0000-0000-0000-000000000001", salesforce_account_id="x"
        )
