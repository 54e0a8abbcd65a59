"""Background work of contracts: issuing recurring commits and credits as periods start."""

from celery import shared_task
from django.utils import timezone

from contracts.models import Contract
from contracts.terms.issuance import contract_recurring_issue, contracts_with_recurring


@shared_task
def recurring_commits_issue() -> int:
    """Fan out: one issuing task per contract with a started recurring commit or credit."""
    count = 0
    for contract_id in contracts_with_recurring(timezone.now()):
        contract_recurring_issue_task.delay(contract_id)
        count += 1
    return count


@shared_task
def contract_recurring_issue_task(contract_id: int) -> int:
    """Issue the commits of every started period of one contract's recurring items (idempotent)."""
    contract = Contract.objects.filter(pk=contract_id, archived_at__isnull=True).first()
    if contract is None:
        return 0
    return len(contract_recurring_issue(contract=contract, now=timezone.now()))
