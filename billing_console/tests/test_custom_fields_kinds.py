"""Custom fields on every entity kind the SDK sends, through the official SDK: keys on all,
values on the entities this server has (read back where the read shape has custom_fields),
and a 404 naming the id for the Metronome 1.0 kinds that have no entity here."""

import uuid

import metronome
import pytest

from billing_console.custom_fields import ENTITIES
from billing_console.lib.periods import Period
from billing_console.models import CustomFieldValues
from customers.services import customer_create
from invoicing.models import Invoice
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN, priced_world
from pricing.models import Package
from pricing.products import credit_type_get_default
from pricing.services import product_create, rate_add

pytestmark = pytest.mark.sdk

PLAN_KINDS = ("charge", "customer_plan", "plan")  # Metronome 1.0: the plans app


def _message(err: pytest.ExceptionInfo) -> str:
    return err.value.body["message"]  # type: ignore[index]


def _round_trip(sdk, entity: str, entity_id: str) -> None:
    sdk.v1.custom_fields.add_key(entity=entity, key="region", enforce_uniqueness=False)
    sdk.v1.custom_fields.set_values(
        entity=entity, entity_id=entity_id, custom_fields={"region": "emea"}
    )


def test_every_kind_of_the_sdk_takes_keys(sdk, db):
    for entity in ENTITIES:
        sdk.v1.custom_fields.add_key(entity=entity, key="owner", enforce_uniqueness=True)
    listed = {(k.entity, k.key) for k in sdk.v1.custom_fields.list_keys()}
    assert listed == {(entity, "owner") for entity in ENTITIES}
    for entity in ENTITIES:
        sdk.v1.custom_fields.remove_key(entity=entity, key="owner")
    assert list(sdk.v1.custom_fields.list_keys()) == []


@pytest.mark.parametrize("entity", PLAN_KINDS)
def test_an_unknown_id_of_a_plan_kind_is_404_naming_the_id(sdk, db, entity):
    sdk.v1.custom_fields.add_key(entity=entity, key="region", enforce_uniqueness=False)
    missing = str(uuid.uuid4())
    with pytest.raises(metronome.NotFoundError) as err:
        sdk.v1.custom_fields.set_values(
            entity=entity, entity_id=missing, custom_fields={"region": "emea"}
        )
    assert _message(err) == f"entity_id: no {entity} with id {missing}."
    with pytest.raises(metronome.NotFoundError):
        sdk.v1.custom_fields.delete_values(entity=entity, entity_id=missing, keys=["region"])


@pytest.fixture
def world(db):
    world = priced_world()
    seats = product_create(name="Seats", type="SUBSCRIPTION")
    rate_add(
        rate_card=world.rate_card, product=seats, starting_at=JAN, rate_type="SUBSCRIPTION",
        price=2500, billing_frequency="MONTHLY",
    )  # fmt: skip
    world.seats = seats  # type: ignore[attr-defined]
    return world


def test_contract_product_values_read_back_on_the_product(sdk, world):
    product_id = str(world.product.public_id)
    _round_trip(sdk, "contract_product", product_id)
    got = sdk.v1.contracts.products.retrieve(id=product_id).data
    assert got.custom_fields == {"region": "emea"}
    sdk.v1.custom_fields.delete_values(
        entity="contract_product", entity_id=product_id, keys=["region"]
    )
    assert sdk.v1.contracts.products.retrieve(id=product_id).data.custom_fields == {}


def test_subscription_values_read_back_on_the_contract(sdk, world):
    customer = str(world.customer.public_id)
    contract_id = sdk.v1.contracts.create(
        customer_id=customer, starting_at="2026-01-01T00:00:00Z",
        rate_card_id=str(world.rate_card.public_id),
        subscriptions=[{
            "collection_schedule": "ARREARS", "initial_quantity": 3,
            "proration": {"invoice_behavior": "BILL_ON_NEXT_COLLECTION_DATE", "is_prorated": False},
            "subscription_rate": {"billing_frequency": "MONTHLY", "product_id": str(world.seats.public_id)},
        }],
    ).data.id  # fmt: skip
    ids = {"customer_id": customer, "contract_id": contract_id}
    sub_id = sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].id
    _round_trip(sdk, "subscription", sub_id)
    assert sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].custom_fields == {
        "region": "emea"
    }
    sdk.v1.custom_fields.delete_values(entity="subscription", entity_id=sub_id, keys=["region"])
    assert not sdk.v2.contracts.retrieve(**ids).data.subscriptions[0].custom_fields


def test_credit_grant_values_read_back_on_the_grant(sdk, world):
    customer = str(world.customer.public_id)
    usd = str(credit_type_get_default().public_id)
    grant_id = sdk.v1.credit_grants.create(
        customer_id=customer, name="Launch credit", priority=1,
        grant_amount={"amount": 1000, "credit_type_id": usd},
        paid_amount={"amount": 0, "credit_type_id": usd},
        effective_at="2026-01-01T00:00:00Z", expires_at="2027-01-01T00:00:00Z",
    ).data.id  # fmt: skip
    _round_trip(sdk, "credit_grant", grant_id)
    [grant] = sdk.v1.credit_grants.list(customer_ids=[customer])
    assert grant.custom_fields == {"region": "emea"}
    sdk.v1.custom_fields.delete_values(entity="credit_grant", entity_id=grant_id, keys=["region"])
    assert not next(iter(sdk.v1.credit_grants.list(customer_ids=[customer]))).custom_fields


def test_alert_and_invoice_values_are_kept_beside_the_row(sdk, world):
    alert_id = sdk.v1.alerts.create(
        alert_type="spend_threshold_reached", name="Spend over $10", threshold=1000,
        customer_id=str(world.customer.public_id),
    ).data.id  # fmt: skip
    invoice = invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    touched = invoice.updated_at
    for entity, entity_id in (("alert", alert_id), ("invoice", str(invoice.public_id))):
        _round_trip(sdk, entity, entity_id)
        row = CustomFieldValues.objects.get(entity=entity, entity_id=entity_id)
        assert row.values == {"region": "emea"}
        sdk.v1.custom_fields.delete_values(entity=entity, entity_id=entity_id, keys=["region"])
        assert not CustomFieldValues.objects.filter(entity=entity).exists()
    assert Invoice.objects.get(pk=invoice.pk).updated_at == touched  # the row is untouched
    with pytest.raises(metronome.NotFoundError) as err:  # an id of another kind is not an alert
        sdk.v1.custom_fields.set_values(
            entity="alert", entity_id=str(invoice.public_id), custom_fields={"region": "x"}
        )
    assert _message(err).startswith("entity_id: no alert with id")


def test_unique_values_on_a_side_table_kind(sdk, world):
    a = sdk.v1.alerts.create(alert_type="spend_threshold_reached", name="A", threshold=1,
                             customer_id=str(world.customer.public_id)).data.id  # fmt: skip
    b = sdk.v1.alerts.create(alert_type="spend_threshold_reached", name="B", threshold=2,
                             customer_id=str(world.customer.public_id)).data.id  # fmt: skip
    sdk.v1.custom_fields.add_key(entity="alert", key="code", enforce_uniqueness=True)
    sdk.v1.custom_fields.set_values(entity="alert", entity_id=a, custom_fields={"code": "x"})
    sdk.v1.custom_fields.set_values(entity="alert", entity_id=a, custom_fields={"code": "x"})
    with pytest.raises(metronome.ConflictError):
        sdk.v1.custom_fields.set_values(entity="alert", entity_id=b, custom_fields={"code": "x"})


PACKAGE_KINDS = {
    "package_commit": "commits",
    "package_credit": "credits",
    "package_subscription": "subscriptions",
    "package_scheduled_charge": "scheduled_charges",
}


def _package(sdk, world) -> str:
    start = {"unit": "MONTHS", "value": 0}
    year = {"unit": "YEARS", "value": 1}
    product = str(world.product.public_id)
    access = {"schedule_items": [{"amount": 1000, "starting_at_offset": start, "duration": year}]}
    return sdk.v1.packages.create(
        name="Startup", rate_card_id=str(world.rate_card.public_id),
        commits=[{"product_id": product, "type": "PREPAID", "access_schedule": access,
                  "custom_fields": {"kept": "yes"}}],
        credits=[{"product_id": product, "access_schedule": access}],
        scheduled_charges=[{"product_id": product, "schedule": {"schedule_items": [
            {"date_offset": start, "quantity": 1, "unit_price": 500}]}}],
        subscriptions=[{
            "collection_schedule": "ADVANCE", "initial_quantity": 2, "proration": {"is_prorated": False},
            "subscription_rate": {"product_id": str(world.seats.public_id), "billing_frequency": "MONTHLY"},
        }],
    ).data.id  # fmt: skip


@pytest.mark.parametrize(("entity", "terms_key"), PACKAGE_KINDS.items())
def test_package_item_values_read_back_on_the_package(sdk, world, entity, terms_key):
    package_id = _package(sdk, world)
    item_id = getattr(sdk.v1.packages.retrieve(package_id=package_id).data, terms_key)[0].id
    _round_trip(sdk, entity, item_id)
    item = getattr(sdk.v1.packages.retrieve(package_id=package_id).data, terms_key)[0]
    kept = {"kept": "yes"} if entity == "package_commit" else {}
    assert item.custom_fields == {**kept, "region": "emea"}
    sdk.v1.custom_fields.delete_values(entity=entity, entity_id=item_id, keys=["region"])
    item = getattr(sdk.v1.packages.retrieve(package_id=package_id).data, terms_key)[0]
    assert (item.custom_fields or {}) == kept
    with pytest.raises(metronome.NotFoundError):  # a package's own id is not an item's
        sdk.v1.custom_fields.set_values(
            entity=entity, entity_id=package_id, custom_fields={"region": "x"}
        )


def test_package_item_unique_values(sdk, world):
    first, second = _package(sdk, world), _package(sdk, world)
    ids = [sdk.v1.packages.retrieve(package_id=p).data.commits[0].id for p in (first, second)]
    sdk.v1.custom_fields.add_key(entity="package_commit", key="sku", enforce_uniqueness=True)
    sdk.v1.custom_fields.set_values(entity="package_commit", entity_id=ids[0], custom_fields={"sku": "A"})  # fmt: skip
    with pytest.raises(metronome.ConflictError):
        sdk.v1.custom_fields.set_values(
            entity="package_commit", entity_id=ids[1], custom_fields={"sku": "A"}
        )
    assert Package.objects.get(public_id=second).terms["commits"][0].get("custom_fields") == {
        "kept": "yes"
    }


def test_plan_charge_and_customer_plan_values_read_back(sdk, db):
    from plans.tests.factories import plan_world

    world = plan_world()
    plan_id, customer_id = str(world.plan.public_id), str(world.customer.public_id)
    charge_id = next(iter(sdk.v1.plans.list_charges(plan_id=plan_id))).id
    added = sdk.v1.customers.plans.add(
        customer_id=customer_id, plan_id=plan_id, starting_on="2026-01-01T00:00:00Z"
    ).data.id
    for entity, entity_id in (("plan", plan_id), ("charge", charge_id), ("customer_plan", added)):
        _round_trip(sdk, entity, entity_id)
    assert next(iter(sdk.v1.plans.list())).custom_fields == {"region": "emea"}
    assert next(iter(sdk.v1.plans.list_charges(plan_id=plan_id))).custom_fields == {
        "region": "emea"
    }
    [row] = sdk.v1.customers.plans.list(customer_id=customer_id)
    assert row.custom_fields == {"region": "emea"}
    sdk.v1.custom_fields.delete_values(entity="plan", entity_id=plan_id, keys=["region"])
    assert not next(iter(sdk.v1.plans.list())).custom_fields


def test_a_kind_whose_model_is_not_installed_finds_no_id(sdk, db, monkeypatch):
    from billing_console import custom_fields

    monkeypatch.setitem(custom_fields._STORES, "plan", custom_fields.ColumnStore("plans.Nope"))
    sdk.v1.custom_fields.add_key(entity="plan", key="region", enforce_uniqueness=True)
    missing = str(uuid.uuid4())
    with pytest.raises(metronome.NotFoundError) as err:
        sdk.v1.custom_fields.set_values(entity="plan", entity_id=missing, custom_fields={"region": "x"})  # fmt: skip
    assert _message(err) == f"entity_id: no plan with id {missing}."


def test_customer_kind_still_round_trips(sdk, db):
    customer = customer_create(name="Acme", ingest_aliases=["acme"])
    _round_trip(sdk, "customer", str(customer.public_id))
    assert sdk.v1.customers.retrieve(customer_id=str(customer.public_id)).data.custom_fields == {
        "region": "emea"
    }
