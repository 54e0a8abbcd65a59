"""A new contract's invoices, there as soon as it is saved: the API's and the console's create
ask for them, and they are computed right after the create commits (still in its request), so
the contract page lists its drafts at once instead of after the next background refresh.

Kept apart from the create: a failure to compute never fails it (it has committed already). A
statement that fails is recorded on its draft by the refresh itself (invoicing.failures); any
other failure is recorded the same way, on the statement of the period under way, and logged.
The background refresh computes whatever is left (statements beyond READ_MAX_NEW_STATEMENTS of
a contract backdated far into the past, anything that failed).
"""

import logging

from django.db import transaction
from django.utils import timezone

from contracts.models import Contract
from invoicing.failures import statement_failed
from invoicing.services import contract_invoices_refresh, contract_statement_periods

logger = logging.getLogger(__name__)
# Statements computed at create (3 years of monthly ones); the background refresh makes the rest.
READ_MAX_NEW_STATEMENTS = 36


def contract_invoices_on_create(*, contract: Contract) -> None:
    """Compute the new contract's statements and scheduled invoices through now, once the
    create's transaction commits (at once when there is none)."""
    transaction.on_commit(lambda: contract_invoices_compute(contract_id=contract.pk), robust=True)


def contract_invoices_compute(*, contract_id: int) -> None:
    contract = (
        Contract.objects.select_related("customer", "rate_card").filter(pk=contract_id).first()
    )
    if contract is None or contract.archived_at is not None:
        return
    now = timezone.now()
    try:
        contract_invoices_refresh(contract=contract, through=now, max_new=READ_MAX_NEW_STATEMENTS)
    except Exception as error:  # the create stands; the failure is shown on the contract's draft
        logger.exception("invoices of new contract %s could not be computed", contract.public_id)
        periods = contract_statement_periods(contract, now)
        if periods:
            try:
                statement_failed(contract=contract, period=periods[-1], error=error)
            except Exception:  # recording it failed too: the log above has it
                logger.exception("could not record the failure on contract %s", contract.public_id)
