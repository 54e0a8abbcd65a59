"""One contract's failure never stops the others' billing.

The draft refresh, the month close, the threshold sweeps and the reads that refresh drafts
compute each contract on its own, in a savepoint. A contract whose statement cannot be computed
(a SQL metric that fails on its customer's events, a defect) is rolled back alone; the failure
is recorded where finance sees it (the draft's `error`, shown on the invoice and in lists; the
SQL metric's `error`; an `invoice.compute_failed` webhook once per distinct failure), logged
with its traceback, and the others go on. The month close leaves such a draft a draft.
"""

import hashlib
import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from contracts.models import Contract
from invoicing.models import Invoice, InvoiceStatus, InvoiceType
from usage.selectors import metric_failure_record
from usage.sql import SqlMetricFailed

logger = logging.getLogger(__name__)
EVENT_TYPE = "invoice.compute_failed"


def describe(error: BaseException) -> str:
    """What finance reads: the business message of an expected failure, else the defect's type
    (its details are in the log, not on an invoice)."""
    if isinstance(error, ApplicationError):
        return error.message
    return f"internal error ({type(error).__name__}); details are in the server log."


def statement_failed(
    *, contract: Contract, period: Period, error: BaseException, invoice: Invoice | None = None
) -> Invoice | None:
    """Record that the usage statement of `contract` for `period` could not be computed: on its
    draft (an empty draft is created when the failure left none), and on the SQL metric that
    failed. Call after the failed work was rolled back. Returns the draft (None when the
    period's invoice is already final: it is never recomputed)."""
    logger.error(
        "statement of contract %s for %s failed", contract.public_id, period.start, exc_info=error
    )
    message, now = describe(error), timezone.now()
    with transaction.atomic():
        invoice = invoice or _live(contract, period.start)
        if invoice is None:
            from invoicing.services import contract_credit_type

            invoice = Invoice.objects.create(
                customer=contract.customer, contract=contract, type=InvoiceType.USAGE,
                credit_type=contract_credit_type(contract), period_start=period.start,
                period_end=period.end, issued_at=period.end,
            )  # fmt: skip
        if not invoice.is_draft:
            return None
        repeated = invoice.error == message
        Invoice.objects.filter(pk=invoice.pk).update(error=message, error_at=now)
        invoice.error, invoice.error_at = message, now
        _metric_failed(error)
        if not repeated:
            _publish(invoice, message, now)
    return invoice


def contract_failed(*, contract: Contract, periods: list[Period], error: BaseException) -> None:
    """A failure of the whole contract (its recurring commits or scheduled invoices), before
    any statement was computed: recorded on its first statement not yet final, the next the
    month close would finalize, which stays a draft."""
    final = set(
        Invoice.objects.filter(contract=contract, type=InvoiceType.USAGE)
        .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
        .values_list("period_start", flat=True)
    )
    period = next((p for p in periods if p.start not in final), None)
    if period is not None:
        statement_failed(contract=contract, period=period, error=error)


def _live(contract: Contract, start: datetime) -> Invoice | None:
    return (
        Invoice.objects.filter(contract=contract, type=InvoiceType.USAGE, period_start=start)
        .exclude(status=InvoiceStatus.VOID)
        .first()
    )


def _metric_failed(error: BaseException) -> None:
    if isinstance(error, SqlMetricFailed) and error.metric is not None:
        metric_failure_record(error)


def _publish(invoice: Invoice, message: str, now: datetime) -> None:
    from webhooks.services import event_publish

    digest = hashlib.sha256(message.encode()).hexdigest()[:16]
    event_publish(
        EVENT_TYPE,
        {
            "invoice_id": str(invoice.public_id),
            "customer_id": str(invoice.customer.public_id),
            "contract_id": str(invoice.contract.public_id),
            "period_start": invoice.period_start.isoformat(),
            "error": message,
            "failed_at": now.isoformat(),
        },
        key=f"{EVENT_TYPE}:{invoice.public_id}:{digest}",
    )
