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
from contracts.forms import CommitForm, ContractCreateForm
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


def _detail_context(
    contract: Contract, commit_form: CommitForm | None = None, show_expired: bool = False
) -> dict:
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
            }
        )
    from pricing.services import credit_type_get_default

    return {
        "contract": contract,
        "credit_type": contract.rate_card.fiat_credit_type
        if contract.rate_card
        else credit_type_get_default(),
        "commits": commits,
        "show_expired": show_expired,
        "overrides": contract.overrides.filter(archived_at__isnull=True).select_related("product"),
        "charges": contract.scheduled_charges.filter(archived_at__isnull=True)
        .select_related("product")
        .prefetch_related("items"),
        "edits": contract.edits.all(),
        "invoices": contract.invoices.order_by("-period_start")[:24],
        "commit_form": commit_form
        or CommitForm(products=Product.objects.filter(archived_at__isnull=True, type="FIXED")),
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


@require_http_methods(["POST"])
@login_required
@role_required(*DEAL_ROLES)
def contract_add_commit(request: HttpRequest, contract_id: str) -> HttpResponse:
    contract = _contract(contract_id)
    products = Product.objects.filter(archived_at__isnull=True, type="FIXED")
    form = CommitForm(request.POST, products=products)
    if form.is_valid():
        key = "add_credits" if form.cleaned_data["kind"] == "CREDIT" else "add_commits"
        try:
            contract_edit(
                contract=contract, data={key: [form.to_wire()]}, actor=request.user.get_username()
            )
        except ApplicationError as err:
            form.add_error(_form_field(err.message), err.message.split(": ", 1)[-1])
        else:
            messages.success(request, f"{form.cleaned_data['name']} added.")
            url = reverse("contracts:contract-detail", args=[contract.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = (
        "contracts/contract_detail.html#commit-form"
        if request.htmx
        else "contracts/contract_detail.html"
    )
    return render(request, template, _detail_context(contract, commit_form=form), status=422)


def _form_field(message: str) -> str | None:
    path = message.split(":", 1)[0]
    for name in ("ending_before", "starting_at", "amount", "priority", "product", "name"):
        if path.endswith(name) or path.endswith(f"{name}_id"):
            return name
    return None
