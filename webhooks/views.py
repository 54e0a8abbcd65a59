"""Webhook endpoints in the console: list, create, edit, disable, rotate the secret, send a
test event, and the per-endpoint delivery log with redeliver. Admin and finance can change
things; everyone signed in can look. A secret is shown once (after create or rotate).

Only admins see an endpoint's URL in full and the response bodies in the log: others see the
URL with its tokens masked (webhooks/redact.py), and status codes and timings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, is_admin, role_required
from webhooks import selectors, services
from webhooks.forms import KNOWN_EVENT_TYPES, EndpointForm
from webhooks.models import Delivery, WebhookEndpoint

WRITERS = (ADMIN, FINANCE)
LOG_PAGE_SIZE = 25
SECRET_SESSION_KEY = "webhooks:secret-once"


def _get_endpoint(endpoint_id: str) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, public_id=endpoint_id)


def _stash_secret(request: HttpRequest, endpoint: WebhookEndpoint, secret: str) -> None:
    """Carry a new secret across the redirect; the next page view shows it and forgets it."""
    request.session[SECRET_SESSION_KEY] = {"endpoint": str(endpoint.public_id), "secret": secret}


def _pop_secret(request: HttpRequest, endpoint: WebhookEndpoint) -> str | None:
    stash = request.session.get(SECRET_SESSION_KEY)
    if stash and stash.get("endpoint") == str(endpoint.public_id):
        del request.session[SECRET_SESSION_KEY]
        return stash["secret"]
    return None


def _field_of(err: ApplicationError) -> str:
    field = err.message.split(":", 1)[0]
    return field if field in EndpointForm.base_fields else "url"


def _text_of(err: ApplicationError) -> str:
    return err.message.split(":", 1)[1].strip() if ":" in err.message else err.message


@require_GET
@login_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    context = {"endpoints": selectors.endpoint_list(), "form": EndpointForm()}
    return render(request, "webhooks/endpoint_list.html", context)


@require_POST
@login_required
@role_required(*WRITERS)
def endpoint_create(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = services.endpoint_create(**form.cleaned_data)
        except ApplicationError as err:
            form.add_error(_field_of(err), _text_of(err))
        else:
            _stash_secret(request, endpoint, endpoint.secret)
            messages.success(request, "Endpoint created.")
            url = reverse("webhooks:endpoint-detail", args=[endpoint.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "webhooks/endpoint_list.html"
    if request.htmx:
        template += "#create-form"
    context = {"endpoints": selectors.endpoint_list(), "form": form}
    return render(request, template, context, status=422)


def _edit_form(request: HttpRequest, endpoint: WebhookEndpoint) -> EndpointForm:
    return EndpointForm(
        initial={
            "url": endpoint.url if is_admin(request.user) else endpoint.url_masked,
            "description": endpoint.description,
            "kind": endpoint.kind,
            "event_types": ", ".join(endpoint.event_types),
        }
    )


def _detail_context(
    request: HttpRequest, endpoint: WebhookEndpoint, *, form: EndpointForm | None = None
) -> dict:
    status = request.GET.get("status") or ""
    if status not in {s for s, _ in Delivery.STATUSES}:
        status = ""
    deliveries = selectors.delivery_log(endpoint=endpoint, status=status or None)
    page = Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "endpoint": endpoint,
        "form": form or _edit_form(request, endpoint),
        "page": page,
        "status": status,
        "statuses": [s for s, _ in Delivery.STATUSES],
        "has_open": any(d.status in Delivery.OPEN for d in page),
        "known_event_types": KNOWN_EVENT_TYPES,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def endpoint_detail(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _get_endpoint(endpoint_id)
    template = "webhooks/endpoint_detail.html"
    if request.htmx and request.htmx.target == "delivery-log":
        template += "#delivery-log"
    context = _detail_context(request, endpoint)
    context["new_secret"] = _pop_secret(request, endpoint)
    return render(request, template, context)


def _back(request: HttpRequest, endpoint: WebhookEndpoint, fragment: str) -> HttpResponse:
    """htmx: the updated fragment; otherwise back to the endpoint page (PRG)."""
    if request.htmx:
        return render(
            request, f"webhooks/endpoint_detail.html#{fragment}", _detail_context(request, endpoint)
        )
    return redirect("webhooks:endpoint-detail", endpoint.public_id)


@require_POST
@login_required
@role_required(*WRITERS)
def endpoint_edit(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _get_endpoint(endpoint_id)
    form = EndpointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if data["url"] == endpoint.url_masked:  # sent back as shown (masked): unchanged
            data["url"] = endpoint.url
        try:
            services.endpoint_update(endpoint=endpoint, **data)
        except ApplicationError as err:
            endpoint.refresh_from_db()
            form.add_error(_field_of(err), _text_of(err))
        else:
            messages.success(request, "Endpoint saved.")
            url = reverse("webhooks:endpoint-detail", args=[endpoint.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "webhooks/endpoint_detail.html"
    if request.htmx:
        template += "#edit-form"
    return render(request, template, _detail_context(request, endpoint, form=form), status=422)


@require_POST
@login_required
@role_required(*WRITERS)
def endpoint_disable(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _get_endpoint(endpoint_id)
    services.endpoint_set_disabled(endpoint=endpoint, disabled=True)
    messages.success(request, "Endpoint disabled: nothing is sent to it until it is enabled.")
    return redirect("webhooks:endpoint-detail", endpoint.public_id)


@require_POST
@login_required
@role_required(*WRITERS)
def endpoint_enable(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _get_endpoint(endpoint_id)
    services.endpoint_set_disabled(endpoint=endpoint, disabled=False)
    messages.success(request, "Endpoint enabled.")
    return redirect("webhooks:endpoint-detail", endpoint.public_id)


@require_POST
@login_required
@role_required(*WRITERS)
def endpoint_rotate(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _get_endpoint(endpoint_id)
    secret = services.endpoint_secret_rotate(endpoint=endpoint)
    if request.htmx:
        context = _detail_context(request, endpoint)
        context["new_secret"] = secret  # rendered once, in this response
        return render(request, "webhooks/endpoint_detail.html#secret-panel", context)
    _stash_secret(request, endpoint, secret)
    return redirect("webhooks:endpoint-detail", endpoint.public_id)


@require_POST
@login_required
@role_required(*WRITERS)
def endpoint_test(request: HttpRequest, endpoint_id: str) -> HttpResponse:
    endpoint = _get_endpoint(endpoint_id)
    if not endpoint.is_active:
        messages.error(request, "Enable the endpoint to send it a test event.")
    else:
        services.endpoint_send_test(endpoint=endpoint)
    return _back(request, endpoint, "delivery-log")


@require_POST
@login_required
@role_required(*WRITERS)
def delivery_redeliver(request: HttpRequest, delivery_id: str) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("endpoint"), public_id=delivery_id)
    services.delivery_redeliver(delivery=delivery)
    return _back(request, delivery.endpoint, "delivery-log")
