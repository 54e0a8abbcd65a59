"""A finalized invoice, created in Stripe exactly once.

Steps, each one Stripe call in its own transaction under the ExternalInvoice row lock, each
recorded before the next: create the Stripe invoice (its id stored), add one invoice item per
line (`items_synced` counts them), add the tax as one more item when Avalara or Anrok computed
it (the sync waits for that tax: the tax app sends the invoice on once it is computed),
finalize (or leave it in draft when configured), then charge the card for
charge_automatically collection. Every call carries an idempotency key derived from our row
ids, so a call whose answer was lost is not repeated by Stripe either.
"""

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from customers.models import BillingProvider
from invoicing.models import ExternalInvoice, ExternalStatus, Invoice, LineItem
from invoicing.netsuite import stripe_line_metadata
from invoicing.providers.stripe_client import (
    as_dict,
    failure_record,
    stripe_client,
    stripe_options,
)

DONE = {
    ExternalStatus.DRAFT, ExternalStatus.PAID, ExternalStatus.PAYMENT_FAILED, ExternalStatus.VOID,
    ExternalStatus.UNCOLLECTIBLE, ExternalStatus.SKIPPED, ExternalStatus.INVALID_REQUEST_ERROR,
}  # fmt: skip
DEFAULT_DAYS_UNTIL_DUE = 30  # Stripe's own default for send_invoice
# Tax computed here (tax app) rather than by Stripe Tax: Stripe collects it as an invoice item.
OUR_TAX = {"avalara": "Avalara AvaTax", "anrok": "Anrok"}
TAX_READY = ("CALCULATED", "COMMITTED")  # tax.models.TaxStatus
TAX_WAIT = -1
SYNC_WAITS = "Not fully sent to Stripe yet (retried): "  # the start of a waiting sync's error

logger = logging.getLogger(__name__)


def _locked(external_id: int) -> ExternalInvoice:
    return (
        ExternalInvoice.objects.select_for_update()
        .select_related(
            "invoice__customer",
            "invoice__contract",
            "invoice__credit_type",
            "configuration",
            "provider",
        )
        .get(pk=external_id)
    )


def sync_lines(invoice: Invoice) -> list[LineItem]:
    """The lines sent to Stripe, in a fixed order (a finalized invoice never changes)."""
    return [line for line in invoice.lines.order_by("position", "pk") if line.total != 0]


def _currency(invoice: Invoice) -> str:
    return (invoice.credit_type.currency_code or "").lower()


def _skip_reason(external: ExternalInvoice) -> str:
    invoice = external.invoice
    if external.configuration.archived_at is not None:
        return "The billing provider configuration was archived before the invoice was sent."
    if not invoice.credit_type.is_fiat or not invoice.credit_type.currency_code:
        return "Stripe invoices carry currencies only, not custom pricing units."
    if invoice.total == 0:
        return "Nothing to collect: the invoice total is zero."
    return ""


def _description(line: LineItem) -> str:
    groups = ", ".join(f"{k}={v}" for k, v in sorted((line.pricing_group_values or {}).items()))
    return f"{line.name} ({groups})" if groups else line.name


def _payment_gate(invoice: Invoice) -> dict[str, Any]:
    """The payment_gate_config of the threshold charge this invoice bills, if it bills one."""
    from contracts.models import ThresholdCharge
    from contracts.terms.threshold_billing import CONFIG_FIELD

    charge = (
        ThresholdCharge.objects.filter(invoice_public_id=invoice.public_id)
        .select_related("contract")
        .first()
    )
    if charge is None:
        return {}
    config = getattr(charge.contract, CONFIG_FIELD[charge.kind]) or {}
    return config.get("payment_gate_config") or {}


def _netsuite_invoice_metadata(invoice: Invoice) -> dict[str, str]:
    sales_order = invoice.contract.netsuite_sales_order_id
    return {"netsuite_sales_order_id": sales_order} if sales_order else {}


def _create(external: ExternalInvoice, client: stripe.StripeClient) -> None:
    invoice, config = external.invoice, external.configuration
    method = config.configuration.get("stripe_collection_method", "charge_automatically")
    gate = _payment_gate(invoice)
    params: dict[str, Any] = {
        "customer": config.configuration["stripe_customer_id"],
        "currency": _currency(invoice),
        "collection_method": method,
        "auto_advance": False,  # we finalize and collect ourselves, once
        "pending_invoice_items_behavior": "exclude",
        "description": f"Invoice {invoice.number}",
        "metadata": {
            **((gate.get("stripe_config") or {}).get("invoice_metadata") or {}),
            "billing_console_invoice_id": str(invoice.public_id),
            "billing_console_invoice_number": invoice.number,
            "billing_console_customer_id": str(invoice.customer.public_id),
            "billing_console_contract_id": str(invoice.contract.public_id),
            **_netsuite_invoice_metadata(invoice),
        },
    }
    if method == "send_invoice":
        params["days_until_due"] = invoice.contract.net_payment_terms_days or DEFAULT_DAYS_UNTIL_DUE
    if config.tax_provider == BillingProvider.STRIPE or gate.get("tax_type") == "STRIPE":
        params["automatic_tax"] = {"enabled": True}
    elif external.provider.configuration.get("effective_at_end_of_period"):
        # The last moment of the service period (periods are half-open), so the Stripe invoice
        # date falls on its last day. Stripe refuses effective_at together with Stripe Tax.
        end = invoice.period_end
        if invoice.period_end > invoice.period_start:
            end -= timedelta(seconds=1)
        params["effective_at"] = int(end.timestamp())
    created = client.v1.invoices.create(
        params,  # type: ignore[arg-type]
        stripe_options(f"invoice:{invoice.public_id}:create"),  # type: ignore[arg-type]
    )
    external.external_id = created.id
    external.save(update_fields=["external_id", "updated_at"])


def _add_item(external: ExternalInvoice, client: stripe.StripeClient) -> None:
    invoice = external.invoice
    line = sync_lines(invoice)[external.items_synced]
    # Fiat credit types are denominated in minor units (USD cents) and lines are rounded to a
    # whole unit, which is Stripe's integer amount.
    amount = line.total.to_integral_value()
    params: dict[str, Any] = {
        "customer": external.configuration.configuration["stripe_customer_id"],
        "invoice": external.external_id,
        "currency": _currency(invoice),
        "amount": int(amount),
        "description": _description(line),
        # NetSuite ids and the custom fields configured to pass through (invoicing/netsuite.py).
        "metadata": {
            **stripe_line_metadata(line, invoice),
            "billing_console_line_id": str(line.public_id),
        },
    }
    if line.starting_at and line.ending_before and line.starting_at < line.ending_before:
        params["period"] = {
            "start": int(line.starting_at.timestamp()),
            "end": int(line.ending_before.timestamp()),
        }
    client.v1.invoice_items.create(
        params,  # type: ignore[arg-type]
        stripe_options(f"invoice:{invoice.public_id}:line:{line.public_id}"),  # type: ignore[arg-type]
    )
    external.items_synced += 1
    external.save(update_fields=["items_synced", "updated_at"])


def _our_tax(external: ExternalInvoice) -> int | None:
    """The tax to add as an item (minor units), None when the invoice carries none of ours,
    TAX_WAIT while it is not computed yet (read through the reverse relation of
    tax.InvoiceTax, so invoicing imports nothing of the tax app)."""
    if external.configuration.tax_provider not in OUR_TAX:
        return None
    tax = getattr(external.invoice, "tax", None)
    if tax is None or tax.status not in TAX_READY:
        return TAX_WAIT
    return int(tax.total_tax or 0) or None


def _add_tax(external: ExternalInvoice, client: stripe.StripeClient) -> None:
    invoice, provider = external.invoice, external.configuration.tax_provider
    amount = _our_tax(external)
    assert amount is not None and amount > 0
    client.v1.invoice_items.create(
        {
            "customer": external.configuration.configuration["stripe_customer_id"],
            "invoice": external.external_id,
            "currency": _currency(invoice),
            "amount": amount,
            "description": f"Tax ({OUR_TAX[provider]})",
            "metadata": {"billing_console_tax": provider},
        },  # type: ignore[arg-type]
        stripe_options(f"invoice:{invoice.public_id}:tax"),  # type: ignore[arg-type]
    )
    external.items_synced += 1
    external.save(update_fields=["items_synced", "updated_at"])


def _leave_in_draft(external: ExternalInvoice) -> bool:
    config = external.configuration.configuration
    return bool(
        config.get("leave_stripe_invoices_in_draft")
        or external.invoice.customer.leave_stripe_invoices_in_draft
    )


def record_stripe_invoice(external: ExternalInvoice, stripe_invoice: Any) -> None:
    """Totals, PDF and dates as Stripe reports them (integers in the currency's minor unit)."""
    stripe_invoice = as_dict(stripe_invoice)
    total = stripe_invoice.get("total")
    if total is not None:
        external.invoiced_total = total
    if stripe_invoice.get("subtotal") is not None:
        external.invoiced_sub_total = stripe_invoice.get("subtotal")
    excluding = stripe_invoice.get("total_excluding_tax")
    if total is not None and excluding is not None:
        external.tax_amount = total - excluding
    external.pdf_url = stripe_invoice.get("invoice_pdf") or external.pdf_url


def _finalize(external: ExternalInvoice, client: stripe.StripeClient) -> None:
    if _leave_in_draft(external):
        external.external_status = ExternalStatus.DRAFT
        external.save(update_fields=["external_status", "updated_at"])
        return
    finalized = as_dict(
        client.v1.invoices.finalize_invoice(
            external.external_id,
            {"auto_advance": False},
            stripe_options(f"invoice:{external.invoice.public_id}:finalize"),  # type: ignore[arg-type]
        )
    )
    record_stripe_invoice(external, finalized)
    external.issued_at = timezone.now()
    external.external_status = ExternalStatus.FINALIZED
    external.save()
    if finalized.get("status") == "paid":  # Stripe marks a fully credited invoice paid at once
        from invoicing.providers.stripe_payments import external_mark_paid

        external_mark_paid(external=external, at=timezone.now())


def _pay(external: ExternalInvoice, client: stripe.StripeClient) -> None:
    from invoicing.providers.stripe_payments import stripe_invoice_pay

    stripe_invoice_pay(external=external, client=client, now=timezone.now())


def _next_step(external: ExternalInvoice) -> Callable[..., None] | None:
    status = external.external_status
    if status in DONE:
        return None
    if status == ExternalStatus.FINALIZED:
        method = external.configuration.configuration.get("stripe_collection_method")
        wants_card = method != "send_invoice" and external.configuration.archived_at is None
        return _pay if wants_card and external.payment_attempts == 0 else None
    if not external.external_id:
        return _create
    if external.configuration.archived_at is not None:
        return None  # archived midway: stop here, the Stripe invoice stays a draft
    lines = len(sync_lines(external.invoice))
    if external.items_synced < lines:
        return _add_item
    tax = _our_tax(external)
    if tax == TAX_WAIT:
        return None  # the tax app sends the invoice on once its tax is computed
    if tax is not None and external.items_synced == lines:
        return _add_tax
    return _finalize


def stripe_invoice_sync(*, external_id: int) -> ExternalInvoice:
    """Create the finalized invoice at Stripe, step by step. A step that fails for any reason
    but Stripe refusing the request leaves the invoice queued with the reason on it (shown on
    the invoice's page) and is resumed later: a network fault or a Stripe outage is raised for
    the task's retries, anything else by the providers sweep (STALE_AFTER); only this invoice
    waits."""
    try:
        return _sync(external_id)
    except Exception as error:
        logger.error("Stripe sync of external invoice %s waits", external_id, exc_info=error)
        failure_record(ExternalInvoice.objects.filter(pk=external_id), SYNC_WAITS, error)
        return ExternalInvoice.objects.get(pk=external_id)


def _sync(external_id: int) -> ExternalInvoice:
    while True:
        with transaction.atomic():
            external = _locked(external_id)
            if external.external_status == ExternalStatus.QUEUED and not external.external_id:
                reason = _skip_reason(external)
                if reason:
                    external.external_status = ExternalStatus.SKIPPED
                    external.error = reason
                    external.save(update_fields=["external_status", "error", "updated_at"])
                    return external
            step = _next_step(external)
            if step is None:
                return external
            client = stripe_client(external.provider)
            try:
                step(external, client)
            except stripe.InvalidRequestError as err:
                # Stripe refused the request itself (not a network fault): retrying the same
                # request cannot succeed. Recorded for finance to see; the task ends.
                external.external_status = ExternalStatus.INVALID_REQUEST_ERROR
                external.error = err.user_message or str(err)
                external.save(update_fields=["external_status", "error", "updated_at"])
                return external
            if external.error.startswith(SYNC_WAITS):  # it went on: no longer waiting
                ExternalInvoice.objects.filter(pk=external.pk).update(error="")
                external.error = ""
