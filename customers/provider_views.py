"""Billing providers in the console: Stripe accounts (Settings, admins only; secrets shown
masked), and each customer's configurations (finance and admins). One URL serves each page and
its htmx fragment; validation failures re-render the fragment with 422."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, role_required
from customers import billing_providers as services
from customers.models import (
    BillingProvider,
    ConfiguredBillingProvider,
    Customer,
    CustomerBillingProviderConfiguration,
)
from customers.provider_forms import CustomerBillingConfigurationForm, StripeAccountForm

PAGE = "customers/billing_providers.html"


def _page_context(request: HttpRequest, form: StripeAccountForm | None = None, **extra) -> dict:
    providers = list(services.billing_provider_list(include_archived=True))
    for provider in providers:
        if provider.billing_provider == BillingProvider.STRIPE:
            path = reverse("stripe-webhook", args=[provider.public_id])
            provider.webhook_url = f"{settings.SITE_URL.rstrip('/')}{path}"
        provider.live_configurations = provider.customer_configurations.active().count()
    return {"providers": providers, "form": form or StripeAccountForm(), **extra}


def _panel(request: HttpRequest, status: int = 200, **context) -> HttpResponse:
    template = f"{PAGE}#provider-panel" if request.htmx else PAGE
    return render(request, template, _page_context(request, **context), status=status)


@require_GET
@login_required
@role_required(ADMIN)
def billing_provider_list(request: HttpRequest) -> HttpResponse:
    return render(request, PAGE, _page_context(request))


@require_POST
@login_required
@role_required(ADMIN)
def billing_provider_create(request: HttpRequest) -> HttpResponse:
    form = StripeAccountForm(request.POST)
    if form.is_valid():
        try:
            provider = services.billing_provider_set_up(data=form.to_wire())
        except ApplicationError as err:
            _form_error(form, err)
        else:
            if not request.htmx:
                messages.success(request, f"Stripe account “{provider}” set up.")
                return redirect("billing-provider-list")
            return _panel(request, created=provider)
    return _panel(request, 422, form=form)


@require_POST
@login_required
@role_required(ADMIN)
def billing_provider_update(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = get_object_or_404(
        ConfiguredBillingProvider, public_id=provider_id, billing_provider=BillingProvider.STRIPE
    )
    form = StripeAccountForm(request.POST, editing=True)
    if form.is_valid():
        try:
            services.billing_provider_update(
                provider=provider,
                name=form.cleaned_data["name"],
                secret_key=form.cleaned_data["secret_key"],
                webhook_secret=form.cleaned_data["webhook_secret"],
                effective_at_end_of_period=form.cleaned_data["effective_at_end_of_period"],
            )
        except ApplicationError as err:
            _form_error(form, err)
        else:
            return _panel(request) if request.htmx else redirect("billing-provider-list")
    return _panel(request, 422, edit_form=form, editing=provider)


@require_POST
@login_required
@role_required(ADMIN)
def billing_provider_archive(request: HttpRequest, provider_id: str) -> HttpResponse:
    provider = get_object_or_404(ConfiguredBillingProvider, public_id=provider_id)
    try:
        services.billing_provider_archive(provider=provider)
    except ApplicationError as err:
        return _panel(request, 409, panel_error=err.message.split(": ", 1)[-1])
    return _panel(request) if request.htmx else redirect("billing-provider-list")


def _form_error(form: StripeAccountForm, err: ApplicationError) -> None:
    field, _, text = err.message.partition(": ")
    key = field.rsplit(".", 1)[-1].removeprefix("stripe_")
    form.add_error(key if key in form.fields else None, text or err.message)


# --- a customer's configurations ------------------------------------------------------------


def _customer(customer_id: str) -> Customer:
    customer = Customer.objects.filter(public_id=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    return customer


def _customer_section(
    request: HttpRequest, customer: Customer, status: int = 200, **forms: object
) -> HttpResponse:
    from customers.views import customer_detail_context

    if not request.htmx and status == 200:
        return redirect("customers:customer-detail", customer.public_id)
    template = "customers/customer_detail.html#customer-billing"
    return render(request, template, customer_detail_context(customer, **forms), status=status)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def customer_billing_configuration_add(request: HttpRequest, customer_id: str) -> HttpResponse:
    customer = _customer(customer_id)
    form = CustomerBillingConfigurationForm(request.POST)
    if form.is_valid():
        try:
            services.customer_billing_configuration_set(customer=customer, data=form.to_wire())
        except ApplicationError as err:
            form.add_service_error(err.message)
        else:
            return _customer_section(request, customer)
    return _customer_section(request, customer, 422, billing_form=form)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def customer_billing_configuration_archive(
    request: HttpRequest, customer_id: str, configuration_id: str
) -> HttpResponse:
    customer = _customer(customer_id)
    row = get_object_or_404(
        CustomerBillingProviderConfiguration, customer=customer, public_id=configuration_id
    )
    services.customer_billing_configurations_archive(customer=customer, ids=[str(row.public_id)])
    return _customer_section(request, customer)
