"""Contract services below the API: packages, recurring terms, edits, commit end dates."""

from datetime import UTC, datetime

import pytest

from billing_console.api import ApplicationError
from contracts.edits import contract_edit
from contracts.models import Commit, ContractEdit, LedgerEntry, RecurringCommit
from contracts.services import contract_create
from contracts.terms.commit_edits import commit_update_end_date
from contracts.terms.customer_commits import customer_commit_create
from contracts.terms.packages import package_terms_to_contract, shift
from invoicing.tests.factories import FEB, JAN, MAR, priced_world
from pricing.packages import package_create
from pricing.services import product_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return priced_world(price=5)


@pytest.mark.parametrize(
    "offset, expected",
    [
        ({"unit": "DAYS", "value": 10}, datetime(2026, 1, 31, tzinfo=UTC)),
        ({"unit": "WEEKS", "value": 1}, datetime(2026, 1, 28, tzinfo=UTC)),
        ({"unit": "MONTHS", "value": 1}, datetime(2026, 2, 21, tzinfo=UTC)),
        ({"unit": "YEARS", "value": 2}, datetime(2028, 1, 21, tzinfo=UTC)),
        ({"unit": "MONTHS", "value": 0}, datetime(2026, 1, 21, tzinfo=UTC)),
    ],
)
def test_offsets_shift_from_the_contract_start(offset, expected):
    assert shift(datetime(2026, 1, 21, tzinfo=UTC), offset) == expected


def test_package_terms_become_dated_contract_terms(world):
    product = product_create(name="Fee", type="FIXED")
    package = package_create(data={
        "name": "Pro", "rate_card_id": str(world.rate_card.public_id),
        "usage_statement_schedule": {"frequency": "QUARTERLY"},
        "scheduled_charges": [{"product_id": str(product.public_id), "schedule": {"schedule_items": [
            {"date_offset": {"unit": "MONTHS", "value": 1}, "quantity": 1, "unit_price": 900}]}}],
        "overrides": [{"starting_at_offset": {"unit": "DAYS", "value": 0}, "duration": {"unit": "MONTHS", "value": 6},
                       "multiplier": 0.5, "override_specifiers": [{"product_id": str(world.product.public_id)}]}],
    })  # fmt: skip
    body = package_terms_to_contract(package, JAN)
    assert body["scheduled_charges"][0]["schedule"]["schedule_items"] == [
        {"quantity": 1, "unit_price": 900, "timestamp": FEB.isoformat()}
    ]
    override = body["overrides"][0]
    assert (override["starting_at"], override["ending_before"]) == (
        JAN.isoformat(),
        datetime(2026, 7, 1, tzinfo=UTC).isoformat(),
    )
    contract = contract_create(
        customer=world.customer,
        data={"starting_at": "2026-01-01T00:00:00Z", "package_id": str(package.public_id)},
    )
    assert contract.usage_statement_frequency == "QUARTERLY"
    assert contract.rate_card == world.rate_card and contract.package == package
    assert contract.overrides.get().multiplier == 0.5
    with pytest.raises(ApplicationError, match="^rate_card_id: a contract from a package"):
        contract_create(customer=world.customer, data={
            "starting_at": "2026-01-01T00:00:00Z", "package_id": str(package.public_id),
            "rate_card_id": str(world.rate_card.public_id),
        })  # fmt: skip


def _recurring(world, **changes):
    item = {
        "product_id": str(world.product.public_id), "priority": 1, "starting_at": "2026-01-01T00:00:00Z",
        "access_amount": {"unit_price": 100, "quantity": 1}, "commit_duration": {"value": 1},
    }  # fmt: skip
    item.update(changes)
    return {"starting_at": "2026-01-01T00:00:00Z", "recurring_credits": [item]}


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"priority": None}, "recurring_credits[0].priority: is required."),
        ({"commit_duration": {"value": 0}}, "recurring_credits[0].commit_duration.value: must be"),
        ({"ending_before": "2025-01-01T00:00:00Z"}, "recurring_credits[0].ending_before: must be"),
        ({"recurrence_frequency": "HOURLY"}, "recurring_credits[0].recurrence_frequency: must be"),
        ({"rollover_fraction": 2}, "recurring_credits[0].rollover_fraction: must be between"),
    ],
)
def test_recurring_terms_are_validated_by_path(world, changes, message):
    with pytest.raises(ApplicationError) as err:
        contract_create(customer=world.customer, data=_recurring(world, **changes))
    assert err.value.message.startswith(message)
    assert RecurringCommit.objects.count() == 0


def test_edit_retry_is_applied_once_and_a_reused_key_conflicts(world):
    body = {"update_contract_name": "Renamed", "uniqueness_key": "k"}
    first = contract_edit(contract=world.contract, data=body)
    assert contract_edit(contract=world.contract, data=dict(body)).pk == first.pk
    with pytest.raises(ApplicationError) as err:
        contract_edit(
            contract=world.contract, data={"update_contract_name": "No", "uniqueness_key": "k"}
        )
    assert err.value.code == "conflict"
    assert ContractEdit.objects.count() == 1
    refused = {"add_revenue_system_configuration_update": {"revenue_system_configuration": {}}}
    with pytest.raises(ApplicationError, match="^add_revenue_system_configuration_update: is not"):
        contract_edit(contract=world.contract, data=refused)


def test_commit_end_date_cuts_removes_and_extends_segments(world):
    product = product_create(name="Credit", type="FIXED")
    items = [
        {"amount": 10, "starting_at": JAN.isoformat(), "ending_before": FEB.isoformat()},
        {"amount": 20, "starting_at": FEB.isoformat(), "ending_before": MAR.isoformat()},
    ]
    credit = customer_commit_create(customer=world.customer, credit=True, data={
        "product_id": str(product.public_id), "priority": 1, "access_schedule": {"schedule_items": items},
    })  # fmt: skip
    commit_update_end_date(commit=credit, access_ending_before=datetime(2026, 1, 15, tzinfo=UTC))
    [segment] = credit.segments.all()
    assert segment.ending_before == datetime(2026, 1, 15, tzinfo=UTC)
    assert sum(e.amount for e in LedgerEntry.objects.filter(commit=credit)) == 10
    commit_update_end_date(commit=credit, access_ending_before=MAR)
    assert credit.segments.get().ending_before == MAR
    with pytest.raises(ApplicationError, match="^access_ending_before: would remove every"):
        commit_update_end_date(commit=credit, access_ending_before=datetime(2025, 1, 1, tzinfo=UTC))
    assert Commit.objects.get(pk=credit.pk).segments.count() == 1


def test_customer_commit_applicable_contracts_must_be_the_customers(world):
    other = priced_world(price=5, alias="other")
    with pytest.raises(ApplicationError, match=r"^applicable_contract_ids\[0\]: no contract"):
        customer_commit_create(customer=world.customer, credit=True, data={
            "product_id": str(world.product.public_id), "priority": 1,
            "applicable_contract_ids": [str(other.contract.public_id)],
            "access_schedule": {"schedule_items": [
                {"amount": 1, "starting_at": JAN.isoformat(), "ending_before": FEB.isoformat()}]},
        })  # fmt: skip
    assert Commit.objects.count() == 0


def test_customer_level_commit_is_invoiced_on_its_invoice_contract(world):
    from invoicing.services import contract_scheduled_invoices_sync

    product = product_create(name="Shared prepaid", type="FIXED")
    customer_commit_create(customer=world.customer, credit=False, data={
        "product_id": str(product.public_id), "priority": 1, "type": "PREPAID",
        "invoice_contract_id": str(world.contract.public_id),
        "access_schedule": {"schedule_items": [
            {"amount": 50000, "starting_at": JAN.isoformat(), "ending_before": MAR.isoformat()}]},
        "invoice_schedule": {"schedule_items": [
            {"amount": 50000, "timestamp": JAN.isoformat()}]},
    })  # fmt: skip
    [invoice] = contract_scheduled_invoices_sync(contract=world.contract)
    [line] = invoice.lines.all()
    assert (line.type, line.total, invoice.total) == ("COMMIT_PURCHASE", 50000, 50000)
