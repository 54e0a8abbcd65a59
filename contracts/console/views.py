"""Deal desk in the console: contracts list, create (from a rate card or a package, with date
presets), the contract page and its add forms, archive, and the edit history.

Every change goes through contract_edit with a wire-shaped body, as the API's does, so the
console and the API share validation and the edit history. Per-row edits: views_items.py."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, DEAL_DESK, FINANCE, can_write, role_required
from contracts.console.contract_list import (
    ContractFilterForm,
    contract_list_filtered,
    contract_status,
    days_left,
    status_tabs,
)
from contracts.console.forms_external_ids import ContractCreateIdsForm
from contracts.console.history import edit_rows
from contracts.console.page import DETAIL, detail_context, lazy_form, page_forms
from contracts.edits import contract_edit
from contracts.models import Contract
from contracts.services import contract_create
from contracts.terms.balances import contract_credit_type_id
from customers.models import Customer
from invoicing.new_contract import contract_invoices_on_create
from pricing.models import Package, RateCard

DEAL_ROLES = (ADMIN, DEAL_DESK, FINANCE)


def contract_for_page(contract_id: str) -> Contract:
    contract = (
        Contract.objects.select_related("customer", "rate_card__fiat_credit_type", "package")
        .filter(public_id=contract_id)
        .first()
    )
    if contract is None:
        raise Http404("No such contract.")
    return contract


@require_GET
@login_required
@vary_on_headers("HX-Request")
def contract_list(request: HttpRequest) -> HttpResponse:
    """One URL for the page and its table (htmx target contract-table); plain GET works alike."""
    now = timezone.now()
    filters = ContractFilterForm(request.GET)
    values = filters.filter_values()
    contracts, counts = contract_list_filtered(values, now)
    page = Paginator(contracts, 50).get_page(request.GET.get("page"))
    for contract in page:
        contract.status = contract_status(contract, now)
        if contract.status == "ending_soon":
            contract.days_left = days_left(contract, now)
    template = "contracts/contract_list.html"
    if request.htmx and request.htmx.target == "contract-table":
        template += "#contract-table"
    context = {
        "filters": filters, "page": page, "contracts": page, "status_tabs": status_tabs(counts),
        "status": values.get("status", ""), "filtered": bool(values),
    }  # fmt: skip
    return render(request, template, context)


def _create_form(data=None) -> ContractCreateIdsForm:
    sources = [
        (f"package:{p.public_id}", f"Package: {p.name}")
        for p in Package.objects.filter(archived_at__isnull=True).order_by("name")
    ]
    sources += [
        (f"rate_card:{c.public_id}", f"Rate card: {c.name}")
        for c in RateCard.objects.filter(archived_at__isnull=True).order_by("name")
    ]
    return ContractCreateIdsForm(
        data,
        customers=Customer.objects.active().order_by("name"),
        sources=sources,
        preview_url=reverse("contracts:contract-create"),
    )


@require_http_methods(["GET", "POST"])
@login_required
def contract_create_view(request: HttpRequest) -> HttpResponse:
    template = "contracts/contract_create.html"
    if request.method == "GET":
        if request.htmx and request.htmx.target == "date-preview":
            # The date fields changed: show the window they give (one URL, page and fragment).
            form = _create_form(request.GET)
            return render(request, f"{template}#date-preview", {"preview": form.preview()})
        defaults = {"start": "next_month", "duration": "12"}
        form = _create_form()
        source = f"package:{request.GET.get('package', '')}"  # from a package's "New contract"
        if source in dict(form.fields["source"].choices):  # an unknown or archived one: ignored
            defaults.update(source=source, duration="")  # and the package's own term
        form.initial.update(defaults, customer=request.GET.get("customer", ""))
        preview = _create_form(defaults).preview()
        return render(request, template, {"form": form, "preview": preview})
    if not can_write(request.user, frozenset(DEAL_ROLES)):
        raise PermissionDenied("Your role cannot make this change.")
    form = _create_form(request.POST)
    if form.is_valid():
        customer_id, wire = form.to_wire()
        try:
            contract = contract_create(
                customer=Customer.objects.get(public_id=customer_id), data=wire
            )
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
        else:
            contract_invoices_on_create(contract=contract)  # its drafts are on its page at once
            messages.success(request, "Contract created.")
            url = reverse("contracts:contract-detail", args=[contract.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    context = {"form": form, "preview": form.preview()}
    return render(request, f"{template}#create-form" if request.htmx else template, context, status=422)  # fmt: skip


@require_GET
@login_required
def contract_detail(request: HttpRequest, contract_id: str) -> HttpResponse:
    """The page, its commits section (htmx target commits), or one of its add forms alone
    (?form=override-form): the page leaves those out and loads each when its <details> opens."""
    contract = contract_for_page(contract_id)
    if "form" in request.GET:
        if not can_write(request.user):
            raise PermissionDenied("Your role cannot make this change.")
        if (found := lazy_form(contract, request.GET["form"])) is None:
            raise Http404("No such form on the contract page.")
        return render(request, *found)
    show_expired = request.GET.get("expired") == "1"
    template = DETAIL
    if request.htmx and request.htmx.target == "commits":
        template += "#commits"
    return render(request, template, detail_context(contract, show_expired=show_expired, lazy=True))


@require_GET
@login_required
def contract_history(request: HttpRequest, contract_id: str) -> HttpResponse:
    """Every edit of the contract, newest first: when, who, and what it changed."""
    contract = contract_for_page(contract_id)
    edits = list(contract.edits.order_by("-created_at", "-pk"))
    return render(
        request,
        "contracts/contract_history.html",
        {"contract": contract, "edits": edit_rows(contract, edits)},
    )


def apply_edit(request: HttpRequest, contract: Contract, wire: dict, done: str) -> None:
    """Apply one contract edit as the signed-in user, recorded in the edit history."""
    contract_edit(contract=contract, data=wire, actor=request.user.get_username())
    messages.success(request, done)


def back(request: HttpRequest, contract: Contract) -> HttpResponse:
    url = reverse("contracts:contract-detail", args=[contract.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def form_field(message: str, form) -> str | None:
    """The form field a service error ('add_commits[0].access_schedule...: why') belongs to:
    the deepest path segment that is a field, a mapped wire name, or a field plus '_id'."""
    path = message.split(": ", 1)[0]
    if hasattr(form, "field_for_path") and (row_field := form.field_for_path(path)):
        return row_field  # a row of the form (CommitForm: "invoice_date_1")
    if getattr(form, "wire_top_level_only", False) and re.search(r"[.\[]", path):
        return None
    aliases = getattr(form, "wire_fields", {})
    for segment in reversed([s for s in re.split(r"[.\[\]]+", path) if s and not s.isdigit()]):
        for name in (segment, aliases.get(segment), segment.removesuffix("_id")):
            if name in form.fields:
                return name
    return None


def _page_wire(name: str, form, contract: Contract) -> dict:
    if name == "recurring":
        return form.to_wire(credit_type_id=contract_credit_type_id(contract))
    if name == "subscription":
        return form.to_wire()
    if name == "commit":
        key = "add_credits" if form.cleaned_data["kind"] == "CREDIT" else "add_commits"
        return {key: [form.to_wire()]}
    key = {"override": "add_overrides", "charge": "add_scheduled_charges"}[name]
    return {key: [form.to_wire()]}


def _page_form_view(request: HttpRequest, contract_id: str, name: str) -> HttpResponse:
    """POST of one of the contract page's add forms: valid → edit applied and back to the page;
    invalid (by the form or by the service) → the form again with the error inline (422)."""
    contract = contract_for_page(contract_id)
    form = page_forms(contract)[name](request.POST)
    if form.is_valid():
        wire = _page_wire(name, form, contract)
        if not wire:
            return back(request, contract)
        try:
            apply_edit(request, contract, wire, "Contract updated.")
            return back(request, contract)
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
    template = f"{DETAIL}#{name}-form" if request.htmx else DETAIL
    context = detail_context(contract, bound={f"{name}_form": form})
    # A row added or removed (CommitForm) is the form again, unchecked: not an error.
    status = 200 if getattr(form, "rows_changed", False) else 422
    return render(request, template, context, status=status)


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_commit(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _page_form_view(request, contract_id, "commit")


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_override(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _page_form_view(request, contract_id, "override")


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_charge(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _page_form_view(request, contract_id, "charge")


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_recurring(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _page_form_view(request, contract_id, "recurring")


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_subscription(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _page_form_view(request, contract_id, "subscription")


ARCHIVE_KEYS = {
    "commit": "archive_commits",
    "credit": "archive_credits",
    "override": "remove_overrides",
    "charge": "archive_scheduled_charges",
}


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_archive_item(
    request: HttpRequest, contract_id: str, kind: str, item_id: str
) -> HttpResponse:
    contract = contract_for_page(contract_id)
    if kind not in ARCHIVE_KEYS:
        raise Http404("Unknown item kind.")
    try:
        apply_edit(
            request,
            contract,
            {ARCHIVE_KEYS[kind]: [{"id": str(item_id)}]},
            f"The {kind} was archived.",
        )
    except ApplicationError as err:
        messages.error(request, err.message.split(": ", 1)[-1])
    return back(request, contract)
