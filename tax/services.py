"""Tax of finalized invoices: computed once by the invoice's tax provider after finalization,
stored per line and in total, retried until it succeeds, and voided with the invoice.

Provider calls run outside any transaction (no row lock is held across the network); the
result is written under the InvoiceTax row lock. The provider's transaction is keyed by our
invoice id, so a run whose answer was lost and is retried replaces that same transaction.
A failure is recorded on the InvoiceTax (shown on the invoice), never raised into finalize.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, CustomerBillingProviderConfiguration
from invoicing.models import Invoice, InvoiceStatus, LineItem
from tax.credentials import tax_provider_for
from tax.models import CustomerTaxAddress, InvoiceTax, LineTax, TaxStatus
from tax.providers import Address, TaxLine, TaxProviderError, TaxRequest, TaxResult

logger = logging.getLogger(__name__)

DONE = {TaxStatus.CALCULATED, TaxStatus.COMMITTED, TaxStatus.VOIDED}
# A computation still PENDING this long after its last attempt is tried again by the sweep.
RETRY_AFTER = timedelta(minutes=15)
# Avalara answers 404 for a transaction it never recorded, Anrok 409 transactionIdNotFound.
NOT_FOUND = (404, 409)


def invoice_tax_configuration(invoice: Invoice) -> CustomerBillingProviderConfiguration | None:
    """The configuration the invoice is collected through, when it names a tax provider."""
    from invoicing.providers.sync import invoice_configuration

    configuration = invoice_configuration(invoice)
    if configuration is None or not configuration.tax_provider:
        return None
    return configuration


def taxable_lines(invoice: Invoice) -> list[LineItem]:
    """Every line that counts in the total, in order; commits and credits applied are
    negative lines, so the tax base is what the customer owes."""
    lines = invoice.lines.select_related("product").order_by("position", "pk")
    return [line for line in lines if line.total != 0]


def _item_code(line: LineItem, provider: str) -> str:
    """The provider's product: Metronome's mapping is a product custom field
    (avalara_item_code; anrok_product_id), else our product id."""
    if line.product is None:
        return f"billing-console:{line.type.lower()}"
    fields = line.product.custom_fields or {}
    mapped = fields.get("avalara_item_code" if provider == "avalara" else "anrok_product_id")
    return str(mapped or line.product.public_id)


def tax_request(invoice: Invoice, provider: str, commit: bool) -> TaxRequest:
    address = CustomerTaxAddress.objects.filter(customer_id=invoice.customer_id).first()
    return TaxRequest(
        invoice_public_id=str(invoice.public_id),
        customer_code=str(invoice.customer.public_id),
        customer_name=invoice.customer_name or invoice.customer.name,
        currency=invoice.credit_type.currency_code.upper(),
        issued_at=invoice.finalized_at or invoice.issued_at,
        address=Address(
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )
        if address
        else None,
        lines=tuple(
            TaxLine(
                ref=str(line.public_id),
                amount=int(line.total),
                description=line.name,
                item_code=_item_code(line, provider),
                quantity=line.quantity,
            )
            for line in taxable_lines(invoice)
        ),
        commit=commit,
    )


@transaction.atomic
def _invoice_tax_for(invoice: Invoice) -> InvoiceTax | None:
    """The invoice's InvoiceTax, created on the first run under the invoice's row lock (two
    concurrent runs create one)."""
    Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    existing = InvoiceTax.objects.filter(invoice=invoice).first()
    if existing is not None:
        return existing
    configuration = invoice_tax_configuration(invoice)
    fiat = invoice.credit_type.is_fiat and invoice.credit_type.currency_code
    if configuration is None or not fiat or not taxable_lines(invoice):
        return None
    return InvoiceTax.objects.create(
        invoice=invoice,
        configured_provider=configuration.provider,
        provider=configuration.tax_provider,
    )


def invoice_tax_calculate(*, invoice_id: int) -> InvoiceTax | None:
    """Idempotent: computes a finalized invoice's tax once; a computed one is returned as is."""
    invoice = (
        Invoice.objects.select_related("customer", "contract", "credit_type")
        .filter(pk=invoice_id, status=InvoiceStatus.FINALIZED)
        .first()
    )
    if invoice is None:
        return None
    tax = _invoice_tax_for(invoice)
    if tax is None or tax.status in DONE:
        return tax
    configuration = invoice_tax_configuration(invoice)
    try:
        if configuration is None or configuration.tax_provider != tax.provider:
            raise TaxProviderError(
                "the invoice's billing configuration no longer names this tax provider."
            )
        provider = tax_provider_for(configuration)
        commit = True
        if tax.provider == "avalara":
            commit = provider.account.commit_transactions  # type: ignore[attr-defined]
        result = provider.calculate(tax_request(invoice, tax.provider, commit))
    except TaxProviderError as err:
        return _record_failure(tax.pk, err)
    recorded = _record_result(tax.pk, result)
    _send_on(invoice.pk)
    return recorded


def _send_on(invoice_id: int) -> None:
    """The Stripe sync of an invoice taxed here waits for its tax (it becomes an invoice item
    there: invoicing.providers.stripe_invoices): send it on now."""
    from invoicing.providers.tasks import invoice_provider_sync_task

    transaction.on_commit(lambda: invoice_provider_sync_task.delay(invoice_id), robust=True)


@transaction.atomic
def _record_result(tax_id: int, result: TaxResult) -> InvoiceTax:
    tax = InvoiceTax.objects.select_for_update().get(pk=tax_id)
    if tax.status in DONE:
        return tax  # a concurrent run recorded the same transaction first
    lines = {str(line.public_id): line for line in tax.invoice.lines.all()}
    LineTax.objects.filter(invoice_tax=tax).delete()
    LineTax.objects.bulk_create(
        LineTax(
            invoice_tax=tax,
            line=lines[r.ref],
            taxable_amount=r.taxable,
            tax_amount=r.tax,
            jurisdictions=r.jurisdictions,
        )
        for r in result.lines
        if r.ref in lines
    )
    tax.status = TaxStatus.COMMITTED if result.committed else TaxStatus.CALCULATED
    tax.transaction_id = result.transaction_id
    tax.company_code = result.company_code
    tax.total_tax = result.total_tax
    tax.total_taxable = result.total_taxable
    tax.error = ""
    tax.attempts += 1
    tax.calculated_at = timezone.now()
    tax.save()
    return tax


@transaction.atomic
def _record_failure(tax_id: int, err: TaxProviderError) -> InvoiceTax:
    tax = InvoiceTax.objects.select_for_update().get(pk=tax_id)
    if tax.status in DONE:
        return tax
    # A transient fault stays PENDING for the sweep; a refusal waits for a fix (a tax address,
    # credentials, a product mapping) and a retry from the invoice page.
    tax.status = TaxStatus.PENDING if err.transient else TaxStatus.FAILED
    tax.error = err.message
    tax.attempts += 1
    tax.save(update_fields=["status", "error", "attempts", "updated_at"])
    logger.warning("tax of invoice %s: %s", tax.invoice_id, err.message)
    return tax


def invoice_tax_void(*, invoice_id: int) -> InvoiceTax | None:
    """A voided invoice voids its provider transaction (once; a retry after success is a
    no-op). A transaction the provider never recorded counts as voided."""
    tax = InvoiceTax.objects.select_related("invoice").filter(invoice_id=invoice_id).first()
    if tax is None or tax.status == TaxStatus.VOIDED or tax.invoice.status != InvoiceStatus.VOID:
        return tax
    if tax.status in (TaxStatus.CALCULATED, TaxStatus.COMMITTED) or tax.attempts:
        configuration = invoice_tax_configuration(tax.invoice)
        try:
            if configuration is not None and configuration.tax_provider == tax.provider:
                provider = tax_provider_for(configuration)
                provider.void(
                    transaction_id=tax.transaction_id or _key(tax), company_code=tax.company_code
                )
        except TaxProviderError as err:
            if err.status not in NOT_FOUND:
                return _record_void_failure(tax.pk, err)
    return _record_voided(tax.pk)


def _key(tax: InvoiceTax) -> str:
    from tax.providers.anrok import transaction_id

    public_id = str(tax.invoice.public_id)
    return transaction_id(public_id) if tax.provider == "anrok" else public_id


@transaction.atomic
def _record_voided(tax_id: int) -> InvoiceTax:
    tax = InvoiceTax.objects.select_for_update().get(pk=tax_id)
    tax.status, tax.voided_at, tax.error = TaxStatus.VOIDED, timezone.now(), ""
    tax.save(update_fields=["status", "voided_at", "error", "updated_at"])
    return tax


@transaction.atomic
def _record_void_failure(tax_id: int, err: TaxProviderError) -> InvoiceTax:
    tax = InvoiceTax.objects.select_for_update().get(pk=tax_id)
    tax.error = f"Voiding the tax transaction failed: {err.message}"
    tax.save(update_fields=["error", "updated_at"])
    return tax


@transaction.atomic
def invoice_tax_retry(*, invoice: Invoice) -> None:
    """From the invoice page: a failed computation is tried again now."""
    tax = InvoiceTax.objects.select_for_update().filter(invoice=invoice).first()
    if tax is not None and tax.status == TaxStatus.FAILED:
        tax.status = TaxStatus.PENDING
        tax.save(update_fields=["status", "updated_at"])  # audited: save, not update()
    from tax.tasks import invoice_tax_calculate_task

    transaction.on_commit(lambda: invoice_tax_calculate_task.delay(invoice.pk))


def taxes_due(*, now: datetime) -> tuple[list[int], list[int]]:
    """For the sweep: invoices whose tax is pending since RETRY_AFTER (to compute), and voided
    invoices whose provider transaction is not voided yet (to void)."""
    stale = now - RETRY_AFTER
    pending = InvoiceTax.objects.filter(status=TaxStatus.PENDING, updated_at__lt=stale)
    unvoided = InvoiceTax.objects.filter(
        invoice__status=InvoiceStatus.VOID, updated_at__lt=stale
    ).exclude(status=TaxStatus.VOIDED)
    return (
        list(
            pending.filter(invoice__status=InvoiceStatus.FINALIZED).values_list(
                "invoice_id", flat=True
            )
        ),
        list(unvoided.values_list("invoice_id", flat=True)),
    )


@transaction.atomic
def tax_address_set(
    *, customer: Customer, line1: str, line2: str, city: str, region: str, postal_code: str,
    country: str,
) -> int:  # fmt: skip
    """Set where the customer is taxed; its invoices whose tax failed are computed again.
    Returns how many."""
    address = CustomerTaxAddress.objects.filter(customer=customer).first() or CustomerTaxAddress(
        customer=customer
    )
    address.line1, address.line2, address.city = line1, line2, city
    address.region, address.postal_code, address.country = region, postal_code, country.upper()
    address.full_clean()
    address.save()
    failed = list(
        InvoiceTax.objects.select_for_update().filter(
            invoice__customer=customer, status=TaxStatus.FAILED,
            invoice__status=InvoiceStatus.FINALIZED,
        )
    )  # fmt: skip
    from tax.tasks import invoice_tax_calculate_task

    for tax in failed:
        tax.status = TaxStatus.PENDING
        tax.save(update_fields=["status", "updated_at"])
        transaction.on_commit(lambda pk=tax.invoice_id: invoice_tax_calculate_task.delay(pk))
    return len(failed)
