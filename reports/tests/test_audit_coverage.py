"""Every model registered with auditlog is changed through its API (or its console page) and
leaves an entry with the actor, the IP address and the user agent; /v1/auditLogs finds it by
its resource type and id.

CHANGES says, per registered model, how to change it (reports/tests/audit_changes_*.py). A
model registered without an entry there fails the first assertion: whoever registers a model
says how it is changed, and this test then proves its changes are attributed.
"""

from collections.abc import Callable, Iterator

import pytest
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from rest_framework.test import APIClient

from invoicing.tests import fake_stripe
from pricing.services import credit_type_get_default
from reports.audit_log import entries_to_wire
from reports.tests.audit_changes_billing import BILLING_AND_SETTINGS_CHANGES
from reports.tests.audit_changes_catalog import CATALOG_AND_CONTRACT_CHANGES
from reports.tests.audit_walk import IP, Walk

CHANGES: dict[str, Callable[[Walk], None]] = {
    **CATALOG_AND_CONTRACT_CHANGES,
    **BILLING_AND_SETTINGS_CHANGES,
}


@pytest.fixture
def walk(transactional_db, alice, api_token, settings) -> Iterator[Walk]:
    """Committed transactions, so that what a request enqueues on commit runs within it (as
    tests run enqueued tasks inline); a local fake Stripe for finalized invoices."""
    credit_type_get_default()
    stripe = fake_stripe.FakeStripe()
    stripe.add_customer("cus_walk")
    server = fake_stripe.start(stripe)
    settings.STRIPE_API_BASE = stripe.url
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token}")
    console = Client()
    console.force_login(alice)
    yield Walk(api=api, console=console)
    server.shutdown()
    server.server_close()


def test_every_audited_model_has_a_way_to_be_changed():
    registered = {model._meta.label for model in auditlog.get_models()}
    missing = sorted(registered - set(CHANGES))
    assert not missing, f"registered with auditlog, but the walk cannot change: {missing}"


def test_every_audited_model_change_names_actor_ip_and_user_agent(walk, alice):
    # (a model without an entry in CHANGES fails the test above)
    registered = sorted(m._meta.label for m in auditlog.get_models() if m._meta.label in CHANGES)
    done: dict[Callable[[Walk], None], str] = {}
    for label in registered:
        change = CHANGES[label]
        if change not in done:  # one change may cover several models
            walk.agent = f"audit-walk/{label}"
            change(walk)
            done[change] = walk.agent
        agent = done[change]
        content_type = ContentType.objects.get_for_model(
            next(m for m in auditlog.get_models() if m._meta.label == label)
        )
        entry = (
            LogEntry.objects.filter(content_type=content_type, additional_data__user_agent=agent)
            .select_related("actor")
            .first()
        )
        assert entry is not None, f"{label}: no audit entry from {agent}"
        assert entry.actor is not None, f"{label}: no actor"
        assert entry.remote_addr == IP, f"{label}: IP {entry.remote_addr}"
        assert entry.cid, f"{label}: no request id"
        via = entry.additional_data.get("via")
        assert via == ("console" if entry.actor == alice else "api"), label

        # ... and the audit log API finds it by its resource type and id
        [wire] = entries_to_wire([entry])
        assert wire["resource_type"] and wire["resource_id"], label
        assert wire["request"]["user_agent"] == agent and wire["request"]["ip"] == IP
        by_resource = walk.api.get(
            "/v1/auditLogs",
            {"resource_type": wire["resource_type"], "resource_id": wire["resource_id"],
             "limit": 100, "sort": "date_desc"},
        )  # fmt: skip
        assert by_resource.status_code == 200, (label, by_resource.content)
        assert wire["id"] in {item["id"] for item in by_resource.json()["data"]}, label
