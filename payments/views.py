"""Pay by card from the invoices embed (the customer) and from a link finance sends; recording
an external payment of a payment-gated invoice (finance, console)."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.embedding import EmbedTokenInvalid, embed_token_read
from billing_console.roles import ADMIN, FINANCE, role_required
from customers.models import Customer
from embeds import selectors as embed_selectors
from embeds.grants import embed_grant_is_well_formed
from invoicing.models import Invoice
from payments.checkout import (
    CHECKOUT_ID_SLOT,
    ReturnUrls,
    checkout_session_open,
    checkout_session_refresh,
)
from payments.gates import external_payment_record
from payments.models import CheckoutSession

OUTCOMES = ("done", "cancelled")


def _reason(err: ApplicationError) -> str:
    return err.message.removeprefix("invoice_id: ")


def _embed_invoice(request: HttpRequest, token: str, invoice_id: uuid.UUID) -> Invoice:
    """The token's customer's invoice, as the invoices embed shows it (404 otherwise)."""
    try:
        grant = embed_token_read(token)
    except EmbedTokenInvalid as err:
        raise Http404("This link is invalid or has expired.") from err
    if not embed_grant_is_well_formed(grant) or grant.dashboard != "invoices":
        raise Http404("This dashboard shows no invoices.")
    customer = get_object_or_404(Customer, public_id=grant.customer_id)
    invoice = embed_selectors.embed_invoice(customer=customer, options=grant.options, invoice_id=invoice_id)  # fmt: skip
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


# The token in the URL is the credential (no session, no cookie to ride on): no CSRF token,
# which a third-party iframe could not keep anyway.
@csrf_exempt
@require_POST
def embed_pay(request: HttpRequest, token: str, invoice_id: uuid.UUID) -> HttpResponse:
    """The embed's Pay button: to Stripe's hosted payment page (a new tab; Stripe's page
    refuses to be framed), which sends the customer back to the embed."""
    invoice = _embed_invoice(request, token, invoice_id)
    back = reverse("payments:embed-return", args=[token, invoice.public_id, "done"])
    urls = ReturnUrls(
        success=request.build_absolute_uri(back),
        cancel=request.build_absolute_uri(back.replace("/done", "/cancelled")),
    )
    try:
        row = checkout_session_open(invoice=invoice, urls=urls, via="embed")
    except ApplicationError as err:
        context = {"message": _reason(err)}
        return render(request, "embeds/error.html", context, status=400)
    return HttpResponseRedirect(row.url, status=303)


@require_GET
def embed_return(
    request: HttpRequest, token: str, invoice_id: uuid.UUID, outcome: str
) -> HttpResponse:
    """Back from Stripe: confirm with Stripe at once (the webhook may come later), then show
    the invoice in the embed."""
    invoice = _embed_invoice(request, token, invoice_id)
    if outcome not in OUTCOMES:
        raise Http404("No such page.")
    if outcome == "done":
        for row in invoice.checkout_sessions.filter(status__in=["OPEN", "PROCESSING"]):
            checkout_session_refresh(row=row)
    detail = reverse("embeds:invoice-detail", args=[token, invoice.public_id])
    return redirect(f"{detail}?checkout={outcome}")


@require_GET
def checkout_return(request: HttpRequest, checkout_id: uuid.UUID, outcome: str) -> HttpResponse:
    """Back from Stripe after paying through a link finance sent (no embed to return to)."""
    row = get_object_or_404(CheckoutSession.objects.select_related("invoice__credit_type", "provider"), public_id=checkout_id)  # fmt: skip
    if outcome not in OUTCOMES:
        raise Http404("No such page.")
    if outcome == "done":
        row = checkout_session_refresh(row=row)
    context = {"row": row, "invoice": row.invoice, "outcome": outcome}
    response = render(request, "payments/checkout_return.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _invoice(invoice_id: uuid.UUID) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("credit_type"), public_id=invoice_id)


def _back(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    url = reverse("invoicing:invoice-detail", args=[invoice.public_id]) + "#payment"
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def payment_link(request: HttpRequest, invoice_id: uuid.UUID) -> HttpResponse:
    """Send payment link: the invoice's open Checkout Session (or a new one), shown on the
    invoice page for finance to copy and send."""
    invoice = _invoice(invoice_id)
    try:
        checkout_session_open(invoice=invoice, urls=_link_urls(request), via="console")
    except ApplicationError as err:
        messages.error(request, _reason(err))
        return _back(request, invoice)
    messages.success(request, "Payment link ready: copy it below and send it to the customer.")
    return _back(request, invoice)


def _link_urls(request: HttpRequest) -> ReturnUrls:
    """The session's own return page (CHECKOUT_ID_SLOT becomes its id once it exists)."""

    def url(outcome: str) -> str:
        path = reverse("payments:checkout-return", args=[CHECKOUT_ID_SLOT, outcome])
        return request.build_absolute_uri(path)

    return ReturnUrls(success=url("done"), cancel=url("cancelled"))


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def external_payment(request: HttpRequest, invoice_id: uuid.UUID) -> HttpResponse:
    invoice = _invoice(invoice_id)
    try:
        external_payment_record(
            invoice=invoice, reference=request.POST.get("reference", ""), user=request.user
        )
    except ApplicationError as err:
        messages.error(request, _reason(err))
        return _back(request, invoice)
    messages.success(request, "External payment recorded: the commit is released and usable now.")  # fmt: skip
    return _back(request, invoice)
