"""Evaluation is event-driven: an ingest, an invoice or a ledger change enqueues one task on
commit, for the customers touched (tasks run inline in tests, as a worker would run them)."""

from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import connection, transaction

from alerts import hooks
from alerts.models import CustomerAlert
from alerts.services import alert_create
from alerts.tests.factories import MID_JAN, published, send_calls, spend_world
from billing_console.lib.periods import Period
from billing_console.wire import Reader
from contracts.terms.create import commit_create_from_wire
from contracts.terms.ledger import ledger_manual_add
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import FEB, JAN
from usage.services import usage_ingest

pytestmark = pytest.mark.django_db


def test_an_ingest_that_crosses_the_threshold_alarms_on_commit(django_capture_on_commit_callbacks):
    world = spend_world(price=100)
    with time_machine.travel(MID_JAN, tick=False):
        alert = alert_create(data={"alert_type": "spend_threshold_reached", "name": "Budget",
                                   "threshold": 500, "evaluate_on_create": False})  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            send_calls(5, MID_JAN)
        assert len(callbacks) == 1  # one enqueue for the request, not one per event
    state = CustomerAlert.objects.get(alert=alert, customer=world.customer)
    assert (state.status, state.triggered_by, state.value) == ("in_alarm", "usage", Decimal("500"))
    assert [e.type for e in published()] == ["alerts.spend_threshold_reached"]


def test_ingest_enqueues_once_per_request_with_the_named_customers(
    django_capture_on_commit_callbacks,
):
    spend_world()
    events = [
        {"transaction_id": f"t{i}", "customer_id": "acme" if i % 2 else "unknown", "event_type": "call",
         "timestamp": MID_JAN.isoformat(), "properties": {}}
        for i in range(50)
    ]  # fmt: skip
    with mock.patch("alerts.tasks.alerts_evaluate_ingested.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            usage_ingest(events=events, now=MID_JAN)
    delay.assert_called_once_with(["acme", "unknown"])


def test_ledger_and_invoice_writes_in_one_transaction_enqueue_one_evaluation(
    django_capture_on_commit_callbacks,
):
    world = spend_world()
    send_calls(3, MID_JAN)
    # The test's own transaction still holds the setup's batch: start a new one.
    setattr(connection, hooks.BATCH_ATTRIBUTE, None)
    with mock.patch("alerts.tasks.alerts_evaluate_customers.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                credit = commit_create_from_wire(
                    Reader({"product_id": str(world.product.public_id), "priority": 1,
                            "access_schedule": {"schedule_items": [{
                                "amount": 1000, "starting_at": "2026-01-01T00:00:00Z",
                                "ending_before": "2027-01-01T00:00:00Z"}]}}),
                    customer=world.customer, contract=world.contract, kind="CREDIT",
                )  # fmt: skip
                invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
                segment = credit.segments.get()
                for amount in (10, 20, 30):
                    ledger_manual_add(
                        commit=credit, segment=segment, amount=Decimal(amount), reason="adj"
                    )
    calls = sorted(call.args for call in delay.call_args_list)
    assert calls == [([world.customer.pk], "balance"), ([world.customer.pk], "invoice")]


def test_evaluation_failure_for_one_customer_does_not_stop_the_others(caplog):
    from alerts.evaluation import customers_evaluate

    world = spend_world()
    alert_create(data={"alert_type": "spend_threshold_reached", "name": "B", "threshold": 1})
    with mock.patch("alerts.evaluation.measure", side_effect=RuntimeError("boom")):
        assert customers_evaluate([world.customer.pk], triggered_by="sweep") == 0
    assert "alert evaluation failed" in caplog.text


def test_ingests_for_a_hot_customer_share_one_evaluation_per_window(
    django_capture_on_commit_callbacks, settings
):
    """With a broker (not eager), ingests gather their customers and one evaluation of them is
    enqueued when the window closes."""
    from alerts.hooks import ingest_debounce
    from billing_console.celery import app

    spend_world()
    settings.ALERTS_EVALUATION_DEBOUNCE_SECONDS = 1
    ingest_debounce.clear()
    app.conf.task_always_eager = False
    try:
        with (
            mock.patch("alerts.tasks.alerts_evaluate_ingested.delay") as enqueue,
            mock.patch("threading.Timer"),
        ):
            for batch in range(3):
                with django_capture_on_commit_callbacks(execute=True):
                    send_calls(2, MID_JAN, prefix=f"hot{batch}")
            enqueue.assert_not_called()
            ingest_debounce.flush()  # the window closes
            enqueue.assert_called_once_with(["acme"])
            with django_capture_on_commit_callbacks(execute=True):
                send_calls(1, MID_JAN, prefix="later")
            ingest_debounce.flush()
            assert enqueue.call_count == 2
    finally:
        app.conf.task_always_eager = True
        ingest_debounce.clear()
