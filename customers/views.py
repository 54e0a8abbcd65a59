"""Customers in the console: one URL serves the page and its htmx fragment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.custom_fields import custom_field_values_delete, custom_field_values_set
from billing_console.models import CustomFieldKey
from billing_console.preferences import remembered_filters
from billing_console.roles import role_required
from customers import selectors, services
from customers.forms import (
    CustomerAliasesForm,
    CustomerCreateForm,
    CustomerFilterForm,
    CustomerNameForm,
    CustomFieldForm,
)
from customers.list_figures import FIGURES, list_figures_provider
from customers.models import Customer
from customers.provider_forms import CustomerBillingConfigurationForm

PAGE_SIZE = 50
# ?sort= (a leading "-" for descending): the columns one can order the list by
SORTS = {"name": "name", "created": "created_at", "spend": "spend_sort", "drafts": "drafts_sort"}
SORT_LABELS = {"name": "Name", "created": "Created", "spend": "Spend", "drafts": "Open drafts"}
ARCHIVED = {"active": False, "archived": True, "all": None}


def sort_headers(sort: str) -> dict[str, dict[str, str]]:
    """Per column: the ?sort= its header link asks for (a column sorted one way: the other way;
    else names A→Z first, dates and amounts largest first) and its aria-sort state."""
    out = {}
    for column in SORTS:
        first = column if column == "name" else f"-{column}"
        if sort.lstrip("-") == column:
            state = "descending" if sort.startswith("-") else "ascending"
            out[column] = {"next": column if sort.startswith("-") else f"-{column}", "state": state}
        else:
            out[column] = {"next": first, "state": "none"}
        out[column]["label"] = SORT_LABELS[column]
    return out


def _get_customer(customer_id: str) -> Customer:
    try:
        return selectors.customer_get(str(customer_id))
    except ApplicationError as err:
        raise Http404(err.message) from err


@require_GET
@login_required
@vary_on_headers("HX-Request")
def customer_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(request, "customer-list", ("q", "status"))
    filters = CustomerFilterForm(params)
    filters.is_valid()
    status = filters.cleaned_data.get("status") or "active"
    now, figures = timezone.now(), list_figures_provider()
    qs = selectors.customer_list(
        search=filters.cleaned_data.get("q", ""), archived=ARCHIVED[status]
    )
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") not in SORTS or (figures is None and sort.lstrip("-") in FIGURES):
        sort = "-created"
    if figures is not None and sort.lstrip("-") in FIGURES:
        qs = figures.with_sort_keys(qs, now)
    key = Lower("name") if sort.lstrip("-") == "name" else F(SORTS[sort.lstrip("-")])
    qs = qs.order_by(key.desc() if sort.startswith("-") else key.asc(), "name", "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "customers/customer_list.html"
    if request.htmx and request.htmx.target == "customer-table":
        template += "#customer-table"
    billings = selectors.customer_lifetime_billings(list(page))
    columns = figures.figures(list(page), now) if figures is not None else {}
    for customer in page:
        customer.lifetime_billings = billings.get(customer.pk, [])
        customer.figures = columns.get(customer.pk, {})
    context = {
        "filters": filters, "page": page, "status": status, "form": CustomerCreateForm(),
        "sort": sort, "sorts": sort_headers(sort),
    }  # fmt: skip
    return render(request, template, context)


@require_POST
@login_required
@role_required()
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerCreateForm(request.POST)
    if form.is_valid():
        try:
            customer = services.customer_create(
                name=form.cleaned_data["name"], ingest_aliases=form.cleaned_data["ingest_aliases"]
            )
        except ApplicationError as err:
            form.add_error(_field_of(err, "ingest_aliases"), _text_of(err))
        else:
            messages.success(request, f"Customer “{customer.name}” created.")
            url = reverse("customers:customer-detail", args=[customer.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return render(
            request, "customers/customer_list.html#create-form", {"form": form}, status=422
        )
    return render(request, "customers/customer_create.html", {"form": form}, status=422)


@require_GET
@login_required
def customer_detail(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _get_customer(customer_id)
    return render(request, "customers/customer_detail.html", customer_detail_context(customer))


def customer_detail_context(customer: Customer, **forms: object) -> dict:
    keys = CustomFieldKey.objects.filter(entity="customer").values_list("key", flat=True)
    aliases = selectors.customer_aliases(customer)
    return {
        "customer": customer,
        # Through reverse relations: customers imports neither contracts nor invoicing.
        "contracts": customer.contracts.select_related("rate_card").order_by("-starting_at"),
        "invoices": customer.invoices.select_related("credit_type")
        .exclude(status="VOID")
        .order_by("-period_start", "-pk")[:12],
        "aliases": aliases,
        "custom_field_keys": list(keys),
        "name_form": forms.get("name_form") or CustomerNameForm(initial={"name": customer.name}),
        "aliases_form": forms.get("aliases_form")
        or CustomerAliasesForm(initial={"ingest_aliases": ", ".join(aliases)}),
        "field_form": forms.get("field_form") or CustomFieldForm(),
        "billing_configurations": customer.billing_configurations.select_related("provider")
        .prefetch_related("contracts")
        .order_by(F("archived_at").asc(nulls_first=True), "-created_at"),
        "billing_form": forms.get("billing_form") or CustomerBillingConfigurationForm(),
    }


def _field_of(err: ApplicationError, default: str) -> str:
    field = err.message.split(":", 1)[0]
    return field if field.isidentifier() else default


def _text_of(err: ApplicationError) -> str:
    return err.message.split(": ", 1)[-1]


def _section(
    request: HttpRequest, customer: Customer, partial: str, status: int = 200, **forms: object
) -> HttpResponse:
    if not request.htmx and status == 200:
        return redirect("customers:customer-detail", customer.public_id)
    template = f"customers/customer_detail.html#{partial}"
    return render(request, template, customer_detail_context(customer, **forms), status=status)


@require_http_methods(["POST"])
@login_required
@role_required()
def customer_set_name(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _get_customer(customer_id)
    form = CustomerNameForm(request.POST)
    if form.is_valid():
        try:
            services.customer_set_name(customer=customer, name=form.cleaned_data["name"])
            return _section(request, customer, "customer-header")
        except ApplicationError as err:
            form.add_error("name", _text_of(err))
    return _section(request, customer, "customer-header", 422, name_form=form)


@require_http_methods(["POST"])
@login_required
@role_required()
def customer_set_aliases(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _get_customer(customer_id)
    form = CustomerAliasesForm(request.POST)
    if form.is_valid():
        try:
            services.customer_set_ingest_aliases(
                customer=customer, ingest_aliases=form.cleaned_data["ingest_aliases"]
            )
            customer = _get_customer(customer_id)
            return _section(request, customer, "customer-aliases")
        except ApplicationError as err:
            form.add_error("ingest_aliases", _text_of(err))
    return _section(request, customer, "customer-aliases", 422, aliases_form=form)


@require_http_methods(["POST"])
@login_required
@role_required()
def customer_set_custom_field(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _get_customer(customer_id)
    form = CustomFieldForm(request.POST)
    if form.is_valid():
        try:
            customer = custom_field_values_set(
                entity="customer",
                entity_id=str(customer.public_id),
                values={form.cleaned_data["key"]: form.cleaned_data["value"]},
            )
            return _section(request, customer, "customer-fields")
        except ApplicationError as err:
            form.add_error("key" if "key" in err.message else "value", _text_of(err))
    return _section(request, customer, "customer-fields", 422, field_form=form)


@require_POST
@login_required
@role_required()
def customer_delete_custom_field(request: HttpRequest, customer_id: str, key: str) -> HttpResponse:
    customer = custom_field_values_delete(entity="customer", entity_id=str(customer_id), keys=[key])
    return _section(request, customer, "customer-fields")


@require_POST
@login_required
@role_required()
def customer_archive(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = services.customer_archive(customer=_get_customer(customer_id))
    messages.success(request, f"Customer “{customer.name}” archived; its aliases are released.")
    url = reverse("customers:customer-detail", args=[customer.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
