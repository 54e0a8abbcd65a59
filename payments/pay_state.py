"""Whether an invoice can be paid by card now, and if not, why (what the embed, the console and
the API show instead of a Pay button); and whether, when and how it was paid."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import prefetch_related_objects

from customers.models import BillingProvider, CustomerBillingProviderConfiguration
from invoicing.consolidation import billed_contract
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, InvoiceStatus
from invoicing.providers.sync import contract_configuration
from payments.models import CheckoutSession, CheckoutStatus, ExternalPayment

NOT_FINALIZED = "Only finalized invoices can be paid; this one is {status}."
NOTHING_DUE = "Nothing to pay: the invoice total is zero."
NO_STRIPE = "No Stripe billing configuration for this contract or customer: card payment is not available."  # fmt: skip
NOT_SENT = "The invoice is still being sent to Stripe; try again in a minute."
NOT_STRIPE = "Billed through {provider}, which collects it: pay it there."
NO_KEY = "The Stripe account of this invoice has no API key."
ARCHIVED = "The Stripe billing configuration of this invoice was archived."
AT_STRIPE = {
    ExternalStatus.VOID: "The invoice is void in Stripe.",
    ExternalStatus.UNCOLLECTIBLE: "The invoice was marked uncollectible in Stripe.",
    ExternalStatus.QUEUED: NOT_SENT,
}
# Stripe invoice states a Checkout payment can settle (the invoice is owed and not collected).
PAYABLE_AT_STRIPE = {ExternalStatus.DRAFT, ExternalStatus.FINALIZED, ExternalStatus.PAYMENT_FAILED}


@dataclass(frozen=True)
class PayState:
    paid_at: datetime | None = None
    paid_how: str = ""  # "card" | "Stripe" | "external payment"
    reason: str = ""  # why it cannot be paid by card now (empty: it can)
    external: ExternalInvoice | None = None

    @property
    def payable(self) -> bool:
        return self.paid_at is None and not self.reason


def pay_state(invoice: Invoice) -> PayState:
    return pay_states([invoice])[invoice.pk]


def pay_states(invoices: Iterable[Invoice]) -> dict[int, PayState]:
    """Each invoice's PayState, by invoice id, in a number of queries that does not grow with
    the invoices: their external payments, external invoices and paid checkout sessions in one
    query each, and the billing configuration of unsent ones once per paying contract."""
    invoices = list(invoices)
    ids = [invoice.pk for invoice in invoices]
    if not ids:
        return {}
    recorded = {p.invoice_id: p for p in ExternalPayment.objects.filter(invoice_id__in=ids)}
    externals = {
        e.invoice_id: e
        for e in ExternalInvoice.objects.select_related("provider", "configuration").filter(
            invoice_id__in=ids
        )
    }
    paid = [pk for pk, e in externals.items() if e.external_status == ExternalStatus.PAID]
    by_card = set(
        CheckoutSession.objects.filter(invoice_id__in=paid, status=CheckoutStatus.PAID)
        .values_list("invoice_id", flat=True)
    ) if paid else set()  # fmt: skip
    unsent = [i for i in invoices if i.pk not in recorded and i.pk not in externals]
    configurations = _Configurations(
        [i for i in unsent if i.status == InvoiceStatus.FINALIZED and i.total > 0]
    )
    states = {}
    for invoice in invoices:
        payment, external = recorded.get(invoice.pk), externals.get(invoice.pk)
        if payment is not None:
            state = PayState(paid_at=payment.paid_at, paid_how="external payment")
        elif external is not None and external.external_status == ExternalStatus.PAID:
            how = "card" if invoice.pk in by_card else "Stripe"
            state = PayState(paid_at=external.paid_at, paid_how=how, external=external)
        else:
            reason = _reason(invoice, external, configurations)
            state = PayState(reason=reason, external=external)
        states[invoice.pk] = state
    return states


class _Configurations:
    """The billing configuration of invoices not sent to a provider yet, looked up once per
    paying contract (invoicing.providers.sync.invoice_configuration, memoised)."""

    def __init__(self, unsent: list[Invoice]) -> None:  # finalized, with a total due
        # Each invoice holds its own Contract instance: the parents (the payer of a child
        # contract's invoices) and the statements' consolidated invoices, one query each.
        prefetch_related_objects(unsent, "contract__parent", "consolidated_into")
        self._by_contract: dict[int, CustomerBillingProviderConfiguration | None] = {}

    def of(self, invoice: Invoice) -> CustomerBillingProviderConfiguration | None:
        contract = billed_contract(invoice)
        if contract is None:
            return None  # a statement collected through its parent's consolidated invoice
        if contract.pk not in self._by_contract:
            self._by_contract[contract.pk] = contract_configuration(contract)
        return self._by_contract[contract.pk]


def _reason(
    invoice: Invoice, external: ExternalInvoice | None, configurations: _Configurations
) -> str:
    if invoice.status != InvoiceStatus.FINALIZED:
        return NOT_FINALIZED.format(status=invoice.get_status_display().lower())
    if invoice.total <= 0:
        return NOTHING_DUE
    if external is None:
        configuration = configurations.of(invoice)
        if configuration is None or configuration.billing_provider != BillingProvider.STRIPE:
            return NO_STRIPE
        return NOT_SENT
    if external.billing_provider != BillingProvider.STRIPE:
        return NOT_STRIPE.format(provider=external.billing_provider.replace("_", " ").title())
    if external.external_status == ExternalStatus.QUEUED and external.error:
        return external.error  # the sync waits, e.g. on an API key that cannot be read
    if external.external_status not in PAYABLE_AT_STRIPE:
        return AT_STRIPE.get(external.external_status) or external.error or NO_STRIPE
    if external.configuration.archived_at is not None:
        return ARCHIVED
    if not external.provider.has_secret_key:
        return NO_KEY
    return ""
