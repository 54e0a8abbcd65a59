"""Alerts and lifecycle notifications through the official metronome-sdk against a live server.
Tasks run inline here, so an ingest evaluates before the SDK call returns."""

from datetime import UTC, datetime

import metronome
import pytest

from alerts.models import CustomerAlert
from alerts.tests.factories import published, spend_world

pytestmark = pytest.mark.sdk


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _ingest(sdk, count: int, *, prefix: str, user_id: str | None = None) -> None:
    properties = {"user_id": user_id} if user_id else {}
    sdk.v1.usage.ingest(usage=[
        {"transaction_id": f"{prefix}-{i}", "customer_id": "acme", "event_type": "call",
         "timestamp": _now(), "properties": properties}
        for i in range(count)
    ])  # fmt: skip


@pytest.fixture
def world(transactional_db):
    return spend_world(price=100)


def test_alert_lifecycle_through_the_sdk(sdk, world):
    customer_id = str(world.customer.public_id)
    created = sdk.v1.alerts.create(
        alert_type="spend_threshold_reached", name="Spend over $10", threshold=1000,
        customer_id=customer_id, uniqueness_key="acme-spend-10",
    )  # fmt: skip
    alert_id = created.data.id
    with pytest.raises(metronome.ConflictError, match="uniqueness_key"):
        sdk.v1.alerts.create(
            alert_type="spend_threshold_reached", name="again", threshold=1,
            uniqueness_key="acme-spend-10",
        )  # fmt: skip

    [entry] = list(sdk.v1.customers.alerts.list(customer_id=customer_id))
    assert entry.customer_status == "ok"  # evaluated on create
    assert (entry.alert.id, entry.alert.type, entry.alert.status) == (
        alert_id,
        "spend_threshold_reached",
        "enabled",
    )
    assert entry.alert.threshold == 1000 and entry.alert.credit_type.name == "USD (cents)"
    assert entry.alert.uniqueness_key == "acme-spend-10"

    _ingest(sdk, 10, prefix="cross")  # 10 calls at $1: the threshold is reached
    got = sdk.v1.customers.alerts.retrieve(alert_id=alert_id, customer_id=customer_id)
    assert (got.data.customer_status, got.data.triggered_by) == ("in_alarm", "usage")
    _ingest(sdk, 3, prefix="more")  # more spend while in alarm: nothing new
    assert len(published("alerts.spend_threshold_reached")) == 1

    assert sdk.v1.customers.alerts.reset(alert_id=alert_id, customer_id=customer_id) is None
    got = sdk.v1.customers.alerts.retrieve(alert_id=alert_id, customer_id=customer_id)
    assert (got.data.customer_status, got.data.triggered_by) == ("in_alarm", "reset")
    assert len(published("alerts.spend_threshold_reached")) == 2  # reset re-notifies

    archived = sdk.v1.alerts.archive(id=alert_id, release_uniqueness_key=True)
    assert archived.data.id == alert_id
    assert list(sdk.v1.customers.alerts.list(customer_id=customer_id)) == []
    [gone] = list(
        sdk.v1.customers.alerts.list(customer_id=customer_id, alert_statuses=["ARCHIVED"])
    )
    assert (gone.alert.status, gone.customer_status) == ("archived", None)
    again = sdk.v1.alerts.create(
        alert_type="spend_threshold_reached", name="Reused key", threshold=5000,
        uniqueness_key="acme-spend-10", evaluate_on_create=False,
    )  # fmt: skip
    [fresh] = list(sdk.v1.customers.alerts.list(customer_id=customer_id))
    assert (fresh.alert.id, fresh.customer_status) == (again.data.id, "evaluating")


def test_per_user_spend_alert_and_other_types(sdk, world):
    customer_id = str(world.customer.public_id)
    per_user = sdk.v1.alerts.create(
        alert_type="spend_threshold_reached", name="Per user $5", threshold=500,
        group_values=[{"key": "user_id"}],
    ).data.id  # fmt: skip
    usage = sdk.v1.alerts.create(
        alert_type="usage_threshold_reached", name="8 calls", threshold=8,
        billable_metric_id=str(world.metric.public_id),
    ).data.id  # fmt: skip
    balance = sdk.v1.alerts.create(
        alert_type="low_remaining_contract_credit_and_commit_balance_reached",
        name="No credits", threshold=0, customer_id=customer_id,
        alert_specifiers=[{"custom_field_filters": [{"entity": "ContractCredit", "key": "pool", "value": "ai"}]}],
    ).data.id  # fmt: skip
    invoice = sdk.v1.alerts.create(
        alert_type="invoice_total_reached", name="Big invoice", threshold=100_000,
        invoice_types_filter=["USAGE"],
    ).data.id  # fmt: skip
    _ingest(sdk, 6, prefix="u7", user_id="7")
    _ingest(sdk, 2, prefix="u8", user_id="8")

    seven = sdk.v1.customers.alerts.retrieve(
        alert_id=per_user, customer_id=customer_id, group_values=[{"key": "user_id", "value": "7"}]
    ).data
    eight = sdk.v1.customers.alerts.retrieve(
        alert_id=per_user, customer_id=customer_id, group_values=[{"key": "user_id", "value": "8"}]
    ).data
    assert (seven.customer_status, eight.customer_status) == ("in_alarm", "ok")
    assert seven.alert.group_values[0].value == "7"
    statuses = {
        (e.alert.id, (e.alert.group_values or [None])[0] and e.alert.group_values[0].value): e.customer_status
        for e in sdk.v1.customers.alerts.list(customer_id=customer_id)
    }  # fmt: skip
    assert statuses == {
        (per_user, "7"): "in_alarm", (per_user, "8"): "ok", (usage, None): "in_alarm",
        (balance, None): "in_alarm", (invoice, None): "ok",
    }  # fmt: skip
    assert CustomerAlert.objects.filter(alert__public_id=per_user).count() == 2


INVALID_CREATES = [
    ({"alert_type": "spend_threshold_reached", "name": "x"}, metronome.BadRequestError, "threshold: is required."),
    ({"alert_type": "spend_threshold_reached", "name": "x", "threshold": "lots"}, metronome.BadRequestError, "threshold: must be a number."),
    ({"alert_type": "usage_threshold_reached", "name": "x", "threshold": 1}, metronome.BadRequestError, "billable_metric_id: is required."),
    ({"alert_type": "monthly_invoice_total_spend_threshold_reached", "name": "x", "threshold": 1}, metronome.BadRequestError, "alert_type: 'monthly_invoice_total_spend_threshold_reached' is not supported"),
    ({"alert_type": "low_remaining_days_in_plan_reached", "name": "x", "threshold": 1, "credit_type_id": "x"}, metronome.BadRequestError, "credit_type_id: days-in-plan alerts count days"),
    ({"alert_type": "usage_threshold_reached", "name": "x", "threshold": 1, "group_values": [{"key": "user_id"}]}, metronome.BadRequestError, "group_values: only spend_threshold_reached alerts"),
    ({"alert_type": "spend_threshold_reached", "name": "x", "threshold": 1, "group_values": [{"value": "7"}]}, metronome.BadRequestError, "group_values[0].key: is required."),
    ({"alert_type": "spend_threshold_reached", "name": "x", "threshold": 1, "custom_field_filters": [{"entity": "Commit", "key": "a", "value": "b"}]}, metronome.BadRequestError, "custom_field_filters[0].entity: Commit filters apply to balance alerts only."),
    ({"alert_type": "spend_threshold_reached", "name": "x", "threshold": 1, "plan_id": "00000000-0000-0000-0000-000000000000"}, metronome.NotFoundError, "plan_id: no plan"),
    ({"alert_type": "spend_threshold_reached", "name": "x", "threshold": 1, "credit_type_id": "nope"}, metronome.NotFoundError, "credit_type_id: no credit type"),
    ({"alert_type": "spend_threshold_reached", "name": "x", "threshold": 1, "customer_id": "00000000-0000-0000-0000-000000000000"}, metronome.NotFoundError, "customer_id: no customer"),
]  # fmt: skip


def test_create_validation_names_the_field(sdk, world):
    for body, error, message in INVALID_CREATES:
        with pytest.raises(error) as raised:
            sdk.post("/v1/alerts/create", body=body, cast_to=object)
        assert raised.value.body["message"].startswith(message), body
    assert not published()


def test_customer_alert_errors(sdk, world):
    customer_id = str(world.customer.public_id)
    with pytest.raises(metronome.NotFoundError, match="alert_id: no alert"):
        sdk.v1.customers.alerts.retrieve(
            alert_id="00000000-0000-0000-0000-000000000000", customer_id=customer_id
        )
    with pytest.raises(metronome.BadRequestError, match="customer_id: is required"):
        sdk.post("/v1/customer-alerts/list", body={}, cast_to=object)
    with pytest.raises(metronome.BadRequestError, match="alert_statuses: must be among"):
        list(sdk.v1.customers.alerts.list(customer_id=customer_id, alert_statuses=["ON"]))
    other = sdk.v1.customers.create(name="Other").data.id
    alert_id = sdk.v1.alerts.create(
        alert_type="spend_threshold_reached", name="Acme only", threshold=1, customer_id=customer_id
    ).data.id
    with pytest.raises(metronome.NotFoundError, match="does not apply to customer"):
        sdk.v1.customers.alerts.reset(alert_id=alert_id, customer_id=other)
    sdk.v1.alerts.archive(id=alert_id)
    with pytest.raises(metronome.BadRequestError, match="alert_id: the alert is archived"):
        sdk.v1.customers.alerts.reset(alert_id=alert_id, customer_id=customer_id)
    assert sdk.v1.alerts.archive(id=alert_id).data.id == alert_id  # idempotent


def test_lifecycle_notifications_through_the_sdk(sdk, transactional_db):
    created = sdk.v2.notifications.offset.create(
        name="Renewal reminder", policy={"type": "contract.end", "offset": "-P30D"},
        uniqueness_key="renewal-30",
    ).data  # fmt: skip
    assert (created.policy.type, created.policy.offset, created.archived_at) == (
        "contract.end",
        "-P30D",
        None,
    )
    assert created.type == "OFFSET" and created.created_by.startswith("api:")
    with pytest.raises(metronome.ConflictError):
        sdk.v2.notifications.offset.create(
            name="dup",
            policy={"type": "contract.end", "offset": "-P1D"},
            uniqueness_key="renewal-30",
        )
    with pytest.raises(metronome.BadRequestError, match=r"policy\.offset: 'soon' is not"):
        sdk.v2.notifications.offset.create(
            name="bad", policy={"type": "contract.end", "offset": "soon"}
        )
    with pytest.raises(metronome.BadRequestError, match=r"policy\.type: 'contract.renewed' is not"):
        sdk.v2.notifications.offset.create(
            name="bad", policy={"type": "contract.renewed", "offset": "P1D"}
        )

    second = sdk.v2.notifications.offset.create(
        name="Welcome", policy={"type": "contract.start", "offset": "P3D"}
    ).data
    assert sdk.v2.notifications.offset.retrieve(id=created.id).data.name == "Renewal reminder"
    edited = sdk.v2.notifications.offset.edit(
        id=created.id, policy={"type": "contract.end", "offset": "-P14D"}
    ).data
    assert edited.policy.offset == "-P14D"
    with pytest.raises(metronome.BadRequestError, match=r"policy\.type: must stay 'contract.end'"):
        sdk.v2.notifications.offset.edit(
            id=created.id, policy={"type": "contract.start", "offset": "P1D"}
        )

    page = sdk.v2.notifications.offset.list(limit=1)
    assert len(page.data) == 1 and page.cursor
    names = [n.name for n in sdk.v2.notifications.offset.list()]
    assert names == ["Renewal reminder", "Welcome"]
    assert sdk.v2.notifications.offset.archive(id=second.id).data.archived_at is not None
    assert [n.name for n in sdk.v2.notifications.offset.list()] == ["Renewal reminder"]
    assert [n.name for n in sdk.v2.notifications.offset.list(archive_filter="ARCHIVED")] == [
        "Welcome"
    ]
    assert len(list(sdk.v2.notifications.offset.list(archive_filter="ALL"))) == 2

    systems = sdk.v2.notifications.system.list().data
    assert {s.policy.type for s in systems} >= {
        "contract.create",
        "contract.end",
        "credit.segment.end",
    }
    assert not any(s.is_enabled for s in systems)
    toggled = sdk.v2.notifications.offset.edit(
        policy={"type": "contract.create"}, is_enabled=True
    ).data
    assert (toggled.policy.type, toggled.is_enabled) == ("contract.create", True)
    assert {s.policy.type for s in sdk.v2.notifications.system.list().data if s.is_enabled} == {
        "contract.create"
    }
    with pytest.raises(metronome.BadRequestError, match="is_enabled: is required"):
        sdk.v2.notifications.offset.edit(policy={"type": "contract.create"})
    with pytest.raises(metronome.NotFoundError, match="id: no notification"):
        sdk.v2.notifications.offset.retrieve(id="00000000-0000-0000-0000-000000000000")
