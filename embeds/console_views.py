"""Console screens of embeds: the customer page's embed card (choose a dashboard, colours and
expiry; copy the URL and an <iframe> snippet) and Settings → Embeds (origins allowed to frame).
The URL is made by embeds.services.embed_url_create, as /v1/dashboards/getEmbeddableUrl does."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing_console.api import ApplicationError
from billing_console.models import EmbedFrameOrigin
from billing_console.roles import ADMIN, can_write, role_required
from customers.models import Customer
from customers.selectors import customer_get
from embeds import origins
from embeds.forms import DASHBOARD_CHOICES, EmbedLinkForm, FrameOriginForm
from embeds.services import embed_url_create

CARD = "embeds/embed_link.html"


def _get_customer(customer_id: Any) -> Customer:
    try:
        return customer_get(str(customer_id))
    except ApplicationError as err:
        raise Http404(err.message) from err


def _card(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    template = f"{CARD}#embed-card" if request.htmx else CARD
    return render(request, template, {"frame_ancestors": origins.frame_ancestors(), **context}, status=status)  # fmt: skip


@require_http_methods(["GET", "POST"])
@login_required
def embed_link(request: HttpRequest, customer_id: Any) -> HttpResponse:
    """GET: the form (the customer page loads it into its embed card). POST: the link."""
    if request.method == "POST" and not can_write(request.user):
        raise PermissionDenied  # before the lookup: a read-only user learns nothing by it
    customer = _get_customer(customer_id)
    if request.method == "GET":
        return _card(request, {"customer": customer, "form": EmbedLinkForm()})
    form = EmbedLinkForm(request.POST)
    if not form.is_valid():
        return _card(request, {"customer": customer, "form": form}, status=422)
    try:
        path, grant = embed_url_create(
            data=form.wire(str(customer.public_id)), lifetime=form.cleaned_data["lifetime"]
        )
    except ApplicationError as err:  # the customer was deleted meanwhile, or the like
        form.add_error(None, err.message)
        return _card(request, {"customer": customer, "form": form}, status=422)
    link = {
        "url": request.build_absolute_uri(path),
        "title": dict(DASHBOARD_CHOICES)[grant.dashboard],
        "expires_at": timezone.now() + timedelta(seconds=form.cleaned_data["lifetime"]),
    }
    return _card(request, {"customer": customer, "form": form, "link": link})


def _origins_context(form: FrameOriginForm) -> dict[str, Any]:
    return {
        "form": form,
        "frame_origins": EmbedFrameOrigin.objects.select_related("created_by"),
        "env_sources": settings.EMBED_FRAME_ANCESTORS,
    }


@require_GET
@login_required
@role_required(ADMIN)
def frame_origins(request: HttpRequest) -> HttpResponse:
    return render(request, "embeds/frame_origins.html", _origins_context(FrameOriginForm()))


@require_POST
@login_required
@role_required(ADMIN)
def frame_origin_add(request: HttpRequest) -> HttpResponse:
    form = FrameOriginForm(request.POST)
    template = "embeds/frame_origins.html#origin-panel" if request.htmx else "embeds/frame_origins.html"  # fmt: skip
    if form.is_valid():
        try:
            origins.frame_origin_add(origin=form.cleaned_data["origin"], created_by=request.user)
        except ApplicationError as err:
            form.add_error("origin", err.message.split(": ", 1)[-1])
    if not form.is_valid():
        return render(request, template, _origins_context(form), status=422)
    if request.htmx:
        return render(request, template, _origins_context(FrameOriginForm()))
    messages.success(request, "Origin allowed.")
    return redirect("embeds:frame-origins")


@require_POST
@login_required
@role_required(ADMIN)
def frame_origin_remove(request: HttpRequest, origin_id: Any) -> HttpResponse:
    frame_origin = get_object_or_404(EmbedFrameOrigin, public_id=origin_id)
    origins.frame_origin_remove(frame_origin=frame_origin)
    if request.htmx:
        return render(request, "embeds/frame_origins.html#origin-panel", _origins_context(FrameOriginForm()))  # fmt: skip
    messages.success(request, f"{frame_origin.origin} may no longer frame dashboards.")
    return redirect("embeds:frame-origins")
