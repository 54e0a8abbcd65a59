"""/v1/contracts/amend through the official SDK (contracts/terms/amendments.py): an amendment's
terms are read back in the v1 read's amendments[] and billed on the next draft to the cent; a
term that cannot be honoured is a 400 naming the amendment's field, and nothing changes."""

from datetime import UTC, datetime
from decimal import Decimal

import metronome
import pytest

from billing_console.lib.periods import Period
from contracts.models import Commit, ContractEdit, Override
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, MAR, priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.sdk


@pytest.fixture
def world(db):
    world = priced_world(price=5)  # Calls: 5 cents a call
    world.prepaid = product_create(name="Prepaid", type="FIXED")
    return world


def _ids(world) -> dict[str, str]:
    return {
        "customer_id": str(world.customer.public_id),
        "contract_id": str(world.contract.public_id),
    }


def _commit(world) -> dict:
    return {
        "type": "PREPAID", "name": "Amended prepaid", "priority": 1,
        "product_id": str(world.prepaid.public_id),
        "access_schedule": {"schedule_items": [
            {"amount": 500, "starting_at": "2026-02-01T00:00:00Z",
             "ending_before": "2026-04-01T00:00:00Z"}]},
    }  # fmt: skip


def _override(world, **extra) -> dict:
    return {
        "starting_at": "2026-02-01T00:00:00Z", "product_id": str(world.product.public_id),
        "type": "MULTIPLIER", "multiplier": 0.5, **extra,
    }  # fmt: skip


def test_amendment_adds_a_commit_and_an_override_billed_on_the_next_draft(sdk, world):
    ids = _ids(world)
    amended = sdk.v1.contracts.amend(
        **ids, starting_at="2026-02-01T00:00:00Z",
        commits=[_commit(world)], overrides=[_override(world)],
    ).data  # fmt: skip
    edit = ContractEdit.objects.get(public_id=amended.id)
    assert edit.amendment_starting_at == FEB

    got = sdk.v1.contracts.retrieve(**ids).data
    [amendment] = got.amendments
    assert amendment.id == amended.id
    assert amendment.starting_at == FEB
    assert [(c.name, c.type, c.access_schedule.schedule_items[0].amount) for c in amendment.commits] == [("Amended prepaid", "PREPAID", 500)]  # fmt: skip
    [override] = amendment.overrides
    assert (override.multiplier, override.type, override.product.id) == (
        0.5, "MULTIPLIER", str(world.product.public_id),
    )  # fmt: skip
    assert override.starting_at == FEB
    assert amendment.scheduled_charges == [] and amendment.credits == []
    # The amendment's terms are current, not initial.
    assert [c.name for c in got.current.commits] == ["Amended prepaid"]
    assert got.initial.commits == [] and got.initial.overrides == []
    listed = sdk.v1.contracts.list(customer_id=ids["customer_id"]).data
    assert [a.id for a in listed[0].amendments] == [amended.id]

    # February: 301 calls at 5 x 0.5 = 2.5 cents -> 752.5, rounded half up to 753 cents;
    # the amended commit gives 500 of them: 253 cents owed.
    send_calls(301, datetime(2026, 2, 10, tzinfo=UTC))
    invoice = invoice_compute_usage(contract=world.contract, period=Period(FEB, MAR))
    lines = [(line.type, line.total) for line in invoice.lines.order_by("position")]
    assert lines == [("USAGE", Decimal(753)), ("APPLIED_COMMIT", Decimal(-500))]
    assert invoice.total == Decimal(253)
    draft = sdk.v1.customers.invoices.retrieve(
        customer_id=ids["customer_id"], invoice_id=str(invoice.public_id)
    ).data
    assert (draft.status, draft.total) == ("DRAFT", 253)


def test_amendment_reads_back_its_external_ids(sdk, world):
    ids = _ids(world)
    sdk.v1.contracts.amend(
        **ids, starting_at="2026-03-01T00:00:00Z", overrides=[_override(world)],
        netsuite_sales_order_id="SO-42", salesforce_opportunity_id="006AMEND",
    )  # fmt: skip
    [amendment] = sdk.v1.contracts.retrieve(**ids).data.amendments
    assert amendment.netsuite_sales_order_id == "SO-42"
    assert amendment.salesforce_opportunity_id == "006AMEND"
    assert amendment.created_by.startswith("api")


def _nothing_written() -> tuple[int, int, int]:
    return Commit.objects.count(), Override.objects.count(), ContractEdit.objects.count()


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"overrides": "bad"}, "overrides[0].multiplier: "),
        ({"custom_fields": {"k": "v"}}, "custom_fields: "),
        ({"starting_at": "2025-06-01T00:00:00Z"}, "starting_at: "),
    ],
)
def test_a_bad_amendment_term_is_a_400_naming_it_and_changes_nothing(sdk, world, extra, named):
    before = _nothing_written()
    body = {"starting_at": "2026-02-01T00:00:00Z", "commits": [_commit(world)],
            "overrides": [_override(world)]}  # fmt: skip
    if extra.get("overrides") == "bad":  # a negative multiplier: refused by the edit's reader
        body["overrides"] = [_override(world, multiplier=-1)]
    else:
        body.update(extra)
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.amend(**_ids(world), **body)
    assert err.value.body["message"].startswith(named), err.value.body
    assert _nothing_written() == before
    assert sdk.v1.contracts.retrieve(**_ids(world)).data.amendments == []


def test_an_amendment_that_adds_nothing_is_refused(sdk, world):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.amend(**_ids(world), starting_at="2026-02-01T00:00:00Z")
    assert err.value.body["message"].startswith("body: an amendment adds at least one term")
