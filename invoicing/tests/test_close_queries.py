"""The month close (invoicing.close.invoices_close): a batch's query count does not grow with
its drafts, with ingest aliases to read and a webhook endpoint to deliver invoice.finalized to;
each finalized invoice gets its one event and one delivery."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.close import invoices_close
from invoicing.models import Invoice, InvoiceStatus
from invoicing.tests.factories import FEB, plain_contracts
from webhooks.models import Delivery, OutboundEvent
from webhooks.services import endpoint_create
from webhooks.tests.receiver import receiver


@pytest.mark.django_db
def test_a_close_batch_query_count_does_not_grow_with_its_drafts():
    with receiver([200]) as hook:
        endpoint = endpoint_create(url=hook.url)  # not reached: on_commit never runs here
    first = Invoice.objects.filter(contract_id__in=plain_contracts(1, "w"), period_start=FEB)
    invoices_close(invoice_ids=list(first.values_list("pk", flat=True)))  # starts the numbering
    counts = {}
    for name, ids in (("small", plain_contracts(2, "s")), ("large", plain_contracts(10, "l"))):
        drafts = Invoice.objects.filter(contract_id__in=ids, period_start=FEB)
        with CaptureQueriesContext(connection) as close:
            closed = invoices_close(invoice_ids=list(drafts.values_list("pk", flat=True)))
        counts[name] = len(close)
        assert len(closed) == len(ids)
        assert set(drafts.values_list("status", flat=True)) == {InvoiceStatus.FINALIZED}
    assert counts["small"] == counts["large"], counts
    finalized = Invoice.objects.filter(status=InvoiceStatus.FINALIZED)
    keys = sorted(f"invoice:{i.public_id}:finalized" for i in finalized)
    assert sorted(OutboundEvent.objects.values_list("key", flat=True)) == keys
    assert Delivery.objects.filter(endpoint=endpoint).count() == 13
