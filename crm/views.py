"""Settings → Salesforce: the connection and the mappings (admins), and the sync log (everyone
signed in can look; admin and finance can retry). Secrets are never shown back."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, role_required
from crm import selectors, services
from crm.forms import KINDS, ConnectionForm, MappingForm, mapping_initial
from crm.models import EntityKind, SyncRecord, SyncStatus
from crm.salesforce.fields import SOURCE_FIELDS, WITH_CUSTOM_FIELDS

LOG_PAGE_SIZE = 25


def _field_of(err: ApplicationError, form: ConnectionForm | MappingForm) -> str | None:
    field = err.message.split(":", 1)[0]
    return field if field in form.fields else None


def _text_of(err: ApplicationError) -> str:
    return err.message.split(":", 1)[1].strip() if ":" in err.message else err.message


def _connection_form() -> ConnectionForm:
    connection = selectors.connection_get()
    if connection is None:
        return ConnectionForm()
    return ConnectionForm(
        initial={
            "instance_url": connection.instance_url, "auth_method": connection.auth_method,
            "username": connection.username, "consumer_key": connection.consumer_key,
            "api_version": connection.api_version, "is_enabled": connection.is_enabled,
        }
    )  # fmt: skip


def _settings_context(
    connection_form: ConnectionForm | None = None, mapping_form: MappingForm | None = None
) -> dict:
    connection = selectors.connection_get()
    mappings = selectors.mappings_by_kind()
    sections = []
    for kind, label in KINDS:
        form = mapping_form if mapping_form and mapping_form.kind == kind else None
        form = form or MappingForm(kind=kind, initial=mapping_initial(mappings.get(kind)))
        fields = list(SOURCE_FIELDS[kind])
        if kind in WITH_CUSTOM_FIELDS:
            fields.append("custom_fields.<key>")
        sections.append({"kind": kind, "label": label, "form": form, "fields": fields,
                         "mapping": mappings.get(kind)})  # fmt: skip
    return {
        "connection": connection,
        "connection_form": connection_form or _connection_form(),
        "sections": sections,
    }


@require_GET
@login_required
@role_required(ADMIN)
def salesforce_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/salesforce_settings.html", _settings_context())


@require_POST
@login_required
@role_required(ADMIN)
def connection_save(request: HttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST)
    if form.is_valid():
        try:
            services.connection_save(**form.cleaned_data)
        except ApplicationError as err:
            form.add_error(_field_of(err, form), _text_of(err))
        else:
            messages.success(request, "Salesforce connection saved.")
            return redirect("crm:salesforce-settings")
    context = _settings_context(connection_form=form)
    return render(request, "crm/salesforce_settings.html", context, status=422)


@require_POST
@login_required
@role_required(ADMIN)
def mapping_save(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in EntityKind.values:
        raise Http404
    form = MappingForm(request.POST, kind=kind)
    if form.is_valid():
        try:
            services.mapping_save(kind=kind, **form.cleaned_data)
        except ApplicationError as err:
            form.add_error(_field_of(err, form), _text_of(err))
        else:
            messages.success(request, f"Mapping of {dict(KINDS)[kind].lower()} saved.")
            return redirect("crm:salesforce-settings")
    context = _settings_context(mapping_form=form)
    return render(request, "crm/salesforce_settings.html", context, status=422)


def _log_context(request: HttpRequest) -> dict:
    status = request.GET.get("status") or ""
    if status not in SyncStatus.values:
        status = ""
    kind = request.GET.get("kind") or ""
    if kind not in EntityKind.values:
        kind = ""
    records = selectors.sync_log(status=status or None, kind=kind or None)
    page = Paginator(records, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "status": status,
        "kind": kind,
        "statuses": SyncStatus.choices,
        "kinds": KINDS,
        "connection": selectors.connection_get(),
        "has_open": any(r.status in (SyncStatus.PENDING, SyncStatus.FAILED) for r in page),
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def sync_log(request: HttpRequest) -> HttpResponse:
    template = "crm/sync_log.html"
    if request.htmx and request.htmx.target == "sync-log":
        template += "#sync-log"
    return render(request, template, _log_context(request))


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def sync_retry(request: HttpRequest, record_id: str) -> HttpResponse:
    record = get_object_or_404(SyncRecord, public_id=record_id)
    services.sync_retry(record=record)
    if request.htmx:
        return render(request, "crm/sync_log.html#sync-log", _log_context(request))
    messages.success(request, "Queued to push again.")
    return redirect("crm:sync-log")
