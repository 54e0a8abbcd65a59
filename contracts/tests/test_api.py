"""Contracts, commits, credits, ledgers and balances through the official metronome-sdk."""

from datetime import UTC, datetime, timedelta

import metronome
import pytest
from django.utils import timezone

from billing_console.lib.periods import Period
from contracts.models import (
    AccessSegment,
    Commit,
    Contract,
    ContractEdit,
    LedgerEntry,
    Override,
    RecurringCommit,
    ScheduledCharge,
)
from customers.services import customer_create
from invoicing.models import Invoice
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from pricing.services import product_create

pytestmark = pytest.mark.sdk


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def catalog(db):
    world = priced_world(price=5)
    return {
        "world": world,
        "customer_id": str(world.customer.public_id),
        "calls": str(world.product.public_id),
        "commit_product": str(product_create(name="Prepaid commit", type="FIXED").public_id),
        "credit_product": str(product_create(name="Promo credit", type="FIXED").public_id),
        "fee": str(product_create(name="Platform fee", type="FIXED").public_id),
        "card": str(world.rate_card.public_id),
    }


def _full_terms(c: dict) -> dict:
    return {
        "customer_id": c["customer_id"],
        "starting_at": "2026-01-01T00:00:00Z",
        "ending_before": "2027-01-01T00:00:00Z",
        "rate_card_id": c["card"],
        "name": "Acme 2026",
        "commits": [
            {
                "type": "PREPAID",
                "product_id": c["commit_product"],
                "name": "Annual commit",
                "priority": 1,
                "applicable_product_tags": ["usage"],
                "rollover_fraction": 0.5,
                "access_schedule": {
                    "schedule_items": [
                        {
                            "amount": 100_000,
                            "starting_at": "2026-01-01T00:00:00Z",
                            "ending_before": "2027-01-01T00:00:00Z",
                        }
                    ]
                },
                "invoice_schedule": {
                    "schedule_items": [{"timestamp": "2026-01-01T00:00:00Z", "amount": 100_000}]
                },
            }
        ],  # fmt: skip
        "credits": [
            {
                "product_id": c["credit_product"],
                "name": "Launch credit",
                "priority": 2,
                "access_schedule": {
                    "schedule_items": [
                        {
                            "amount": 5_000,
                            "starting_at": "2026-01-01T00:00:00Z",
                            "ending_before": "2026-04-01T00:00:00Z",
                        }
                    ]
                },
            }
        ],  # fmt: skip
        "overrides": [
            {
                "starting_at": "2026-01-01T00:00:00Z",
                "type": "MULTIPLIER",
                "multiplier": 0.9,
                "override_specifiers": [
                    {"product_id": c["calls"], "pricing_group_values": {"region": "us-east-1"}}
                ],
            }
        ],  # fmt: skip
        "scheduled_charges": [
            {
                "product_id": c["fee"],
                "name": "Platform fee",
                "schedule": {
                    "schedule_items": [
                        {"timestamp": "2026-02-01T00:00:00Z", "unit_price": 50_000, "quantity": 2}
                    ]
                },
            }
        ],  # fmt: skip
        "recurring_commits": [
            {
                "product_id": c["commit_product"],
                "name": "Monthly commit",
                "priority": 3,
                "starting_at": "2026-01-01T00:00:00Z",
                "ending_before": "2027-01-01T00:00:00Z",
                "access_amount": {"unit_price": 10_000, "quantity": 1},
                "commit_duration": {"value": 1, "unit": "PERIODS"},
                "invoice_amount": {"credit_type_id": _usd(), "unit_price": 10_000, "quantity": 1},
                "recurrence_frequency": "MONTHLY",
                "proration": "FIRST",
                "rate_type": "LIST_RATE",
            }
        ],  # fmt: skip
        "recurring_credits": [
            {
                "product_id": c["credit_product"],
                "priority": 4,
                "starting_at": "2026-01-01T00:00:00Z",
                "access_amount": {"unit_price": 1_000, "quantity": 2},
                "commit_duration": {"value": 3},
                "recurrence_frequency": "QUARTERLY",
            }
        ],  # fmt: skip
    }


def _usd() -> str:
    from pricing.services import credit_type_get_default

    return str(credit_type_get_default().public_id)


def test_create_reads_back_every_term_as_sent(sdk, catalog):
    body = _full_terms(catalog)
    contract_id = sdk.v1.contracts.create(**body).data.id
    got = sdk.v2.contracts.retrieve(
        customer_id=catalog["customer_id"], contract_id=contract_id
    ).data

    assert (got.name, got.starting_at, got.ending_before) == (
        "Acme 2026",
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert got.rate_card_id == catalog["card"]
    # The recurring commit's periods begun by now (2026-12-05) were issued with the create.
    issued = [c for c in got.commits if getattr(c, "recurring_commit_id", None)]
    [commit] = [c for c in got.commits if c not in issued]
    assert len(issued) == 12 and {c.name for c in issued} == {"Monthly commit"}
    sent = body["commits"][0]
    assert (commit.type, commit.product.id, commit.name, commit.priority) == (
        "PREPAID", sent["product_id"], "Annual commit", 1
    )  # fmt: skip
    assert commit.applicable_product_tags == ["usage"] and commit.rollover_fraction == 0.5
    [segment] = commit.access_schedule.schedule_items
    assert (segment.amount, segment.starting_at, segment.ending_before) == (
        100_000, datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )  # fmt: skip
    [billed] = commit.invoice_schedule.schedule_items
    assert (billed.amount, billed.timestamp) == (100_000, datetime(2026, 1, 1, tzinfo=UTC))

    [credit] = [c for c in got.credits if not getattr(c, "recurring_commit_id", None)]
    assert (credit.type, credit.name, credit.priority, credit.product.id) == (
        "CREDIT", "Launch credit", 2, catalog["credit_product"]
    )  # fmt: skip
    assert credit.access_schedule.schedule_items[0].amount == 5_000

    [override] = got.overrides
    assert (override.type, override.multiplier) == ("MULTIPLIER", 0.9)
    [spec] = override.override_specifiers
    assert spec.product_id == catalog["calls"]
    assert spec.pricing_group_values == {"region": "us-east-1"}

    [charge] = got.scheduled_charges
    [item] = charge.schedule.schedule_items
    assert (charge.name, charge.product.id) == ("Platform fee", catalog["fee"])
    assert (item.unit_price, item.quantity, item.amount) == (50_000, 2, 100_000)

    [recurring] = got.recurring_commits
    sent = body["recurring_commits"][0]
    assert recurring.product.id == sent["product_id"] and recurring.name == "Monthly commit"
    assert (recurring.access_amount.unit_price, recurring.access_amount.quantity) == (10_000, 1)
    assert recurring.invoice_amount.unit_price == 10_000
    assert recurring.invoice_amount.credit_type_id == _usd()
    assert (recurring.recurrence_frequency, recurring.proration, recurring.rate_type) == (
        "MONTHLY", "FIRST", "LIST_RATE"
    )  # fmt: skip
    assert (recurring.starting_at, recurring.ending_before) == (
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )  # fmt: skip
    assert recurring.commit_duration.value == 1 and recurring.priority == 3
    [recurring_credit] = got.recurring_credits
    assert recurring_credit.access_amount.quantity == 2
    assert recurring_credit.recurrence_frequency == "QUARTERLY"
    assert recurring_credit.proration == "FIRST_AND_LAST"  # Metronome's default
    assert recurring_credit.ending_before is None


def _counts() -> tuple[int, ...]:
    models = (Contract, Commit, AccessSegment, LedgerEntry, Override, ScheduledCharge)
    return tuple(m.objects.count() for m in (*models, RecurringCommit))


@pytest.mark.parametrize(
    "change, field",
    [
        (
            lambda b: b["commits"][0]["access_schedule"]["schedule_items"][0].update(
                ending_before="2025-06-01T00:00:00Z"
            ),
            "commits[0].access_schedule.schedule_items[0].ending_before",
        ),
        (
            lambda b: b["overrides"][0]["override_specifiers"][0].update(
                product_id="5d9a2c8e-0000-4000-8000-000000000000"
            ),
            "overrides[0].override_specifiers[0].product_id",
        ),
        (lambda b: b.update(ending_before="2025-01-01T00:00:00Z"), "ending_before"),
        (
            lambda b: b["recurring_commits"][0]["access_amount"].pop("unit_price"),
            "recurring_commits[0].access_amount.unit_price",
        ),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(sdk, catalog, change, field):
    body = _full_terms(catalog)
    change(body)
    before = _counts()
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.create(**body)
    assert err.value.body["message"].startswith(f"{field}:")
    assert _counts() == before


def _contract(sdk, catalog, **extra) -> str:
    body = {
        "customer_id": catalog["customer_id"],
        "starting_at": "2026-01-01T00:00:00Z",
        "rate_card_id": catalog["card"],
        **extra,
    }
    return sdk.v1.contracts.create(**body).data.id


def test_edit_is_recorded_and_idempotent_by_uniqueness_key(sdk, catalog):
    contract_id = _contract(sdk, catalog, name="Before")
    ids = {"customer_id": catalog["customer_id"], "contract_id": contract_id}
    edit = {
        "update_contract_name": "After",
        "add_credits": [
            {
                "product_id": catalog["credit_product"],
                "priority": 1,
                "name": "Goodwill",
                "access_schedule": {
                    "schedule_items": [
                        {
                            "amount": 2_500,
                            "starting_at": "2026-02-01T00:00:00Z",
                            "ending_before": "2026-03-01T00:00:00Z",
                        }
                    ]
                },
            }
        ],  # fmt: skip
        "add_overrides": [
            {
                "starting_at": "2026-02-01T00:00:00Z",
                "type": "OVERWRITE",
                "product_id": catalog["calls"],
                "overwrite_rate": {"rate_type": "FLAT", "price": 3},
            }
        ],  # fmt: skip
        "uniqueness_key": "edit-1",
    }
    first = sdk.v2.contracts.edit(**ids, **edit).data
    assert first.edit.update_contract_name == "After"
    assert [c.name for c in first.edit.add_credits] == ["Goodwill"]
    retried = sdk.v2.contracts.edit(**ids, **edit).data
    assert retried.id == first.id
    assert Commit.objects.filter(name="Goodwill").count() == 1
    assert Override.objects.filter(contract__public_id=contract_id).count() == 1

    with pytest.raises(metronome.ConflictError) as err:
        sdk.v2.contracts.edit(**ids, update_contract_name="Other", uniqueness_key="edit-1")
    assert "edit-1" in err.value.body["message"]
    assert ContractEdit.objects.filter(contract__public_id=contract_id).count() == 1

    got = sdk.v2.contracts.retrieve(**ids).data
    assert got.name == "After"
    assert [c.name for c in got.credits] == ["Goodwill"]
    assert got.overrides[0].overwrite_rate.price == 3

    credit_id = got.credits[0].id
    sdk.v2.contracts.edit(**ids, archive_credits=[{"id": credit_id}])
    history = sdk.v2.contracts.get_edit_history(**ids).data
    assert [h.id for h in history][0] == first.id
    assert history[0].uniqueness_key == "edit-1"
    assert history[0].add_credits[0].id == credit_id
    assert history[1].archive_credits[0].id == credit_id
    assert sdk.v2.contracts.retrieve(**ids).data.credits == []


def test_edit_rejects_bad_input_naming_the_field(sdk, catalog):
    contract_id = _contract(sdk, catalog)
    ids = {"customer_id": catalog["customer_id"], "contract_id": contract_id}
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v2.contracts.edit(
            **ids,
            add_commits=[
                {
                    "type": "PREPAID",
                    "product_id": catalog["commit_product"],
                    "priority": 1,
                    "access_schedule": {
                        "schedule_items": [
                            {
                                "amount": 1,
                                "starting_at": "2026-03-01T00:00:00Z",
                                "ending_before": "2026-02-01T00:00:00Z",
                            }
                        ]
                    },
                }
            ],  # fmt: skip
        )
    assert err.value.body["message"].startswith(
        "add_commits[0].access_schedule.schedule_items[0].ending_before:"
    )
    assert Commit.objects.count() == 0 and ContractEdit.objects.count() == 0


@pytest.fixture
def billed(catalog):
    """A contract with a prepaid commit and a finalized January usage statement."""
    world = catalog["world"]
    from billing_console.wire import Reader
    from contracts.terms.create import commit_create_from_wire

    commit_create_from_wire(
        Reader(
            {
                "type": "PREPAID",
                "product_id": catalog["commit_product"],
                "priority": 1,
                "name": "Commit",
                "access_schedule": {
                    "schedule_items": [
                        {
                            "amount": 1_000,
                            "starting_at": "2026-01-01T00:00:00Z",
                            "ending_before": "2027-01-01T00:00:00Z",
                        }
                    ]
                },
            }
        ),  # fmt: skip
        customer=world.customer,
        contract=world.contract,
    )
    send_calls(10, datetime(2026, 1, 5, tzinfo=UTC))
    invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    return {"customer_id": catalog["customer_id"], "contract_id": str(world.contract.public_id)}


def test_end_date_before_a_finalized_invoice_needs_the_flag(sdk, billed):
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.update_end_date(
            **billed,
            ending_before="2026-01-15T00:00:00Z",
            allow_ending_before_finalized_invoice=False,
        )
    assert err.value.body["message"].startswith("ending_before: the contract has a finalized")
    with pytest.raises(metronome.BadRequestError):
        sdk.v2.contracts.edit(
            **billed,
            update_contract_end_date="2026-01-15T00:00:00Z",
            allow_contract_ending_before_finalized_invoice=False,
        )
    assert Contract.objects.get().ending_before is None
    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.contracts.update_end_date(**billed, ending_before="2025-12-01T00:00:00Z")
    assert err.value.body["message"].startswith("ending_before: must be after")

    sdk.v1.contracts.update_end_date(
        **billed, ending_before="2026-03-01T00:00:00Z", allow_ending_before_finalized_invoice=False
    )
    assert Contract.objects.get().ending_before == datetime(2026, 3, 1, tzinfo=UTC)
    sdk.v1.contracts.update_end_date(
        **billed, ending_before="2026-01-15T00:00:00Z"
    )  # default: allowed
    assert Contract.objects.get().ending_before == datetime(2026, 1, 15, tzinfo=UTC)
    sdk.v1.contracts.update_end_date(**billed)  # none: open-ended again
    assert Contract.objects.get().ending_before is None


def test_archive_voids_invoices_and_expires_what_remains(sdk, billed):
    commit = Commit.objects.get(name="Commit")
    assert sum(e.amount for e in commit.ledger.all()) == 950  # 10 calls × 5 drawn
    got = sdk.v1.contracts.archive(**billed, void_invoices=True)
    assert got.data.id == billed["contract_id"]
    assert set(Invoice.objects.values_list("status", flat=True)) == {"VOID"}
    commit.refresh_from_db()
    assert commit.archived_at is not None
    assert sum(e.amount for e in commit.ledger.all()) == 0
    assert commit.ledger.filter(type="EXPIRATION").get().amount == -1_000  # usage given back
    assert sdk.v1.contracts.archive(**billed, void_invoices=True).data.id == billed["contract_id"]
    listed = sdk.v2.contracts.list(customer_id=billed["customer_id"]).data
    assert listed == []
    archived = sdk.v2.contracts.list(customer_id=billed["customer_id"], include_archived=True).data
    assert [c.id for c in archived] == [billed["contract_id"]]
    with pytest.raises(metronome.BadRequestError):
        sdk.v2.contracts.edit(**billed, update_contract_name="x")


def test_archive_keeps_finalized_invoices_unless_asked(sdk, billed):
    sdk.v1.contracts.archive(**billed, void_invoices=False)
    assert list(Invoice.objects.values_list("status", flat=True)) == ["FINALIZED"]
    commit = Commit.objects.get(name="Commit")
    assert sum(e.amount for e in commit.ledger.all()) == 0
    assert commit.ledger.filter(type="EXPIRATION").get().amount == -950


def test_edit_commit_and_credit(sdk, catalog):
    contract_id = _contract(sdk, catalog, **{
        "commits": [{"type": "PREPAID", "product_id": catalog["commit_product"], "priority": 1,
                     "access_schedule": {"schedule_items": [
                         {"amount": 1_000, "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-07-01T00:00:00Z"}]},
                     "invoice_schedule": {"schedule_items": [{"timestamp": "2026-01-01T00:00:00Z", "amount": 1_000}]}}],
        "credits": [{"product_id": catalog["credit_product"], "priority": 2,
                     "access_schedule": {"schedule_items": [
                         {"amount": 10, "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-02-01T00:00:00Z"},
                         {"amount": 20, "starting_at": "2026-02-01T00:00:00Z", "ending_before": "2026-03-01T00:00:00Z"}]}}],
    })  # fmt: skip
    ids = {"customer_id": catalog["customer_id"], "contract_id": contract_id}
    got = sdk.v2.contracts.retrieve(**ids).data
    commit, credit = got.commits[0], got.credits[0]
    segment = commit.access_schedule.schedule_items[0]
    billed_item = commit.invoice_schedule.schedule_items[0]

    result = sdk.v2.contracts.edit_commit(
        customer_id=catalog["customer_id"],
        commit_id=commit.id,
        priority=5,
        name="Renamed",
        applicable_product_ids=[catalog["calls"]],
        access_schedule={
            "update_schedule_items": [{"id": segment.id, "amount": 1_500}],
            "add_schedule_items": [
                {
                    "amount": 700,
                    "starting_at": "2026-07-01T00:00:00Z",
                    "ending_before": "2027-01-01T00:00:00Z",
                }
            ],
        },
        invoice_schedule={"update_schedule_items": [{"id": billed_item.id, "amount": 1_500}]},
    )
    assert result.data.id == commit.id
    sdk.v2.contracts.edit_credit(
        customer_id=catalog["customer_id"],
        credit_id=credit.id,
        access_schedule={
            "remove_schedule_items": [{"id": credit.access_schedule.schedule_items[1].id}]
        },
        applicable_product_tags=["usage"],
    )
    got = sdk.v2.contracts.retrieve(**ids, include_ledgers=True).data
    commit, credit = got.commits[0], got.credits[0]
    assert (commit.priority, commit.name, commit.applicable_product_ids) == (
        5,
        "Renamed",
        [catalog["calls"]],
    )
    assert [(s.amount, s.ending_before.month) for s in commit.access_schedule.schedule_items] == [
        (1_500, 7), (700, 1)
    ]  # fmt: skip
    assert commit.invoice_schedule.schedule_items[0].amount == 1_500
    assert sum(e.amount for e in commit.ledger) == 2_200  # the ledger follows the schedule
    assert [s.amount for s in credit.access_schedule.schedule_items] == [10]
    assert credit.applicable_product_tags == ["usage"]
    history = sdk.v2.contracts.get_edit_history(**ids).data
    assert [h.update_commits[0].id for h in history[:1]] == [commit.id]

    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v2.contracts.edit_commit(
            customer_id=catalog["customer_id"], commit_id=commit.id,
            access_schedule={"update_schedule_items": [{"id": segment.id, "ending_before": "2025-01-01T00:00:00Z"}]},
        )  # fmt: skip
    assert err.value.body["message"].startswith(
        "access_schedule.update_schedule_items[0].ending_before:"
    )
    with pytest.raises(metronome.NotFoundError):
        sdk.v2.contracts.edit_credit(
            customer_id=catalog["customer_id"], credit_id=commit.id, name="x"
        )


def _window() -> tuple[str, str]:
    now = timezone.now()
    return _iso(now - timedelta(days=10)), _iso(now + timedelta(days=20))


def test_customer_level_commits_and_credits(sdk, catalog):
    customer_id = catalog["customer_id"]
    start, end = _window()
    contract_id = str(catalog["world"].contract.public_id)
    commit_id = sdk.v1.customers.commits.create(
        customer_id=customer_id, type="PREPAID", product_id=catalog["commit_product"], priority=1,
        name="Shared commit", applicable_contract_ids=[contract_id], invoice_contract_id=contract_id,
        access_schedule={"schedule_items": [{"amount": 300, "starting_at": start, "ending_before": end}]},
        invoice_schedule={"schedule_items": [{"timestamp": start, "amount": 300}]},
    ).data.id  # fmt: skip
    credit_id = sdk.v1.customers.credits.create(
        customer_id=customer_id, product_id=catalog["credit_product"], priority=2, name="Shared credit",
        access_schedule={"schedule_items": [{"amount": 50, "starting_at": start, "ending_before": end}]},
    ).data.id  # fmt: skip
    stored = Commit.objects.get(public_id=commit_id)
    assert stored.contract is None and stored.applicable_contract_ids == [contract_id]

    commits = list(sdk.v1.customers.commits.list(customer_id=customer_id, include_balance=True))
    assert [(c.id, c.balance, c.applicable_contract_ids) for c in commits] == [
        (commit_id, 300, [contract_id])
    ]  # fmt: skip
    assert commits[0].invoice_contract.id == contract_id
    credits = list(sdk.v1.customers.credits.list(customer_id=customer_id, include_ledgers=True))
    assert [c.id for c in credits] == [credit_id]
    assert [(e.type, e.amount) for e in credits[0].ledger] == [("CREDIT_SEGMENT_START", 50)]

    with pytest.raises(metronome.BadRequestError) as err:
        sdk.v1.customers.commits.create(
            customer_id=customer_id, type="PREPAID", product_id=catalog["commit_product"], priority=1,
            access_schedule={"schedule_items": [{"amount": 1, "starting_at": start, "ending_before": end}]},
            invoice_schedule={"schedule_items": [{"timestamp": start, "amount": 1}]},
        )  # fmt: skip
    assert err.value.body["message"].startswith("invoice_contract_id:")
    with pytest.raises(metronome.ConflictError):
        for _ in range(2):
            sdk.v1.customers.credits.create(
                customer_id=customer_id, product_id=catalog["credit_product"], priority=1, uniqueness_key="k",
                access_schedule={"schedule_items": [{"amount": 1, "starting_at": start, "ending_before": end}]},
            )  # fmt: skip

    new_end = _iso(timezone.now() - timedelta(days=1))
    sdk.v1.customers.credits.update_end_date(
        customer_id=customer_id, credit_id=credit_id, access_ending_before=new_end
    )
    sdk.v1.customers.commits.update_end_date(
        customer_id=customer_id, commit_id=commit_id, access_ending_before=_iso(timezone.now() + timedelta(days=5))
    )  # fmt: skip
    now_iso = _iso(timezone.now())
    covering = list(sdk.v1.customers.credits.list(customer_id=customer_id, covering_date=now_iso))
    assert [c.id for c in covering] == [Commit.objects.get(uniqueness_key="k").public_id.__str__()]
    [commit] = list(sdk.v1.customers.commits.list(customer_id=customer_id, commit_id=commit_id))
    assert (
        commit.access_schedule.schedule_items[0].ending_before.date()
        == (timezone.now() + timedelta(days=5)).date()
    )
    contract_level = list(
        sdk.v1.customers.commits.list(customer_id=customer_id, include_contract_commits=True)
    )
    assert [c.id for c in contract_level] == [commit_id]  # this contract has no commits of its own


def test_manual_entries_balances_and_net_balance(sdk, catalog):
    customer_id = catalog["customer_id"]
    start, end = _window()
    contract_id = _contract(sdk, catalog, **{
        "commits": [{"type": "PREPAID", "product_id": catalog["commit_product"], "priority": 1,
                     "custom_fields": {}, "access_schedule": {"schedule_items": [
                         {"amount": 100, "starting_at": start, "ending_before": end}]}}],
        "credits": [{"product_id": catalog["credit_product"], "priority": 2, "access_schedule": {"schedule_items": [
            {"amount": 40, "starting_at": start, "ending_before": end},
            {"amount": 25, "starting_at": end, "ending_before": _iso(timezone.now() + timedelta(days=60))}]}}],
    })  # fmt: skip
    got = sdk.v2.contracts.retrieve(customer_id=customer_id, contract_id=contract_id).data
    commit, credit = got.commits[0], got.credits[0]
    segment = commit.access_schedule.schedule_items[0].id
    entry = {
        "customer_id": customer_id,
        "contract_id": contract_id,
        "id": commit.id,
        "segment_id": segment,
    }

    assert (
        sdk.v1.contracts.add_manual_balance_entry(
            **entry, amount=-30, reason="Outage", uniqueness_key="m1"
        )
        is None
    )
    sdk.v1.contracts.add_manual_balance_entry(
        **entry, amount=-30, reason="Outage", uniqueness_key="m1"
    )  # retry
    assert LedgerEntry.objects.filter(type="MANUAL").count() == 1
    with pytest.raises(metronome.ConflictError):
        sdk.v1.contracts.add_manual_balance_entry(
            **entry, amount=-31, reason="Outage", uniqueness_key="m1"
        )

    rows = list(sdk.v1.contracts.list_balances(
        customer_id=customer_id, include_contract_balances=True, include_balance=True, include_ledgers=True,
    ))  # fmt: skip
    by_id = {r.id: r for r in rows}
    assert by_id[commit.id].balance == 70
    assert [(e.type, e.amount) for e in by_id[commit.id].ledger] == [
        ("PREPAID_COMMIT_SEGMENT_START", 100), ("PREPAID_COMMIT_MANUAL", -30)
    ]  # fmt: skip
    assert by_id[commit.id].ledger[1].reason == "Outage"
    assert by_id[credit.id].balance == 40  # the upcoming segment is not available yet
    assert sdk.v1.contracts.get_net_balance(customer_id=customer_id).data.balance == 110
    only_credits = sdk.v1.contracts.get_net_balance(
        customer_id=customer_id, filters=[{"balance_types": ["CREDIT"]}]
    ).data
    assert only_credits.balance == 40 and only_credits.credit_type_id == _usd()
    assert sdk.v1.contracts.list_balances(customer_id=customer_id).data == []  # contract-level only

    with pytest.raises(metronome.BadRequestError) as err:  # a draw beyond the balance
        sdk.v1.contracts.add_manual_balance_entry(**entry, amount=-500, reason="Overdrawn")
    assert err.value.body["message"] == (
        f"amount: would take the balance of segment {segment} below zero "
        "(it holds 70; the entry is -500)."
    )
    assert LedgerEntry.objects.filter(type="MANUAL").count() == 1  # nothing written
    sdk.v1.contracts.add_manual_balance_entry(**entry, amount=-70, reason="Emptied")
    rows = list(sdk.v1.contracts.list_balances(
        customer_id=customer_id, include_contract_balances=True, include_balance=True, id=commit.id,
    ))  # fmt: skip
    assert [r.balance for r in rows] == [0]
    assert sdk.v1.contracts.get_net_balance(customer_id=customer_id).data.balance == 40
    assert list(sdk.v1.contracts.list_balances(
        customer_id=customer_id, include_contract_balances=True, exclude_zero_balances=True,
    ).data)[0].id == credit.id  # fmt: skip

    with pytest.raises(metronome.NotFoundError):
        sdk.v1.contracts.add_manual_balance_entry(
            **{**entry, "segment_id": credit.access_schedule.schedule_items[0].id},
            amount=1,
            reason="x",
        )


def test_contract_from_a_package_takes_its_rate_card_and_terms(sdk, catalog):
    from pricing.packages import package_create

    package = package_create(data={
        "name": "Growth", "rate_card_id": catalog["card"], "contract_name": "Growth plan",
        "duration": {"unit": "MONTHS", "value": 12},
        "credits": [{"product_id": catalog["credit_product"], "priority": 1, "access_schedule": {"schedule_items": [
            {"amount": 1_000, "starting_at_offset": {"unit": "MONTHS", "value": 0},
             "duration": {"unit": "MONTHS", "value": 3}}]}}],
    })  # fmt: skip
    other = customer_create(name="Beta", ingest_aliases=["beta"])
    contract_id = sdk.v1.contracts.create(
        customer_id=str(other.public_id), starting_at="2026-03-01T00:00:00Z",
        package_id=str(package.public_id),
        credits=[{"product_id": catalog["credit_product"], "priority": 2, "name": "Own", "access_schedule": {
            "schedule_items": [{"amount": 5, "starting_at": "2026-03-01T00:00:00Z", "ending_before": "2026-04-01T00:00:00Z"}]}}],
    ).data.id  # fmt: skip
    got = sdk.v2.contracts.retrieve(customer_id=str(other.public_id), contract_id=contract_id).data
    assert (got.name, got.rate_card_id) == ("Growth plan", catalog["card"])
    assert got.ending_before == datetime(2027, 3, 1, tzinfo=UTC)
    assert [(c.priority, c.access_schedule.schedule_items[0].ending_before) for c in got.credits] == [
        (1, datetime(2026, 6, 1, tzinfo=UTC)), (2, datetime(2026, 4, 1, tzinfo=UTC))
    ]  # fmt: skip
    assert Contract.objects.get(public_id=contract_id).package == package
