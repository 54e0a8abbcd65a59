"""The demo's alerts read back under the official SDK's strict response types: every custom
field filter entity is one of the SDK's (the demo scopes its alerts with Contract filters on
its own contracts); an earlier demo's Customer-filtered alert is replaced on the next load."""

from io import StringIO

import pytest
from django.core.management import call_command
from metronome import Metronome

from alerts.models import WIRE_ENTITIES, Alert, CustomerAlert
from alerts.services import alert_create
from customers import demo as customers_demo
from usage import demo as usage_demo

pytestmark = pytest.mark.sdk


@pytest.fixture
def strict_sdk(live_server, api_token):
    client = Metronome(
        bearer_token=api_token, base_url=live_server.url, max_retries=0,
        _strict_response_validation=True,
    )  # fmt: skip
    yield client
    client.close()


def test_demo_alerts_are_valid_under_the_sdks_strict_types(settings, monkeypatch, strict_sdk):
    settings.DEBUG = True
    monkeypatch.setattr(usage_demo, "DAYS", 1)
    earlier = alert_create(data={
        "uniqueness_key": "demo-enterprise-spend", "alert_type": "spend_threshold_reached",
        "name": "Enterprise accounts over $220", "threshold": 22_000, "evaluate_on_create": False,
        "custom_field_filters": [{"entity": "Customer", "key": "tier", "value": "enterprise"}],
    })  # fmt: skip
    call_command("load_demo", stdout=StringIO())

    earlier.refresh_from_db()
    assert earlier.archived_at is not None and earlier.uniqueness_key is None
    live = Alert.objects.active()
    assert live.filter(uniqueness_key="demo-enterprise-spend").exists()
    for alert in live:
        assert {f["entity"] for f in alert.custom_field_filters} <= set(WIRE_ENTITIES), alert.name
    for customer in customers_demo.customers():
        listed = list(strict_sdk.v1.customers.alerts.list(customer_id=str(customer.public_id)))
        assert listed, customer.name
        for entry in listed:
            for flt in entry.alert.custom_field_filters or []:
                assert flt.entity in WIRE_ENTITIES
    # The demo's Contract filters still scope its alerts: the enterprise alert reads the
    # enterprise customers' contracts only, and some demo customer alarms on something.
    enterprise = Alert.objects.get(uniqueness_key="demo-enterprise-spend")
    tiers = {s.customer.custom_fields["tier"] for s in CustomerAlert.objects.filter(
        alert=enterprise, value__gt=0
    ).select_related("customer")}  # fmt: skip
    assert tiers == {"enterprise"}
