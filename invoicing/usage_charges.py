"""Scheduled charges consolidated onto usage statements: Metronome's
`scheduled_charges_on_usage_invoices: ALL` for scheduled charges. On a contract with it, a
scheduled charge item dated at the end of one of the contract's usage statement periods (the
usage invoice's `ending_before`, Metronome's rule) is a line of that statement, rated with it
(invoicing.rating.statement.usage_charge_line) and finalized with it; any other item stays on
its own SCHEDULED invoice (invoicing.services.contract_scheduled_invoices_sync).

The API refuses the field on contracts/create (contracts.wire.fields); the plan-backed contracts
of Metronome 1.0 plans carry it, so that `addCharge` puts a one-time charge on a plan's usage
invoice (plans.invoice_charges). Commit purchases are not consolidated."""

from collections.abc import Iterable

from billing_console.lib.periods import Period
from contracts.models import Contract, ScheduledChargeItem
from invoicing.rating.snapshot import UsageChargeTerms
from invoicing.rating.terms import product_ref
from invoicing.statement_pieces import statement_periods

CONSOLIDATE_ALL = "ALL"


def consolidates(contract: Contract) -> bool:
    return contract.scheduled_charges_on_usage_invoices == CONSOLIDATE_ALL


def consolidated_items(
    contract: Contract, invoice_period: Period, window: Period
) -> list[ScheduledChargeItem]:
    """The scheduled charge items on the usage statement of `invoice_period`, when `window`
    (the period rated: the invoice's, or a breakdown's part of it) holds the period's end.
    No query unless the contract consolidates."""
    end = invoice_period.end
    if not consolidates(contract) or not (window.start < end <= window.end):
        return []
    return list(
        ScheduledChargeItem.objects.filter(
            charge__contract=contract, charge__archived_at__isnull=True, timestamp=end
        ).select_related("charge__product")
    )


def usage_charge_terms(item: ScheduledChargeItem) -> UsageChargeTerms:
    charge = item.charge
    return UsageChargeTerms(
        pk=item.pk, charge_public_id=charge.public_id, product=product_ref(charge.product),
        name=charge.name, quantity=item.quantity, unit_price=item.unit_price, amount=item.amount,
    )  # fmt: skip


def on_usage_statements(contract: Contract, items: Iterable[ScheduledChargeItem]) -> set[int]:
    """The pks of `items` billed on a usage statement rather than a SCHEDULED invoice."""
    items = list(items)
    if not items or not consolidates(contract):
        return set()
    ends = {p.end for p in statement_periods(contract, max(i.timestamp for i in items))}
    return {i.pk for i in items if i.timestamp in ends}
