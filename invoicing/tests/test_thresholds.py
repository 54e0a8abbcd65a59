"""Threshold billing: spend threshold charges and prepaid balance auto-recharge, end to end
from ingest (the events_ingested signal enqueues the evaluation) to invoices and ledgers."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from billing_console.api import ApplicationError
from contracts.models import Commit, Contract, ThresholdCharge, ThresholdChargeStatus
from contracts.terms.threshold_billing import prepaid_balance
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from invoicing.services import invoice_finalize_due
from invoicing.tasks import thresholds_sweep
from invoicing.tests.factories import MAR, priced_world, recharge_world, send_calls
from invoicing.thresholds import (
    contract_thresholds_evaluate,
    payment_gate_mark_failed,
    payment_gate_mark_paid,
)
from pricing.services import product_create
from webhooks import services as webhooks
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
APR = datetime(2026, 4, 1, tzinfo=UTC)


def _recharge_world(gate: str = "NONE"):
    return recharge_world(gate)


def _spend_world(gate: str = "NONE"):
    fixed = product_create(name="Threshold charge", type="FIXED")
    return priced_world(
        price=5,
        contract_extra={
            "spend_threshold_configuration": {
                "commit": {"product_id": str(fixed.public_id), "name": "Spend threshold charge"},
                "is_enabled": True,
                "payment_gate_config": {"payment_gate_type": gate},
                "threshold_amount": 1000,
            }
        },
    )


def _ingest(capture, count: int, prefix: str) -> None:
    """Ingest as the API does: the signal fires on commit and enqueues the evaluation."""
    with capture(execute=True):
        send_calls(count, timezone.now() - timedelta(minutes=5), prefix=prefix)


def _balance(contract: Contract) -> Decimal:
    contract.refresh_from_db()
    config = contract.prepaid_balance_threshold_configuration
    return prepaid_balance(contract=contract, config=config, at=timezone.now())


def _threshold_invoices(contract: Contract):
    return list(Invoice.objects.filter(contract=contract, type=InvoiceType.SCHEDULED))


def test_auto_recharge_tops_up_to_target_once(django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        world = _recharge_world()
        _ingest(django_capture_on_commit_callbacks, 700, "a")  # 3,500 cents used: 1,500 left
        assert ThresholdCharge.objects.count() == 0
        assert _balance(world.contract) == Decimal(1500)

        _ingest(django_capture_on_commit_callbacks, 140, "b")  # 700 more: 800 left < 1,000
        [charge] = ThresholdCharge.objects.all()
        assert (charge.kind, charge.sequence, charge.status) == (
            "PREPAID_BALANCE",
            1,
            ThresholdChargeStatus.RELEASED,
        )
        assert charge.observed == Decimal(800)
        assert charge.amount == Decimal(4200)
        assert _balance(world.contract) == Decimal(5000)

        [invoice] = _threshold_invoices(world.contract)
        assert invoice.status == InvoiceStatus.FINALIZED
        assert invoice.total == Decimal(4200)
        [line] = invoice.lines.all()
        assert (line.type, line.name, line.total) == (
            "COMMIT_PURCHASE",
            "Auto-recharge",
            Decimal(4200),
        )
        assert line.commit_public_id == charge.commit.public_id

        # Evaluating again (task retried, sweep, a second worker) charges nothing more.
        assert contract_thresholds_evaluate(contract=world.contract) == []
        thresholds_sweep()
        assert ThresholdCharge.objects.count() == 1
        assert len(_threshold_invoices(world.contract)) == 1
        assert _balance(world.contract) == Decimal(5000)

        # The next crossing is a new charge: 4,100 more used leaves 900, topped up by 4,100.
        _ingest(django_capture_on_commit_callbacks, 820, "c")
        second = ThresholdCharge.objects.get(sequence=2)
        assert (second.observed, second.amount) == (Decimal(900), Decimal(4100))
        assert _balance(world.contract) == Decimal(5000)


def test_spend_threshold_issues_one_invoice_and_zeroes_outstanding_spend(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(NOW, tick=False):
        world = _spend_world()
        _ingest(django_capture_on_commit_callbacks, 150, "a")  # 750 cents: under 1,000
        assert ThresholdCharge.objects.count() == 0
        _ingest(django_capture_on_commit_callbacks, 60, "b")  # 1,050 cents: reached
        [charge] = ThresholdCharge.objects.all()
        assert (charge.kind, charge.observed, charge.amount) == (
            "SPEND",
            Decimal(1050),
            Decimal(1050),
        )
        [invoice] = _threshold_invoices(world.contract)
        assert (invoice.status, invoice.total) == (InvoiceStatus.FINALIZED, Decimal(1050))
        statement = Invoice.objects.get(
            contract=world.contract, type=InvoiceType.USAGE, period_start=MAR
        )
        assert statement.total == Decimal(0)  # outstanding spend is zero
        assert contract_thresholds_evaluate(contract=world.contract) == []

        _ingest(django_capture_on_commit_callbacks, 20, "c")  # 100 cents more: under again
        assert ThresholdCharge.objects.count() == 1

    with time_machine.travel(APR + timedelta(days=2), tick=False):
        assert invoice_finalize_due(now=timezone.now(), grace=timedelta(hours=24)) == 1
    statement.refresh_from_db()
    assert statement.status == InvoiceStatus.FINALIZED
    lines = {line.type: line.total for line in statement.lines.all()}
    assert lines == {"USAGE": Decimal(1150), "APPLIED_COMMIT": Decimal(-1050)}
    assert statement.total == Decimal(100)
    assert statement.subtotal == Decimal(1150)


def test_gated_recharge_is_unusable_until_paid(django_capture_on_commit_callbacks):
    with receiver([200]) as hook, time_machine.travel(NOW, tick=False):
        webhooks.endpoint_create(url=hook.url, event_types=["payment_gate.*"])
        world = _recharge_world(gate="EXTERNAL")
        _ingest(django_capture_on_commit_callbacks, 840, "a")  # 800 left
        [charge] = ThresholdCharge.objects.all()
        assert charge.status == ThresholdChargeStatus.PENDING_PAYMENT
        [invoice] = _threshold_invoices(world.contract)
        assert invoice.total == Decimal(4200)
        assert _balance(world.contract) == Decimal(800)  # the commit is not usable yet
        assert charge.commit.segments.get().amount == Decimal(4200)
        # Usage beyond the old balance is not drawn from the pending commit.
        _ingest(django_capture_on_commit_callbacks, 200, "b")  # 1,000 more: 200 short
        statement = Invoice.objects.get(contract=world.contract, type=InvoiceType.USAGE)
        assert statement.total == Decimal(200)
        assert ThresholdCharge.objects.count() == 1  # pending: no second charge

        with django_capture_on_commit_callbacks(execute=True):
            payment_gate_mark_paid(invoice=invoice)
            payment_gate_mark_paid(invoice=invoice)  # idempotent
        charge.refresh_from_db()
        assert charge.status == ThresholdChargeStatus.RELEASED
        statement.refresh_from_db()
        assert statement.total == Decimal(0)  # the released commit covers the overage
        assert _balance(world.contract) == Decimal(4000)
        events = [json.loads(r.body) for r in hook.wait_for(3)]

    assert [e["type"] for e in events] == [
        "payment_gate.threshold_reached",
        "payment_gate.external_initiate",
        "payment_gate.payment_status",
    ]
    assert events[0]["data"]["workflow_id"] == str(charge.public_id)
    assert events[0]["data"]["invoice_total"] == 4200
    assert events[2]["data"]["payment_status"] == "paid"


def test_failed_payment_voids_the_invoice_and_disables_recharge(django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        world = _recharge_world(gate="STRIPE")
        _ingest(django_capture_on_commit_callbacks, 840, "a")
        [invoice] = _threshold_invoices(world.contract)
        with django_capture_on_commit_callbacks(execute=True):
            charge = payment_gate_mark_failed(invoice=invoice)
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.VOID
        assert charge.status == ThresholdChargeStatus.FAILED
        assert Commit.objects.get(pk=charge.commit_id).archived_at is not None
        world.contract.refresh_from_db()
        assert world.contract.prepaid_balance_threshold_configuration["is_enabled"] is False
        assert contract_thresholds_evaluate(contract=world.contract) == []
        with pytest.raises(ApplicationError) as err:
            payment_gate_mark_paid(invoice=invoice)
        assert err.value.code == "conflict"


def test_gated_spend_threshold_draws_only_once_paid(django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        world = _spend_world(gate="EXTERNAL")
        _ingest(django_capture_on_commit_callbacks, 220, "a")  # 1,100 cents
        [charge] = ThresholdCharge.objects.all()
        statement = Invoice.objects.get(contract=world.contract, type=InvoiceType.USAGE)
        assert statement.total == Decimal(1100)
        _ingest(django_capture_on_commit_callbacks, 220, "b")  # 2,200: still one pending charge
        assert ThresholdCharge.objects.count() == 1
        [invoice] = _threshold_invoices(world.contract)
        payment_gate_mark_paid(invoice=invoice)
        statement.refresh_from_db()
        # 1,100 granted and drawn; the re-evaluation then charged the 1,100 accrued since.
        assert ThresholdCharge.objects.count() == 2
        assert statement.total == Decimal(1100)
        second = ThresholdCharge.objects.get(sequence=2)
        assert (second.amount, second.status) == (
            Decimal(1100),
            ThresholdChargeStatus.PENDING_PAYMENT,
        )


def test_not_a_threshold_invoice(django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        world = _spend_world()
        _ingest(django_capture_on_commit_callbacks, 10, "a")
        statement = Invoice.objects.get(contract=world.contract, type=InvoiceType.USAGE)
        with pytest.raises(ApplicationError) as err:
            payment_gate_mark_paid(invoice=statement)
        assert err.value.code == "not_found"


def test_ingest_enqueues_one_evaluation_per_request(django_capture_on_commit_callbacks):
    from unittest import mock

    with time_machine.travel(NOW, tick=False):
        _spend_world()
        with mock.patch("invoicing.tasks.thresholds_evaluate_customers.delay") as delay:
            _ingest(django_capture_on_commit_callbacks, 30, "a")
        delay.assert_called_once_with(["acme"])


def test_ingests_inside_a_window_share_one_evaluation(django_capture_on_commit_callbacks):
    """With a broker (not eager) ingests gather their customers; one evaluation of them is
    enqueued when the window closes (billing_console/lib/debounce.py)."""
    from unittest import mock

    from billing_console.celery import app
    from invoicing.receivers import ingest_debounce

    with time_machine.travel(NOW, tick=False):
        _spend_world()
        ingest_debounce.clear()
        app.conf.task_always_eager = False
        try:
            with (
                mock.patch("invoicing.tasks.thresholds_evaluate_customers.delay") as send,
                mock.patch("threading.Timer"),
            ):
                for batch in "abc":
                    _ingest(django_capture_on_commit_callbacks, 2, batch)
                send.assert_not_called()
                ingest_debounce.flush()  # the window closes
                send.assert_called_once_with(["acme"])
                _ingest(django_capture_on_commit_callbacks, 2, "d")
                ingest_debounce.flush()
                assert send.call_count == 2
        finally:
            app.conf.task_always_eager = True
            ingest_debounce.clear()


def test_a_manual_ledger_entry_that_drains_the_balance_triggers_a_recharge(
    django_capture_on_commit_callbacks,
):
    from contracts.terms.ledger import ledger_manual_add

    with time_machine.travel(NOW, tick=False):
        world = _recharge_world()
        commit = Commit.objects.get(contract=world.contract, name="Starting balance")
        with django_capture_on_commit_callbacks(execute=True):
            ledger_manual_add(
                commit=commit, segment=commit.segments.get(), amount=Decimal(-4500),
                reason="Goodwill reversal",
            )  # fmt: skip
        [charge] = ThresholdCharge.objects.all()
        assert (charge.observed, charge.amount) == (Decimal(500), Decimal(4500))
        assert _balance(world.contract) == Decimal(5000)


def test_enabling_a_configuration_evaluates_at_once(django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        world = _recharge_world()
        contract = world.contract
        config = dict(contract.prepaid_balance_threshold_configuration, threshold_amount=6000,
                      recharge_to_amount=8000)  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            contract.prepaid_balance_threshold_configuration = config
            contract.save(update_fields=["prepaid_balance_threshold_configuration"])
        [charge] = ThresholdCharge.objects.all()
        assert (charge.observed, charge.amount) == (Decimal(5000), Decimal(3000))


def test_excluded_balances_do_not_count(django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        world = _recharge_world()
        contract = world.contract
        Commit.objects.filter(contract=contract).update(custom_fields={"source": "promo"})
        config = dict(contract.prepaid_balance_threshold_configuration)
        assert prepaid_balance(contract=contract, config=config, at=NOW) == Decimal(5000)
        config["threshold_balance_specifiers"] = [{"exclude": [{"custom_field_filters": [
            {"entity": "Commit", "key": "source", "value": "promo"}
        ]}]}]  # fmt: skip
        assert prepaid_balance(contract=contract, config=config, at=NOW) == Decimal(0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
)
def test_concurrent_evaluations_charge_a_crossing_once():
    """Three workers evaluate the same crossing at once: the contract row lock serializes
    them and the later ones see the recharge, so there is one charge and one invoice."""
    import threading
    from unittest import mock

    with time_machine.travel(NOW, tick=False):
        world = _recharge_world()
        with mock.patch("invoicing.tasks.thresholds_evaluate_customers.delay"):
            send_calls(840, NOW - timedelta(hours=1), prefix="a")  # 800 left, not yet evaluated
        assert ThresholdCharge.objects.count() == 0
        barrier = threading.Barrier(3)
        errors: list[BaseException] = []

        def evaluate() -> None:
            try:
                barrier.wait()
                contract_thresholds_evaluate(contract=world.contract)
            except BaseException as err:  # reported below
                errors.append(err)
            finally:
                connection.close()

        threads = [threading.Thread(target=evaluate) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    [charge] = ThresholdCharge.objects.all()
    assert charge.amount == Decimal(4200)
    assert len(_threshold_invoices(world.contract)) == 1


def test_a_statement_that_cannot_be_computed_charges_nothing_and_is_recorded(
    django_capture_on_commit_callbacks,
):
    from unittest import mock

    from usage.sql import SqlMetricFailed

    with time_machine.travel(NOW, tick=False):
        world = _spend_world()
        failure = SqlMetricFailed("numeric field overflow")
        with mock.patch("invoicing.thresholds.invoice_compute_usage", side_effect=failure):
            _ingest(django_capture_on_commit_callbacks, 210, "a")  # 1,050 cents, unreadable
        assert ThresholdCharge.objects.count() == 0
        draft = Invoice.objects.get(contract=world.contract, type=InvoiceType.USAGE)
        assert draft.status == InvoiceStatus.DRAFT and "numeric field overflow" in draft.error
