"""Stripe Tax behind the tax interface. Stripe computes it on the Stripe invoice itself: the
sync creates that invoice with `automatic_tax` enabled (invoicing.providers.stripe_invoices)
and records Stripe's figure (total - total_excluding_tax) on the ExternalInvoice when Stripe
finalizes it. Calculating here reads that figure back; nothing is sent to Stripe twice.

Voiding: Stripe's tax belongs to the Stripe invoice, which is voided (or not) at Stripe with it;
there is no separate tax transaction to void.
"""

from decimal import Decimal

from invoicing.models import ExternalInvoice, ExternalStatus
from tax.providers import TaxProviderError, TaxRequest, TaxResult

NOT_YET = "waiting for Stripe to finalize its invoice (Stripe computes the tax on it)."
SENT = {ExternalStatus.FINALIZED, ExternalStatus.PAID, ExternalStatus.PAYMENT_FAILED,
        ExternalStatus.UNCOLLECTIBLE}  # fmt: skip


class StripeTax:
    name = "stripe"

    def calculate(self, request: TaxRequest) -> TaxResult:
        external = ExternalInvoice.objects.filter(
            invoice__public_id=request.invoice_public_id
        ).first()
        if external is None or external.external_status == ExternalStatus.QUEUED:
            raise TaxProviderError(NOT_YET, transient=True)
        if external.external_status not in SENT or external.tax_amount is None:
            raise TaxProviderError(
                f"Stripe did not compute tax: its invoice is {external.external_status}"
                + (f" ({external.error})" if external.error else "")
                + "."
            )
        taxable = external.invoiced_sub_total
        return TaxResult(
            transaction_id=external.external_id,
            total_tax=Decimal(external.tax_amount),
            total_taxable=Decimal(taxable) if taxable is not None else None,
            lines=(),  # Stripe's per-line tax stays on the Stripe invoice
            committed=True,
        )

    def void(self, *, transaction_id: str, company_code: str = "") -> None:
        return None  # see the module docstring: voided with the Stripe invoice
