"""What voiding or regenerating an invoice does, read before it is done: the console says it
on the confirmation, with amounts (invoicing.views, templates/invoicing/invoice_detail.html).

Voiding (invoicing.services.invoice_void) keeps the invoice, marked VOID, and appends ledger
entries giving back everything it drew from prepaid commits and credits (and, for a postpaid
commit, the spend it counted toward the minimum). The copy at the billing provider is not
touched: it stays as the provider has it (finalized, paid...) until someone voids or refunds it
there; we only stop collecting it. While the contract is active, the next statement refresh
gives the period (or the scheduled moment) a new draft, which the close finalizes: a void alone
does not cancel the billing. Regenerating voids, then computes that new draft at once with
current usage, rates and balances: it draws again what it needs.
"""

from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from billing_console.lib.periods import Period
from contracts.models import Commit, CommitKind, LedgerEntry, LedgerEntryType
from customers.models import BillingProvider
from invoicing.failures import describe
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, InvoiceType, LineItem
from invoicing.providers.sync import invoice_configuration
from invoicing.services import draft_usage_statement

KINDS = {
    CommitKind.PREPAID: "prepaid commit",
    CommitKind.POSTPAID: "postpaid commit",
    CommitKind.CREDIT: "credit",
}


@dataclass(frozen=True)
class Drawn:
    """What an invoice takes from one commit or credit, in the commit's unit."""

    name: str
    kind: str  # "prepaid commit", "postpaid commit", "credit"
    amount: Decimal  # positive, in `credit_type`'s unit (USD cents)
    credit_type: Any

    @property
    def postpaid(self) -> bool:
        return self.kind == KINDS[CommitKind.POSTPAID]


@dataclass(frozen=True)
class ProviderCopy:
    provider: str  # "Stripe"
    external_id: str  # in_..., "" while queued
    status: str  # as the provider has it: "finalized", "paid", "queued", ...
    total: Decimal | None  # as the provider invoiced it, in the invoice's unit
    paid: bool


@dataclass(frozen=True)
class VoidEffects:
    draws: list[Drawn]  # given back
    purchases: list[LineItem]  # commit purchases it invoiced: the commits stay granted
    provider: ProviderCopy | None
    billed_again: bool  # the next refresh gives the period a new draft


@dataclass(frozen=True)
class Preview:
    """A usage statement as it would be computed now, written nowhere."""

    total: Decimal | None = None  # None: not computed (not a usage statement, or it failed)
    subtotal: Decimal | None = None  # its charges, before commits and credits
    draws: list[Drawn] = field(default_factory=list)  # what it would draw
    error: str = ""  # why it could not be computed


@dataclass(frozen=True)
class RegenerateEffects:
    void: VoidEffects
    new: Preview  # the new invoice, for a usage statement


def _drawn(commit: Commit, amount: Decimal, invoice: Invoice) -> Drawn:
    return Drawn(
        name=commit.name or commit.product.name,
        kind=KINDS.get(commit.kind, "commit"),
        amount=amount,
        credit_type=commit.access_credit_type or invoice.credit_type,
    )


def invoice_draws(invoice: Invoice) -> list[Drawn]:
    """What the invoice has drawn and not given back, by commit or credit."""
    rows = (
        LedgerEntry.objects.filter(
            invoice_public_id=invoice.public_id, type=LedgerEntryType.USAGE_DEDUCTION
        )
        .values("commit_id")
        .annotate(total=Sum("amount"))
        .order_by("commit_id")
    )
    net = {row["commit_id"]: row["total"] for row in rows if row["total"] < 0}
    commits = Commit.objects.select_related("product", "access_credit_type").in_bulk(list(net))
    return [_drawn(commits[pk], -total, invoice) for pk, total in net.items()]


def _provider_label(value: str) -> str:
    return BillingProvider(value).label if value in BillingProvider.values else "the provider"


def _provider_copy(invoice: Invoice) -> ProviderCopy | None:
    """The invoice's copy at its billing provider; for a finalized invoice whose copy is not
    made yet (the sync is queued), one with no id and status "not sent yet"."""
    external = ExternalInvoice.objects.filter(invoice=invoice).first()
    if external is None:
        configuration = invoice_configuration(invoice) if invoice.number else None
        if configuration is None:
            return None
        label = _provider_label(configuration.billing_provider)
        return ProviderCopy(label, "", "not sent yet", None, paid=False)
    return ProviderCopy(
        provider=_provider_label(external.billing_provider),
        external_id=external.external_id,
        status=ExternalStatus(external.external_status).label.lower().replace("_", " "),
        total=external.invoiced_total,
        paid=external.external_status == ExternalStatus.PAID,
    )


def void_effects(invoice: Invoice) -> VoidEffects:
    purchases = [line for line in invoice.lines.all() if line.type == "COMMIT_PURCHASE"]
    return VoidEffects(
        draws=invoice_draws(invoice),
        purchases=purchases,
        provider=_provider_copy(invoice),
        billed_again=invoice.contract.archived_at is None,
    )


def statement_preview(invoice: Invoice, period: Period | None = None) -> Preview:
    """The usage statement `invoice` as it would be computed now (over `period`, part of its
    own, when given), its own draws left out of the balances: what a regenerate (which gives
    them back first) or an early finalization would bill. Over a later part, only the charges
    (`subtotal`) are what that part will bill: balances read this draft's draws as earlier."""
    if invoice.type != InvoiceType.USAGE:
        return Preview()
    if period is not None:
        invoice = copy(invoice)  # the same id: its own ledger entries are still left out
        invoice.period_start, invoice.period_end = period.start, period.end
    period = Period(invoice.period_start, invoice.period_end)
    try:
        lines, draws = draft_usage_statement(invoice.contract, invoice, period)
    except Exception as error:  # shown on the confirmation; the action records it on the draft
        return Preview(error=describe(error))
    by_commit: dict[int, tuple[Commit, Decimal]] = {}
    for draw in draws:
        commit, amount = by_commit.get(draw.commit.pk, (draw.commit, Decimal(0)))
        by_commit[draw.commit.pk] = (commit, amount + draw.amount)
    charges = [line.total for line in lines if not line.type.startswith("APPLIED_")]
    return Preview(
        total=sum((line.total for line in lines), Decimal(0)),
        subtotal=sum(charges, Decimal(0)),
        draws=[_drawn(c, amount, invoice) for c, amount in by_commit.values() if amount > 0],
    )


def regenerate_effects(invoice: Invoice) -> RegenerateEffects:
    return RegenerateEffects(void_effects(invoice), statement_preview(invoice))
