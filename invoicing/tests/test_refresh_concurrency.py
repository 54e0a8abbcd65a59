"""A read that finds its contract's statements being recomputed by another request reads the
draft as it stands instead of queueing behind it (PostgreSQL only: SQLite has no row locks)."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction

from contracts.models import Contract
from invoicing.models import Invoice
from invoicing.refresh_triggers import drafts_refresh_on_events_ingested
from invoicing.selectors import customer_invoices_refresh
from invoicing.tests.factories import priced_world, send_calls
from usage.signals import events_ingested

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)"),
]

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
UID = "invoicing.drafts_refresh_on_events_ingested"


@contextmanager
def _no_refresh_on_ingest() -> Iterator[None]:
    events_ingested.disconnect(dispatch_uid=UID)
    try:
        yield
    finally:
        events_ingested.connect(drafts_refresh_on_events_ingested, dispatch_uid=UID)


def test_a_read_does_not_queue_behind_a_recompute_of_the_same_contract():
    world = priced_world(price=5)
    send_calls(3, NOW - timedelta(hours=1))
    with time_machine.travel(NOW):
        customer_invoices_refresh(customer=world.customer, now=NOW)
    draft = Invoice.objects.get(
        contract=world.contract, period_start=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert draft.total == 15
    with _no_refresh_on_ingest():  # the draft is now stale (the ingest's refresh not yet run)
        send_calls(2, NOW - timedelta(minutes=30))

    locked, release = threading.Event(), threading.Event()

    def recompute_elsewhere() -> None:
        try:
            with transaction.atomic():
                Contract.objects.select_for_update().get(pk=world.contract.pk)
                locked.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    holder = threading.Thread(target=recompute_elsewhere)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        with time_machine.travel(NOW + timedelta(minutes=1)):
            customer_invoices_refresh(customer=world.customer, now=NOW + timedelta(minutes=1))
        assert time.monotonic() - started < 2  # did not wait for the lock
        draft.refresh_from_db()
        assert draft.total == 15  # as it stood
    finally:
        release.set()
        holder.join()

    with time_machine.travel(NOW + timedelta(minutes=2)):
        customer_invoices_refresh(customer=world.customer, now=NOW + timedelta(minutes=2))
    draft.refresh_from_db()
    assert draft.total == 25  # once free, the next read brings it up to date
