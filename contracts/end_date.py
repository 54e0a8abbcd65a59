"""Moving a contract's end date: one rule for /v1/contracts/updateEndDate, the
update_contract_end_date of a /v2/contracts/edit, the console's end-date form and the earlier
contract of a renewal or supersede (contracts/terms/hierarchy.py, ended where the new one starts).

The rule is Metronome's ("ending a contract early ... truncates any terms and removes upcoming
scheduled invoices"): every time the end is set, what lies at or after it and is not on a
finalized invoice is trimmed —
- scheduled charge items and discount items dated at or after the end are removed (a discount
  after the end would still reduce scheduled invoices after it);
- prepaid commits' invoice schedule items dated at or after the end are removed, a customer-level
  commit's too when it is invoiced on this contract (its invoice_contract): they would land on
  the ended contract's scheduled invoices, which Metronome removes; its access is the
  customer's and is not cut;
- access segments (commits and credits) that begin at or after the end are removed, and the
  one that spans it is cut there: what is unused at the end expires then (ledger.segments_expire);
  a commit or credit left with no access is archived, with what it was still to invoice.
Items dated after the end that a finalized invoice already bills stay (finalized invoices never
change), and so do professional services already invoiced (scheduleProServicesInvoice: what was
invoiced stays; a new issued_at at or after the end is refused). A later end (or none) extends
only the contract: nothing trimmed before comes back. An item added or moved to the end or after
is refused (contracts/terms/finalized_moments.py): it would never be invoiced.

Refused (400, nothing written) where trimming would rewrite what already happened: a segment
to remove holds more than its grant and provisional draft drawdown (usage on a finalized
invoice, a manual entry, a rollover), or a segment to cut was already closed at its old end.

What is trimmed (contracts/end_date_plan.py) is recorded with the edit (`end_date_trim`) and shown to a
console user before they confirm (contracts/console/end_date.py); the drafts are then brought
in line by invoicing (contracts.signals.contract_billing_changed).
"""

from datetime import datetime
from typing import Any

from django.db import transaction

from billing_console.api import ApplicationError
from billing_console.lib.wire_values import iso
from contracts.end_date_plan import EndDatePlan, end_date_apply, end_date_plan, plan_to_wire
from contracts.models import Contract, ContractEdit
from contracts.signals import contract_billing_changed_send

END_BEFORE_FINALIZED = (
    "{field}: the contract has a finalized invoice through {end}; set {flag} to end it earlier."
)


def latest_finalized_end(contract: Contract) -> datetime | None:
    from django.apps import apps

    invoice_model = apps.get_model("invoicing", "Invoice")  # invoicing sits above contracts
    latest = (
        invoice_model.objects.filter(contract=contract, status__in=["FINALIZED", "PAID"])
        .order_by("-period_end")
        .first()
    )
    return latest.period_end if latest else None


def end_date_check(
    contract: Contract, end: datetime | None, *, allow: bool, field: str, flag: str
) -> None:
    """Refuse an end at or before the start, and (unless `allow`) before the end of a period
    that a finalized invoice already billed."""
    if end is not None and end <= contract.starting_at:
        raise ApplicationError(f"{field}: must be after the contract's starting_at.")
    finalized_end = latest_finalized_end(contract)
    if end is not None and finalized_end and end < finalized_end and not allow:
        raise ApplicationError(
            END_BEFORE_FINALIZED.format(field=field, end=finalized_end.isoformat(), flag=flag)
        )


def end_date_preview(
    contract: Contract, end: datetime | None, *, allow: bool, field: str, flag: str
) -> EndDatePlan:
    """The check and the plan, writing nothing: what the console shows before a move."""
    end_date_check(contract, end, allow=allow, field=field, flag=flag)
    return end_date_plan(contract, end, field=field)


def contract_end_date_move(
    *, contract: Contract, end: datetime | None, allow: bool, field: str, flag: str
) -> EndDatePlan:
    """Check, trim and set the end of a contract the caller has locked; returns the plan
    applied. The caller records the edit and sends contract_billing_changed."""
    plan = end_date_preview(contract, end, allow=allow, field=field, flag=flag)
    end_date_apply(plan, field=field)
    contract.ending_before = end
    contract.save(update_fields=["ending_before", "updated_at"])
    return plan


def contract_end_date_recorded(
    *,
    contract: Contract,
    end: datetime | None,
    allow: bool,
    field: str,
    flag: str,
    request: dict[str, Any],
    actor: str = "",
) -> ContractEdit | None:
    """Move the end of a contract the caller has locked, bring its drafts in line and record
    the edit (returned); setting the end it already has, trimming nothing, is no edit."""
    previous = contract.ending_before
    plan = contract_end_date_move(contract=contract, end=end, allow=allow, field=field, flag=flag)
    if previous == end and not plan.trims:
        return None
    trim = plan_to_wire(plan)
    wire = {"update_contract_end_date": iso(end), **({"end_date_trim": trim} if trim else {})}
    changes = dict(wire)
    drafts = contract_billing_changed_send(contract, end_date_moved=True)
    if drafts:
        changes["draft_invoices"] = drafts
    return ContractEdit.objects.create(
        contract=contract, changes=changes, wire=wire, actor=actor, request=request
    )


@transaction.atomic
def contract_update_end_date(
    *,
    contract: Contract,
    ending_before: datetime | None,
    allow_before_finalized: bool = True,
    actor: str = "",
) -> ContractEdit | None:
    """/v1/contracts/updateEndDate: set (or, with None, remove) the end by the rule above.
    Metronome defaults allow_ending_before_finalized_invoice to true; false refuses to cut into
    billed periods. Recorded in the edit history when it changes anything (that record is
    returned); setting the end it already has, trimming nothing, is no edit."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.archived_at is not None:
        raise ApplicationError("contract_id: the contract is archived.")
    return contract_end_date_recorded(
        contract=contract, end=ending_before, allow=allow_before_finalized,
        field="ending_before", flag="allow_ending_before_finalized_invoice", actor=actor,
        request={"ending_before": iso(ending_before),
                 "allow_ending_before_finalized_invoice": allow_before_finalized},
    )  # fmt: skip
