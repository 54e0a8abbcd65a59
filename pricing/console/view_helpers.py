"""What the pricing console's views share: the page size, the list status filter, redirects that
work with and without htmx, and service errors shown beside the form field they name."""

import re

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError

PAGE_SIZE = 50


def add_service_error(
    form: forms.Form,
    err: ApplicationError,
    mapping: dict[str, str] | None = None,
    default: str | None = None,
) -> None:
    """Show "field: why" beside the field it names (others: beside `default`, or above the form)."""
    mapping = mapping or {}
    match = re.match(r"[a-z_][a-z_.]*", err.message)
    head = match.group(0).rstrip(".") if match else ""
    root = head.split(".")[0]
    text = err.message.split(": ", 1)[1] if ": " in err.message else err.message
    for candidate in (head, root):
        field = mapping.get(candidate) or (candidate if candidate in form.fields else None)
        if field in form.fields:
            form.add_error(field, text if candidate == head else err.message)
            return
    form.add_error(default, err.message)


def client_redirect(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def status_filter(qs_status: str | None) -> str:
    return qs_status if qs_status in ("active", "archived", "all") else "active"
