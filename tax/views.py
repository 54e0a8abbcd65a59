"""Tax in the console: Settings → Tax (Avalara and Anrok credentials per billing provider,
admins only, secrets never shown back), a customer's tax address, and retrying an invoice's
failed tax. Validation failures re-render with 422; successes redirect (PRG)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, role_required
from customers.avalara import avalara_credentials_upsert
from customers.models import AvalaraCredentials, ConfiguredBillingProvider, Customer
from invoicing.models import Invoice
from tax.credentials import anrok_credentials_set
from tax.forms import AnrokKeyForm, AvalaraForm, TaxAddressForm
from tax.models import AnrokCredentials, CustomerTaxAddress
from tax.services import invoice_tax_retry

SETTINGS_PAGE = "tax/settings.html"


def _settings_context(**extra: object) -> dict:
    providers = list(ConfiguredBillingProvider.objects.active())
    avalara = {c.provider_id: c for c in AvalaraCredentials.objects.filter(provider__in=providers)}
    anrok = {c.provider_id: c for c in AnrokCredentials.objects.filter(provider__in=providers)}
    for provider in providers:
        provider.avalara = avalara.get(provider.pk)
        provider.anrok = anrok.get(provider.pk)
        auto_id = f"id_%s_{provider.pk}"  # one pair of forms per row: ids stay unique
        provider.avalara_blank = AvalaraForm(auto_id=auto_id)
        provider.anrok_blank = AnrokKeyForm(auto_id=auto_id)
    return {"providers": providers, **extra}


@require_http_methods(["GET"])
@login_required
@role_required(ADMIN)
def tax_settings(request: HttpRequest) -> HttpResponse:
    return render(request, SETTINGS_PAGE, _settings_context())


@require_POST
@login_required
@role_required(ADMIN)
def anrok_key_set(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = get_object_or_404(ConfiguredBillingProvider.objects.active(), public_id=provider_id)
    form = AnrokKeyForm(request.POST)
    if form.is_valid():
        try:
            anrok_credentials_set(provider=provider, api_key=form.cleaned_data["api_key"])
        except ApplicationError as err:
            form.add_error("api_key", err.message)
    if not form.is_valid():
        context = _settings_context(editing=provider.pk, anrok_form=form)
        return render(request, SETTINGS_PAGE, context, status=422)
    messages.success(request, f"Anrok API key set for {provider}.")
    return redirect("tax:tax-settings")


@require_POST
@login_required
@role_required(ADMIN)
def avalara_set(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = get_object_or_404(ConfiguredBillingProvider.objects.active(), public_id=provider_id)
    form = AvalaraForm(request.POST)
    if form.is_valid():
        try:  # the same service as /v1/upsertAvalaraCredentials
            avalara_credentials_upsert(
                data={**form.cleaned_data, "delivery_method_ids": [str(provider.public_id)]}
            )
        except ApplicationError as err:
            form.add_error(None, err.message)
    if not form.is_valid():
        context = _settings_context(editing=provider.pk, avalara_form=form)
        return render(request, SETTINGS_PAGE, context, status=422)
    messages.success(request, f"Avalara credentials set for {provider}.")
    return redirect("tax:tax-settings")


@require_http_methods(["GET", "POST"])
@login_required
@role_required(ADMIN, FINANCE)
def tax_address_edit(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = get_object_or_404(Customer, public_id=customer_id)
    address = CustomerTaxAddress.objects.filter(customer=customer).first()
    if request.method == "GET":
        initial = {f: getattr(address, f) for f in TaxAddressForm.base_fields} if address else {}
        form = TaxAddressForm(initial=initial)
        return render(request, "tax/tax_address.html", {"customer": customer, "form": form})
    form = TaxAddressForm(request.POST)
    if not form.is_valid():
        context = {"customer": customer, "form": form}
        return render(request, "tax/tax_address.html", context, status=422)
    from tax.services import tax_address_set

    retried = tax_address_set(customer=customer, **form.cleaned_data)
    note = f" {retried} invoice(s) whose tax failed are computed again." if retried else ""
    messages.success(request, f"Tax address saved.{note}")
    return redirect("customers:customer-detail", customer.public_id)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def invoice_tax_retry_view(request: HttpRequest, invoice_id: str) -> HttpResponse:
    invoice = get_object_or_404(Invoice, public_id=invoice_id)
    invoice_tax_retry(invoice=invoice)
    messages.success(request, "The tax is computed again; reload in a moment.")
    return redirect("invoicing:invoice-detail", invoice.public_id)
