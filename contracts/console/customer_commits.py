"""The customer page's card of customer-level commits and credits (loaded into the page by htmx,
as the reports app's overview is: customers imports neither contracts nor invoicing): the
table, the add form and each row's end-date form. Writes call the services the API calls
(/customerCommits/create, /customerCredits/create, .../updateEndDate), so what the console
accepts is what the API honours. Customer-level balances have no archive, neither in the API
nor in the services (a contract's commits are archived by a contract edit)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from billing_console.api import ApplicationError
from billing_console.forms import within_input_window
from billing_console.roles import role_required
from contracts.console.forms import midnight_utc
from contracts.console.forms_customer_commits import CustomerCommitForm, contract_label
from contracts.console.history import credit_type
from contracts.console.page import commit_status
from contracts.console.views import DEAL_ROLES, form_field
from contracts.models import Commit
from contracts.terms.balances import BalanceFilters, balances_list
from contracts.terms.commit_edits import commit_update_end_date
from contracts.terms.customer_commits import customer_commit_create
from contracts.terms.ledger import commit_available_balance
from customers.models import Customer
from pricing.models import CreditType, CreditTypeConversion, Product
from pricing.services import credit_type_get_default

TEMPLATE = "contracts/customer_commits.html"
CHANGED = "balancesChanged"  # the customer page reloads its overview on this htmx event


class EndDateForm(forms.Form):
    wire_fields = {"access_ending_before": "ending_before"}
    ending_before = forms.DateField(
        label="New end date", widget=forms.DateInput(attrs={"type": "date"}),
        validators=[within_input_window], help_text="Exclusive: the first day without access.",
    )  # fmt: skip


@dataclass
class Row:
    commit: Commit
    unit: Any  # pricing.CreditType of its access amounts
    status: str  # upcoming | active | expired
    remaining: Decimal  # usable now, in `unit`'s stored unit (USD cents)
    invoiced_on: str  # the contract its purchase is invoiced on ("" for none)
    contracts: list[str]  # names of the contracts it applies to; [] = all
    products: list[str]  # names of the products (and tags) it pays for; [] = all
    end_form: EndDateForm


def _customer(customer_id: Any) -> Customer:
    customer = Customer.objects.filter(public_id=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


def _contracts(customer: Customer) -> list:
    return list(
        customer.contracts.filter(archived_at__isnull=True)
        .select_related("rate_card__fiat_credit_type")
        .order_by("-starting_at", "pk")
    )


def _currency(contracts: list) -> Any:
    """The customer's currency: its latest contract's, else the default (USD)."""
    found = credit_type(contracts[0]) if contracts else None
    return found or credit_type_get_default()


def add_form(customer: Customer, data=None, contracts=None) -> CustomerCommitForm:
    contracts = _contracts(customer) if contracts is None else contracts
    products = Product.objects.filter(archived_at__isnull=True)
    conversions = CreditTypeConversion.objects.filter(
        rate_card__in=[c.rate_card_id for c in contracts if c.rate_card_id]
    ).values("custom_credit_type")
    units = CreditType.objects.filter(
        pk__in=conversions, is_fiat=False, archived_at__isnull=True
    ).order_by("name")
    return CustomerCommitForm(
        data,
        products=products.filter(type__in=("FIXED", "PRO_SERVICE")),
        credit_type=_currency(contracts),
        contracts=contracts,
        custom_units=units,
        auto_id="customer-commit-%s",  # the customer page has a "name" field of its own
    )


def _rows(customer: Customer, contracts: list, bound: dict) -> list[Row]:
    now, currency = timezone.now(), _currency(contracts)
    names = {str(c.public_id): contract_label(c) for c in contracts}
    commits = balances_list(customer=customer, filters=BalanceFilters()).select_related(
        "access_credit_type", "invoice_contract__rate_card__fiat_credit_type"
    )
    product_names = {str(k): v for k, v in Product.objects.values_list("public_id", "name")}
    rows = []
    for commit in commits.order_by("-created_at", "-pk"):
        invoiced_on = commit.invoice_contract
        unit = commit.access_credit_type or (credit_type(invoiced_on) if invoiced_on else currency)
        key = str(commit.public_id)
        products = [product_names.get(p, p) for p in commit.applicable_product_ids]
        rows.append(
            Row(
                commit=commit,
                unit=unit,
                status=commit_status(commit, now),
                remaining=commit_available_balance(commit, at=now),
                invoiced_on=contract_label(invoiced_on) if invoiced_on else "",
                contracts=[names.get(str(c), str(c)) for c in commit.applicable_contract_ids],
                products=products + [f"tag {t}" for t in commit.applicable_product_tags],
                end_form=bound.get(key) or EndDateForm(auto_id=f"end-{key}-%s"),
            )
        )
    return rows


def _context(customer: Customer, *, form=None, bound=None, added: str = "") -> dict:
    contracts = _contracts(customer)
    return {
        "customer": customer,
        "rows": _rows(customer, contracts, bound or {}),
        "form": form or add_form(customer, contracts=contracts),
        "open_form": form is not None,  # posted: the form stays open (errors, rows changed)
        "added": added,
    }


def _card(request: HttpRequest, customer: Customer, status: int = 200, **context) -> HttpResponse:
    template = f"{TEMPLATE}#customer-commits" if request.htmx else TEMPLATE
    return render(request, template, _context(customer, **context), status=status)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def customer_commits(request: HttpRequest, customer_id: str) -> HttpResponse:
    """The card (htmx, into the customer page) or a page of its own (no script)."""
    return _card(request, _customer(customer_id))


def _done(request: HttpRequest, customer: Customer, text: str) -> HttpResponse:
    if not request.htmx:  # PRG
        messages.success(request, text)
        return redirect("customers:customer-detail", customer.public_id)
    response = _card(request, customer, added=text)
    return trigger_client_event(response, CHANGED, {})


@require_POST
@login_required
@role_required(*DEAL_ROLES)
def customer_commit_add(request: HttpRequest, customer_id: str) -> HttpResponse:
    """Valid → created by the API's service, the card again with a fresh form; refused (by the
    form or by the service) → the card with the form and its errors beside the fields (422)."""
    customer = _customer(customer_id)
    form = add_form(customer, request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():  # all of it or nothing: the commit, its segments, items
                commit = customer_commit_create(
                    customer=customer, data=form.to_wire(), credit=form.is_credit
                )
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
        else:
            what = "Credit" if form.is_credit else "Commit"
            return _done(request, customer, f"{what} “{commit.name or commit.product.name}” added.")
    # A row added or removed (CommitForm's rows) is the form again, unchecked: not an error.
    return _card(request, customer, 200 if getattr(form, "rows_changed", False) else 422, form=form)


@require_POST
@login_required
@role_required(*DEAL_ROLES)
def customer_commit_end_date(
    request: HttpRequest, customer_id: str, commit_id: str
) -> HttpResponse:
    """/customerCommits/updateEndDate (and Credits'): the access ends on the day given."""
    customer = _customer(customer_id)
    commit = (
        Commit.objects.filter(customer=customer, contract__isnull=True, archived_at__isnull=True)
        .filter(public_id=commit_id)
        .first()
    )
    if commit is None:
        raise Http404("No such customer-level commit or credit.")
    key = str(commit.public_id)
    form = EndDateForm(request.POST, auto_id=f"end-{key}-%s")
    if form.is_valid():
        try:
            with transaction.atomic():
                commit_update_end_date(
                    commit=commit,
                    access_ending_before=midnight_utc(form.cleaned_data["ending_before"]),
                )
        except ApplicationError as err:
            form.add_error(form_field(err.message, form), err.message.split(": ", 1)[-1])
        else:
            day = form.cleaned_data["ending_before"]
            return _done(
                request, customer, f"Access now ends before {day:%b} {day.day}, {day.year}."
            )
    return _card(request, customer, 422, bound={key: form})
