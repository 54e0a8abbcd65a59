"""Package pages (served at /packages/, listed under Catalog): the list, the package builder
(contracts.console.package_builder), and a package's page with its terms in words. They live in
contracts because a package is contract terms kept for later: the builder's item forms are the
contract page's forms."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from billing_console.api import ApplicationError
from billing_console.preferences import remembered_filters
from billing_console.roles import role_required
from contracts.console import package_display
from contracts.console.package_builder import ACTION, KINDS, Builder
from pricing import packages
from pricing.console import queries
from pricing.console.form_fields import ListFilterForm
from pricing.console.view_helpers import (
    PAGE_SIZE,
    client_redirect,
    status_filter,
)
from pricing.models import Package


@require_GET
@login_required
@vary_on_headers("HX-Request")
def package_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(request, "package-list", ("q", "status"))
    filters = ListFilterForm(params)
    filters.is_valid()
    status = status_filter(filters.cleaned_data.get("status"))
    qs = queries.package_list(search=filters.cleaned_data.get("q", ""), status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for package in page:  # a page of templates: one product-name query each
        package.summary = package_display.package_summary(package)
    template = "pricing/package_list.html"
    if request.htmx and request.htmx.target == "package-table":
        template += "#package-table"
    context = {
        "filters": filters,
        "page": page,
        "status": status,
    }
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def package_create(request: HttpRequest) -> HttpResponse:
    """The package builder: one URL for the page and its form (htmx swaps the form)."""
    template = "pricing/package_create.html"
    if request.method == "GET":
        return render(request, template, _builder_context(Builder.blank()))
    builder = Builder.from_post(request.POST)
    status = 200
    if builder.act(request.POST.get(ACTION, "")):
        status = (
            422 if builder.errors or (builder.item is not None and builder.item.errors) else 200
        )
    else:
        head = builder.checked_head()
        if head is not None:
            try:
                package = packages.package_create(data=builder.body(head))
            except ApplicationError as err:
                builder.service_error(head, err)
            else:
                messages.success(request, f"Package “{package.name}” created.")
                url = reverse("contracts:package-detail", args=[package.public_id])
                return client_redirect(request, url)
        status = 422
    if request.htmx:
        template += "#package-form"
    return render(request, template, _builder_context(builder), status=status)


def _builder_context(builder: Builder) -> dict:
    return {"builder": builder, "form": builder.head, "kinds": KINDS,
            "items": package_display.draft_items(builder.draft, builder.unit)}  # fmt: skip


@require_GET
@login_required
def package_detail(request: HttpRequest, package_id: str) -> HttpResponse:
    package: Package | None = queries.package_get(package_id)
    if package is None:
        raise Http404("No such package.")
    terms = package.terms or {}
    context = {
        "package": package,
        "summary": package_display.package_summary(package),
        "contract_terms": package_display.contract_terms(package),
        "sections": package_display.item_sections(terms, package_display.package_unit(package)),
        "other_terms": package_display.other_terms(package),
    }
    return render(request, "pricing/package_detail.html", context)
