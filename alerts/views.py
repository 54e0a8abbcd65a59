"""The alerts console: alerts (list, create with type-specific fields, detail, archive), every
customer's alert states with search and reset, and lifecycle notification settings. One URL
serves a page and its htmx fragment."""

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from alerts import lifecycle, selectors, services
from alerts.forms import AlertFilterForm, AlertForm, OffsetNotificationForm, StateFilterForm
from alerts.models import Alert, AlertStatus, CustomerAlert, OffsetNotification
from billing_console.api import ApplicationError
from billing_console.preferences import remembered_filters
from billing_console.roles import role_required
from customers.models import Customer

PAGE_SIZE = 50
ARCHIVED = {"active": False, "archived": True, "all": None}
# ApplicationError field prefixes -> the console field that shows them
ERROR_FIELDS = {
    "name": "name", "threshold": "threshold", "customer_id": "customer",
    "billable_metric_id": "billable_metric", "credit_type_id": "credit_type",
    "group_values": "group_key", "invoice_types_filter": "invoice_types",
    "custom_field_filters": "contract_filter", "alert_type": "alert_type",
    "uniqueness_key": None, "policy": "offset", "offset": "offset",
}  # fmt: skip


def _add_error(form: Any, err: ApplicationError) -> None:
    prefix, _, text = err.message.partition(": ")
    base = re.split(r"[.\[]", prefix)[0]
    field = ERROR_FIELDS.get(base) if text else None
    if field is None or field not in form.fields:
        form.add_error(None, err.message)
    else:
        form.add_error(field, text if prefix == base else f"{prefix}: {text}")


def _get_alert(alert_id: Any) -> Alert:
    alert = (
        Alert.objects.select_related("credit_type", "billable_metric", "customer")
        .filter(public_id=alert_id)
        .first()
    )
    if alert is None:
        raise Http404("No such alert.")
    return alert


def _state_counts(alert_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {pk: {} for pk in alert_ids}
    rows = CustomerAlert.objects.filter(alert_id__in=alert_ids).values_list("alert_id", "status")
    for alert_id, status in rows:
        counts[alert_id][status] = counts[alert_id].get(status, 0) + 1
    return counts


@require_GET
@login_required
@vary_on_headers("HX-Request")
def alert_list(request: HttpRequest) -> HttpResponse:
    params = remembered_filters(request, "alert-list", ("q", "alert_type", "status"))
    filters = AlertFilterForm(params)
    filters.is_valid()
    status = filters.cleaned_data.get("status") or "active"
    alerts = list(
        selectors.alert_list(
            archived=ARCHIVED[status],
            search=filters.cleaned_data.get("q", ""),
            alert_type=filters.cleaned_data.get("alert_type", ""),
        )
    )
    counts = _state_counts([a.pk for a in alerts])
    rows = [
        {
            "alert": a,
            "in_alarm": counts[a.pk].get(AlertStatus.IN_ALARM, 0),
            "evaluated": sum(counts[a.pk].values()),
        }
        for a in alerts
    ]
    template = "alerts/alert_list.html"
    if request.htmx and request.htmx.target == "alert-table":
        template += "#alert-table"
    return render(request, template, {"filters": filters, "rows": rows, "status": status})


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def alert_create(request: HttpRequest) -> HttpResponse:
    """GET: the form (an htmx GET with the chosen type swaps in that type's fields);
    POST: create."""
    template = "alerts/alert_create.html"
    if request.method == "GET":
        # ?customer=<id>: the customer page's "New alert" starts with that customer chosen.
        initial = {key: request.GET.get(key, "") for key in ("alert_type", "customer")}
        form = AlertForm(initial=initial)
        if request.htmx and request.htmx.target == "type-fields":
            return render(request, template + "#type-fields", {"form": form})
        return render(request, template, {"form": form})
    form = AlertForm(request.POST)
    if form.is_valid():
        try:
            alert = services.alert_create(data=form.wire())
        except ApplicationError as err:
            _add_error(form, err)
        else:
            messages.success(request, f"Alert “{alert.name}” created.")
            url = reverse("alerts:alert-detail", args=[alert.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        template += "#alert-form"
    return render(request, template, {"form": form}, status=422)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def alert_detail(request: HttpRequest, alert_id: Any) -> HttpResponse:
    alert = _get_alert(alert_id)
    filters = StateFilterForm(request.GET)
    filters.is_valid()
    states = selectors.state_search(
        search=filters.cleaned_data.get("q", ""),
        status=filters.cleaned_data.get("status", ""),
        alert=alert,
    )
    page = Paginator(states, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "alerts/alert_detail.html"
    if request.htmx and request.htmx.target == "state-table":
        template += "#state-table"
    context = {"alert": alert, "filters": filters, "page": page, "show_alert": False}
    return render(request, template, context)


@require_POST
@login_required
@role_required()
def alert_archive(request: HttpRequest, alert_id: Any) -> HttpResponse:
    alert = services.alert_archive(alert=_get_alert(alert_id))
    messages.success(request, f"Alert “{alert.name}” archived; it no longer evaluates.")
    url = reverse("alerts:alert-detail", args=[alert.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@login_required
@role_required()
def state_reset(request: HttpRequest, alert_id: Any, customer_id: Any) -> HttpResponse:
    alert = _get_alert(alert_id)
    customer = Customer.objects.filter(public_id=customer_id).first()
    if customer is None:
        raise Http404("No such customer.")
    try:
        services.customer_alert_reset(alert=alert, customer=customer)
    except ApplicationError as err:
        messages.error(request, err.message.split(": ", 1)[-1])
    else:
        messages.success(request, f"{customer.name}: “{alert.name}” reset and evaluated again.")
    url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        url = reverse("alerts:alert-detail", args=[alert.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def state_list(request: HttpRequest) -> HttpResponse:
    """Every customer's alert states, searchable by customer, alias, alert or group value."""
    params = remembered_filters(request, "alert-state-list", ("q", "status"))
    filters = StateFilterForm(params)
    filters.is_valid()
    states = selectors.state_search(
        search=filters.cleaned_data.get("q", ""), status=filters.cleaned_data.get("status", "")
    )
    page = Paginator(states, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "alerts/state_list.html"
    if request.htmx and request.htmx.target == "state-table":
        template += "#state-table"
    context = {
        "filters": filters,
        "page": page,
        "show_alert": True,
        "in_alarm": AlertStatus.IN_ALARM,
    }
    return render(request, template, context)


# --- notification settings ------------------------------------------------------------------


def _settings_context(**extra: Any) -> dict[str, Any]:
    errors = lifecycle.system_notification_errors()
    return {
        "offsets": OffsetNotification.objects.active(),
        "systems": [
            (*system, errors.get(system[0])) for system in lifecycle.system_notifications()
        ],
        "form": OffsetNotificationForm(),
        **extra,
    }


@require_GET
@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    return render(request, "alerts/notification_settings.html", _settings_context())


def _user_name(request: HttpRequest) -> str:
    return f"console:{request.user.get_username()}"


@require_POST
@login_required
@role_required()
def offset_create(request: HttpRequest) -> HttpResponse:
    form = OffsetNotificationForm(request.POST)
    if form.is_valid():
        try:
            notification = lifecycle.offset_notification_create(
                data=form.wire(), created_by=_user_name(request)
            )
        except ApplicationError as err:
            _add_error(form, err)
        else:
            messages.success(request, f"Notification “{notification.name}” created.")
            url = reverse("alerts:notification-settings")
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "alerts/notification_settings.html"
    if request.htmx:
        template += "#offset-form"
    return render(request, template, _settings_context(form=form), status=422)


def _get_offset(notification_id: Any) -> OffsetNotification:
    notification = OffsetNotification.objects.active().filter(public_id=notification_id).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


@require_http_methods(["GET", "POST"])
@login_required
@role_required()
def offset_edit(request: HttpRequest, notification_id: Any) -> HttpResponse:
    """The row becomes a form in place (GET), and back to a row once saved (POST)."""
    notification = _get_offset(notification_id)
    template = "alerts/notification_settings.html#offset-row"
    if request.method == "GET":
        if "cancel" in request.GET:
            return render(request, template, {"n": notification})
        form = OffsetNotificationForm(
            initial={"name": notification.name, "policy_type": notification.policy_type,
                     "offset": notification.offset}
        )  # fmt: skip
        return render(request, template, {"n": notification, "edit_form": form})
    form = OffsetNotificationForm(request.POST)
    if form.is_valid():
        try:
            notification = lifecycle.offset_notification_edit(
                notification=notification, data=form.wire()
            )
        except ApplicationError as err:
            _add_error(form, err)
        else:
            if not request.htmx:
                return redirect("alerts:notification-settings")
            return render(request, template, {"n": notification})
    if not request.htmx:
        return render(request, "alerts/notification_settings.html", _settings_context(), status=422)
    return render(request, template, {"n": notification, "edit_form": form}, status=422)


@require_POST
@login_required
@role_required()
def offset_archive(request: HttpRequest, notification_id: Any) -> HttpResponse:
    notification = lifecycle.offset_notification_archive(notification=_get_offset(notification_id))
    messages.success(request, f"Notification “{notification.name}” archived.")
    url = reverse("alerts:notification-settings")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@login_required
@role_required()
def system_toggle(request: HttpRequest, event_type: str) -> HttpResponse:
    try:
        setting = lifecycle.system_notification_set(
            event_type=event_type, is_enabled=request.POST.get("is_enabled") == "1"
        )
    except ApplicationError as err:
        raise Http404(err.message) from None
    if request.htmx:
        about = lifecycle.SYSTEM_TYPES[setting.type]
        return render(
            request,
            "alerts/notification_settings.html#system-row",
            {
                "system": (
                    setting.type,
                    about,
                    setting.is_enabled,
                    setting if setting.error else None,
                )
            },
        )
    return redirect("alerts:notification-settings")
