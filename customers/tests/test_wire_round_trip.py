"""customers.create through the official metronome-sdk reads back as sent: every field the
no-silent-drop lists name this test for (customers/wire_fields.py) is checked."""

import pytest

from billing_console.custom_fields import custom_field_key_add
from billing_console.tests.read_back import ReadBack, assert_shows
from customers.wire_fields import CUSTOMER_CREATE, TRIP

pytestmark = pytest.mark.sdk


def test_customer_create_reads_back_as_sent(sdk):
    custom_field_key_add(entity="customer", key="tier", enforce_uniqueness=False)
    sent = {
        "name": "Acme",
        "external_id": "crm-42",
        "ingest_aliases": ["acme", "acme-eu"],
        "custom_fields": {"tier": "gold"},
    }
    customer_id = sdk.v1.customers.create(**sent).data.id
    got = sdk.v1.customers.retrieve(customer_id=customer_id).data.to_dict(mode="json")
    rb = ReadBack()
    for key in ("name", "external_id", "custom_fields"):
        rb.check(sent[key], got[key], key)
    # The external id is an alias too (Metronome: usable to refer to the customer in events).
    rb.check(["crm-42", *sent["ingest_aliases"]], got["ingest_aliases"], "ingest_aliases")
    assert_shows(rb.seen, TRIP, CUSTOMER_CREATE)
