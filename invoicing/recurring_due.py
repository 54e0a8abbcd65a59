"""Recurring commits and credits issued before the statements that draw on them: the draft
refresh and the month close call this for their contracts, as the recurring sweep may not have
run yet for a period just begun."""

import logging
from datetime import datetime

from django.db import transaction

from contracts.models import RecurringCommit
from contracts.terms.issuance import recurring_item_issue

logger = logging.getLogger(__name__)


def recurring_issue_due(*, contract_ids: list[int], now: datetime) -> dict[int, BaseException]:
    """Issue the recurring commits and credits of these contracts for every period begun by
    `now` that lacks them, before statements draw on them (the sweep may not have run yet).
    Each contract's items are issued in a savepoint of their own: a contract whose issuance
    fails is rolled back alone and returned with its error (its callers record it on its
    draft and leave its statements be); the others' are issued."""
    by_contract: dict[int, list] = {}
    for item in (
        RecurringCommit.objects.filter(
            contract_id__in=contract_ids, archived_at__isnull=True, starting_at__lte=now
        )
        .select_related("contract__rate_card", "contract__customer", "product")
        .order_by("contract_id", "pk")
    ):
        by_contract.setdefault(item.contract_id, []).append(item)
    failed: dict[int, BaseException] = {}
    for contract_id, items in by_contract.items():
        try:
            with transaction.atomic():
                for item in items:
                    recurring_item_issue(item=item, now=now)
        except Exception as error:  # recorded by the caller, on the contract's draft
            logger.error("recurring commits of contract %s not issued", contract_id, exc_info=error)
            failed[contract_id] = error
    return failed
