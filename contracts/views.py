"""Deal desk in the console: contracts list, create (from a rate card or a package), and the
contract page where commits and credits are added, with balances and the edit history."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, DEAL_DESK, FINANCE, role_required
from contracts.edits import contract_edit
from contracts.forms import ChargeForm, CommitForm, ContractCreateForm, OverrideForm, TermsForm
from contracts.models import Contract
from contracts.selectors import commit_balance
from contracts.services import contract_create
from customers.models import Customer
from pricing.models import Package, Product, RateCard

DEAL_ROLES = (ADMIN, DEAL_DESK, FINANCE)


def _contract(contract_id: str) -> Contract:
    contract = (
        Contract.objects.select_related("customer", "rate_card", "package")
        .filter(public_id=contract_id)
        .first()
    )
    if contract is None:
        raise Http404("No such contract.")
    return contract


def commit_status(commit, now: datetime) -> str:
    """upcoming, active, expired or voided — from the access schedule."""
    if commit.archived_at is not None:
        return "voided"
    segments = list(commit.segments.all())
    if not segments:
        return "active"
    if all(s.ending_before <= now for s in segments):
        return "expired"
    if all(s.starting_at > now for s in segments):
        return "upcoming"
    return "active"


@require_GET
@login_required
def contract_list(request: HttpRequest) -> HttpResponse:
    contracts = Contract.objects.select_related("customer", "rate_card").order_by("-created_at")
    if request.GET.get("customer"):
        contracts = contracts.filter(customer__public_id=request.GET["customer"])
    return render(request, "contracts/contract_list.html", {"contracts": contracts[:500]})


def _create_form(data=None) -> ContractCreateForm:
    sources = [
        (f"rate_card:{c.public_id}", f"Rate card: {c.name}")
        for c in RateCard.objects.filter(archived_at__isnull=True)
    ]
    sources += [
        (f"package:{p.public_id}", f"Package: {p.name}")
        for p in Package.objects.filter(archived_at__isnull=True)
    ]
    return ContractCreateForm(
        data, customers=Customer.objects.active().order_by("name"), sources=sources
    )


@require_http_methods(["GET", "POST"])
@login_required
def contract_create_view(request: HttpRequest) -> HttpResponse:
    form = _create_form(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        if request.GET.get("customer"):
            form.initial["customer"] = request.GET["customer"]
        return render(request, "contracts/contract_create.html", {"form": form})
    if not _can_write(request):
        raise Http404
    if form.is_valid():
        data = form.cleaned_data
        kind, _, source_id = data["source"].partition(":")
        wire = {
            "name": data["name"],
            "starting_at": data["start_dt"].isoformat(),
            "usage_statement_schedule": {"frequency": data["frequency"]},
        }
        if data.get("end_dt"):
            wire["ending_before"] = data["end_dt"].isoformat()
        wire["package_id" if kind == "package" else "rate_card_id"] = source_id
        try:
            contract = contract_create(
                customer=Customer.objects.get(public_id=data["customer"]), data=wire
            )
        except ApplicationError as err:
            field, _, text = err.message.partition(": ")
            form.add_error(field if field in form.fields else None, text or err.message)
        else:
            messages.success(request, "Contract created.")
            url = reverse("contracts:contract-detail", args=[contract.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = (
        "contracts/contract_create.html#create-form"
        if request.htmx
        else "contracts/contract_create.html"
    )
    return render(request, template, {"form": form}, status=422)


def _can_write(request: HttpRequest) -> bool:
    from billing_console.roles import can_write

    return can_write(request.user, frozenset(DEAL_ROLES))


def _credit_type(contract: Contract):
    from pricing.services import credit_type_get_default

    return contract.rate_card.fiat_credit_type if contract.rate_card else credit_type_get_default()


def _form_builders(contract: Contract) -> dict:
    """The contract page's edit forms by name; each builder takes the POST data or nothing."""
    credit_type = _credit_type(contract)
    fixed = Product.objects.filter(archived_at__isnull=True, type__in=("FIXED", "PRO_SERVICE"))
    priced = Product.objects.filter(archived_at__isnull=True).exclude(
        type__in=("FIXED", "PRO_SERVICE")
    )
    terms = {"name": contract.name, "ending_before": contract.ending_before}
    return {
        "commit": lambda data=None: CommitForm(data, products=fixed, credit_type=credit_type),
        "override": lambda data=None: OverrideForm(data, products=priced),
        "charge": lambda data=None: ChargeForm(data, products=fixed, credit_type=credit_type),
        "terms": lambda data=None: TermsForm(data, initial=terms),
    }


def _forms(contract: Contract, **bound) -> dict:
    return {
        f"{name}_form": bound.get(f"{name}_form") or build()
        for name, build in _form_builders(contract).items()
    }


def _change_text(value) -> str:
    if value is None:
        return "removed"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _detail_context(contract: Contract, show_expired: bool = False, **bound) -> dict:
    now = timezone.now()
    commits = []
    for commit in contract.commits.select_related("product").prefetch_related("segments", "ledger"):
        status = commit_status(commit, now)
        if status == "expired" and not show_expired:
            continue
        commits.append(
            {
                "commit": commit,
                "status": status,
                "balance": commit_balance(commit),
                "ledger": list(commit.ledger.all()),
                "archive_kind": "credit" if commit.kind == "CREDIT" else "commit",
            }
        )
    edits = list(contract.edits.all())
    for edit in edits:
        edit.change_list = [(key, _change_text(value)) for key, value in edit.changes.items()]
    return {
        "contract": contract,
        "credit_type": _credit_type(contract),
        "commits": commits,
        "show_expired": show_expired,
        "overrides": contract.overrides.filter(archived_at__isnull=True).select_related("product"),
        "charges": contract.scheduled_charges.filter(archived_at__isnull=True)
        .select_related("product")
        .prefetch_related("items"),
        "edits": edits,
        "invoices": contract.invoices.select_related("credit_type").order_by("-period_start")[:24],
        **_forms(contract, **bound),
    }


@require_GET
@login_required
def contract_detail(request: HttpRequest, contract_id: str) -> HttpResponse:
    contract = _contract(contract_id)
    show_expired = request.GET.get("expired") == "1"
    template = "contracts/contract_detail.html"
    if request.htmx and request.htmx.target == "commits":
        template += "#commits"
    return render(request, template, _detail_context(contract, show_expired=show_expired))


def _apply(request: HttpRequest, contract: Contract, wire: dict, done: str) -> None:
    """Apply one contract edit as the signed-in user, recorded in the edit history."""
    contract_edit(contract=contract, data=wire, actor=request.user.get_username())
    messages.success(request, done)


def _back(request: HttpRequest, contract: Contract) -> HttpResponse:
    url = reverse("contracts:contract-detail", args=[contract.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _edit_form_view(
    request: HttpRequest, contract_id: str, name: str, wire_key: str | None
) -> HttpResponse:
    """POST of one of the contract page's edit forms: valid → edit applied and back to the page;
    invalid (by the form or by the service) → the form again with the error inline (422)."""
    contract = _contract(contract_id)
    form = _form_builders(contract)[name](request.POST)
    if form.is_valid():
        if name == "terms":
            wire = form.to_wire(contract)
        else:
            key = wire_key
            if name == "commit":
                key = "add_credits" if form.cleaned_data["kind"] == "CREDIT" else "add_commits"
            wire = {key: [form.to_wire()]}
        try:
            if not wire:
                return _back(request, contract)
            _apply(request, contract, wire, "Contract updated.")
            return _back(request, contract)
        except ApplicationError as err:
            form.add_error(_form_field(err.message, form), err.message.split(": ", 1)[-1])
    template = "contracts/contract_detail.html"
    if request.htmx:
        template += f"#{name}-form"
    return render(
        request, template, _detail_context(contract, **{f"{name}_form": form}), status=422
    )


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_commit(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _edit_form_view(request, contract_id, "commit", None)


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_override(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _edit_form_view(request, contract_id, "override", "add_overrides")


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_charge(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _edit_form_view(request, contract_id, "charge", "add_scheduled_charges")


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_update_terms(request: HttpRequest, contract_id: str) -> HttpResponse:
    return _edit_form_view(request, contract_id, "terms", None)


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
    contract = _contract(contract_id)
    if kind not in ARCHIVE_KEYS:
        raise Http404("Unknown item kind.")
    try:
        _apply(
            request,
            contract,
            {ARCHIVE_KEYS[kind]: [{"id": str(item_id)}]},
            f"The {kind} was archived.",
        )
    except ApplicationError as err:
        messages.error(request, err.message.split(": ", 1)[-1])
    return _back(request, contract)


def _form_field(message: str, form) -> str | None:
    path = message.split(":", 1)[0]
    for name in form.fields:
        if path.endswith(name) or path.endswith(f"{name}_id"):
            return name
    if path.endswith("update_contract_end_date"):
        return "ending_before"
    if path.endswith("update_contract_name"):
        return "name"
    return None
