"""The contract page's discounts and professional services: listed, added (deal desk, through
contract_edit as the API's add_discounts / add_professional_services), and professional
services invoiced (finance, through the service behind scheduleProServicesInvoice).

Each form posts to its own URL and re-renders in place with the error inline (422); once
applied, the page reloads (or, for an invoice, the invoice it went on opens)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, role_required
from billing_console.templatetags.money import format_money
from contracts.console.forms_services import ProServiceInvoiceForm
from contracts.console.history import credit_type
from contracts.console.page import detail_context
from contracts.console.services_page import PARTIALS, page_forms
from contracts.console.views import (
    DEAL_ROLES,
    DETAIL,
    apply_edit,
    back,
    contract_for_page,
    form_field,
)
from contracts.models import Contract
from invoicing.pro_services import OverMaxAmount, pro_services_invoice_schedule


def _invalid(request: HttpRequest, contract: Contract, partial: str, key: str, form, extra: dict):
    if request.htmx:
        context = {"contract": contract, "credit_type": credit_type(contract), **extra}
        return render(request, f"{PARTIALS}#{partial}", context, status=422)
    return render(request, DETAIL, detail_context(contract, bound={key: form}), status=422)


def _add_view(request: HttpRequest, contract_id: str, name: str, key: str) -> HttpResponse:
    contract = contract_for_page(contract_id)
    form = page_forms(contract)[name](request.POST)
    if form.is_valid():
        try:
            apply_edit(request, contract, {key: [form.to_wire()]}, "Contract updated.")
            return back(request, contract)
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
    partial = name.replace("_", "-") + "-form"
    return _invalid(request, contract, partial, f"{name}_form", form, {f"{name}_form": form})


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_discount(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _add_view(request, contract_id, "discount", "add_discounts")


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_pro_service(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _add_view(request, contract_id, "pro_service", "add_professional_services")


@require_http_methods(["POST"])
@login_required
@role_required(ADMIN, FINANCE)
def pro_service_invoice(request: HttpRequest, contract_id: str, item_id: str) -> HttpResponse:
    """Invoice part of one professional service; on success, open the invoice it went on."""
    contract = contract_for_page(contract_id)
    service = contract.professional_services.filter(public_id=item_id).first()
    if service is None:
        raise Http404("No such professional service on this contract.")
    form = ProServiceInvoiceForm(request.POST, service=service, credit_type=credit_type(contract))
    if form.is_valid():
        try:
            [invoice] = pro_services_invoice_schedule(contract=contract, data=form.to_wire())
        except OverMaxAmount as err:  # said in money, for the whole form
            form.add_error(None, _over_max(err, credit_type(contract)))
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
        else:
            messages.success(request, "Invoiced: the lines are on this draft invoice.")
            url = reverse("invoicing:invoice-detail", args=[invoice.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    row = {"service": service, "invoice_form": form}
    return _invalid(request, contract, "pro-invoice-form", f"pro-invoice-{service.public_id}",
                    form, {"row": row})  # fmt: skip


def _over_max(err: OverMaxAmount, unit) -> str:
    service = err.service
    left = service.max_amount - err.billed
    return (
        f"That would bring {service.description or service.product.name} to "
        f"{format_money(err.total, unit)} invoiced, over its {format_money(service.max_amount, unit)} "
        f"maximum. {format_money(left, unit)} is left to invoice."
    )
