"""Package pages of the pricing console: the list, the create form (terms as JSON), and a
package's page with its terms laid out by section."""

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
from pricing import packages
from pricing.console import package_display, queries
from pricing.console.form_fields import ListFilterForm
from pricing.console.package_forms import PackageCreateForm
from pricing.console.view_helpers import (
    PAGE_SIZE,
    add_service_error,
    client_redirect,
    status_filter,
)
from pricing.models import Package

# Service error fields ("field: why") -> the form field that shows the error.
PACKAGE_ERROR_FIELDS = {"rate_card_id": "rate_card", "rate_card_alias": "rate_card"}


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
    template = "pricing/package_create.html"
    if request.method == "GET":
        return render(request, template, {"form": PackageCreateForm()})
    form = PackageCreateForm(request.POST)
    if form.is_valid():
        try:
            package = packages.package_create(data=form.body())
        except ApplicationError as err:
            add_service_error(form, err, PACKAGE_ERROR_FIELDS, default="terms")
        else:
            messages.success(request, f"Package “{package.name}” created.")
            url = reverse("pricing:package-detail", args=[package.public_id])
            return client_redirect(request, url)
    if request.htmx:
        template += "#package-form"
    return render(request, template, {"form": form}, status=422)


@require_GET
@login_required
def package_detail(request: HttpRequest, package_id: str) -> HttpResponse:
    package: Package | None = queries.package_get(package_id)
    if package is None:
        raise Http404("No such package.")
    context = {
        "package": package,
        "sections": package_display.package_term_sections(package),
        "other_terms": package_display.package_other_terms(package),
    }
    return render(request, "pricing/package_detail.html", context)
