"""Console pages owned by the platform: home, settings (API tokens, background work)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing_console import services
from billing_console.api import ApplicationError
from billing_console.forms import ApiTokenForm
from billing_console.models import ApiToken, WorkerHeartbeat
from billing_console.roles import ADMIN, role_required

HEARTBEAT_STALE_AFTER = timedelta(minutes=3)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("customers:customer-list")


def _settings_context(form: ApiTokenForm, new_token: str | None = None) -> dict:
    heartbeat = WorkerHeartbeat.objects.filter(name="worker").first()
    worker_ok = bool(heartbeat and timezone.now() - heartbeat.last_seen_at < HEARTBEAT_STALE_AFTER)
    return {
        "tokens": ApiToken.objects.select_related("created_by"),
        "form": form,
        "new_token": new_token,
        "heartbeat": heartbeat,
        "worker_ok": worker_ok,
    }


@require_GET
@login_required
@role_required(ADMIN)
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(request, "billing_console/settings.html", _settings_context(ApiTokenForm()))


@require_http_methods(["POST"])
@login_required
@role_required(ADMIN)
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    template = "billing_console/settings.html#token-panel"
    if not form.is_valid():
        return render(request, template, _settings_context(form), status=422)
    try:
        _token, raw = services.api_token_create(
            name=form.cleaned_data["name"],
            created_by=request.user,
            read_only=form.cleaned_data["read_only"],
        )
    except ApplicationError as err:
        form.add_error("name", err.message)
        return render(request, template, _settings_context(form), status=422)
    # The raw token is rendered once, in this response, and never again.
    if not request.htmx:
        template = "billing_console/settings.html"
    return render(request, template, _settings_context(ApiTokenForm(), new_token=raw))


@require_POST
@login_required
@role_required(ADMIN)
def api_token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = get_object_or_404(ApiToken, public_id=token_id)
    services.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    if request.htmx:
        return render(
            request, "billing_console/settings.html#token-panel", _settings_context(ApiTokenForm())
        )
    return redirect("settings")
