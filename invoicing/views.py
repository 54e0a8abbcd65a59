"""Invoices in the console: list with remembered filters; a page that explains every line."""

from typing import Any

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
from billing_console.roles import ADMIN, FINANCE, can_bill, role_required
from invoicing import services
from invoicing.action_effects import regenerate_effects, statement_preview, void_effects
from invoicing.consolidation import invoice_hierarchy_context
from invoicing.finalize_rules import cut_neighbours, day_text, early_finalize_plan
from invoicing.line_notes import line_notes
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


CONFIRMS = ("finalize", "void", "regenerate")  # ?confirm=: the action whose effects are shown


def _confirm_context(invoice: Invoice, action: str | None) -> dict[str, Any]:
    """What the asked-for action would do, for its confirmation (the early finalization of an
    open period is always described: its button asks for that confirmation)."""
    early = early_finalize_plan(invoice) if invoice.is_draft else None
    context: dict[str, Any] = {"early": early, "confirm": action if action in CONFIRMS else None}
    if action == "finalize" and early is not None and not early.refused:
        context["finalized_preview"] = statement_preview(invoice, early.finalized)
        context["rest_preview"] = statement_preview(invoice, early.rest)  # its charges so far
    elif action == "void" and invoice.status != InvoiceStatus.VOID:
        context["void"] = void_effects(invoice)
    elif action == "regenerate" and invoice.status != InvoiceStatus.VOID:
        effects = regenerate_effects(invoice)
        context["void"], context["new"] = effects.void, effects.new
    return context


def _detail_context(invoice: Invoice, action: str | None) -> dict[str, Any]:
    charges = [line for line in invoice.lines.all() if not line.type.startswith("APPLIED_")]
    applied = [line for line in invoice.lines.all() if line.type.startswith("APPLIED_")]
    cut_before, cut_after = cut_neighbours(invoice)  # a period finalized early: its two parts
    return {
        "invoice": invoice,
        "charges": charges,
        "notes": line_notes(invoice, charges),  # how each was priced, what paid it, why not
        "applied": applied,
        "cut_before": cut_before,
        "cut_after": cut_after,
        **_confirm_context(invoice, action),
        **invoice_hierarchy_context(invoice),  # payer; a consolidated invoice's statements
    }


@require_GET
@login_required
def invoice_detail(request: HttpRequest, invoice_id: str) -> HttpResponse:
    invoice = _invoice(invoice_id)
    template = "invoicing/invoice_detail.html"
    if request.htmx and request.htmx.target == "confirm-panel":
        template += "#confirm-panel"  # a confirmation opened from the action buttons
    action = request.GET.get("confirm") if can_bill(request.user) else None  # who may act
    return render(request, template, _detail_context(invoice, action))


def _done(request: HttpRequest, invoice: Invoice, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("invoicing:invoice-detail", args=[invoice.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request: HttpRequest, invoice: Invoice, err: ApplicationError) -> HttpResponse:
    messages.error(request, err.message.split(": ", 1)[-1])
    url = reverse("invoicing:invoice-detail", args=[invoice.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _act(request: HttpRequest, invoice_id: str, action, message: str) -> HttpResponse:
    try:
        invoice = action(invoice=_invoice(invoice_id))
    except ApplicationError as err:
        return _refused(request, _invoice(invoice_id), err)
    return _done(request, invoice, message.format(invoice=invoice))


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def invoice_finalize(request: HttpRequest, invoice_id: str) -> HttpResponse:
    """Finalize; a draft whose period is still open only with its period typed (the form of
    the confirmation, re-shown with 422 until it is)."""
    invoice = _invoice(invoice_id)
    typed = request.POST.get("confirm_period", "")
    early = early_finalize_plan(invoice) if invoice.is_draft else None
    try:
        finalized = services.invoice_finalize(invoice=invoice, confirm_period=typed)
    except ApplicationError as err:
        if not err.message.startswith("confirm_period:"):
            return _refused(request, invoice, err)
        context = {**_detail_context(invoice, "finalize"), "typed": typed}
        context["confirm_error"] = (
            f"Type {context['early'].label} to confirm." if not typed.strip()
            else f"That is not the period this invoice will cover: {context['early'].label}."
        )  # fmt: skip
        template = "invoicing/invoice_detail.html"
        template += "#confirm-panel" if request.htmx else ""
        return render(request, template, context, status=422)
    message = f"Invoice {finalized.number} finalized."
    if early is not None:
        rest = f"{day_text(early.rest.start)} - {day_text(early.rest.end)}"
        message = (
            f"Invoice {finalized.number} finalized for {early.label}. The rest of the period, "
            f"{rest}, is billed on a new draft that the close finalizes."
        )
    return _done(request, finalized, message)


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
