"""Invoices in the console: list with remembered filters; a page that explains every line."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.forms import within_input_window
from billing_console.preferences import remembered_filters
from billing_console.roles import ADMIN, FINANCE, role_required
from invoicing import services
from invoicing.consolidation import invoice_hierarchy_context
from invoicing.models import Invoice, InvoiceStatus

PAGE_SIZE = 50


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Customer")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *InvoiceStatus.choices])
    period_from = forms.DateField(
        required=False, label="Period from", widget=forms.DateInput(attrs={"type": "date"}),
        validators=[within_input_window],
    )  # fmt: skip
    period_to = forms.DateField(
        required=False, label="Period to", widget=forms.DateInput(attrs={"type": "date"}),
        validators=[within_input_window],
    )  # fmt: skip


def _invoice(invoice_id: str) -> Invoice:
    invoice = (
        Invoice.objects.select_related("customer", "contract", "credit_type", "regenerated_from")
        .prefetch_related("lines__product")
        .filter(public_id=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404("No such invoice.")
    return invoice


@require_GET
@login_required
@vary_on_headers("HX-Request")
def invoice_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(
        request, "invoice-list", ("q", "status", "period_from", "period_to")
    )
    filters = InvoiceFilterForm(params)
    filters.is_valid()
    data = filters.cleaned_data
    qs = Invoice.objects.select_related("customer", "contract", "credit_type").order_by(
        "-period_start", "-pk"
    )
    if data.get("q"):
        qs = qs.filter(customer__name__icontains=data["q"])
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("period_from"):
        qs = qs.filter(period_end__date__gt=data["period_from"])
    if data.get("period_to"):
        qs = qs.filter(period_start__date__lte=data["period_to"])
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "invoicing/invoice_list.html"
    if request.htmx and request.htmx.target == "invoice-table":
        template += "#invoice-table"
    return render(request, template, {"filters": filters, "page": page})


@require_GET
@login_required
def invoice_detail(request: HttpRequest, invoice_id: str) -> HttpResponse:
    invoice = _invoice(invoice_id)
    charges = [line for line in invoice.lines.all() if not line.type.startswith("APPLIED_")]
    applied = [line for line in invoice.lines.all() if line.type.startswith("APPLIED_")]
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "charges": charges,
            "applied": applied,
            **invoice_hierarchy_context(invoice),  # payer; a consolidated invoice's statements
        },
    )


def _done(request: HttpRequest, invoice: Invoice, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("invoicing:invoice-detail", args=[invoice.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _act(request: HttpRequest, invoice_id: str, action, message: str) -> HttpResponse:
    try:
        invoice = action(invoice=_invoice(invoice_id))
    except ApplicationError as err:
        messages.error(request, err.message.split(": ", 1)[-1])
        invoice = _invoice(invoice_id)
    else:
        return _done(request, invoice, message.format(invoice=invoice))
    url = reverse("invoicing:invoice-detail", args=[invoice.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def invoice_finalize(request: HttpRequest, invoice_id: str) -> HttpResponse:
    return _act(
        request, invoice_id, services.invoice_finalize, "Invoice {invoice.number} finalized."
    )


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def invoice_void(request: HttpRequest, invoice_id: str) -> HttpResponse:
    return _act(
        request,
        invoice_id,
        services.invoice_void,
        "Invoice voided; drawn commits and credits were given back.",
    )


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def invoice_regenerate(request: HttpRequest, invoice_id: str) -> HttpResponse:
    return _act(
        request,
        invoice_id,
        services.invoice_regenerate,
        "Invoice regenerated with current usage, rates and credits.",
    )


@require_GET
@login_required
def invoice_pdf(request: HttpRequest, invoice_id: str) -> HttpResponse:
    from invoicing.pdf import render_invoice_pdf

    invoice = _invoice(invoice_id)
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{invoice.number or invoice.public_id}.pdf"'
    )
    return response
