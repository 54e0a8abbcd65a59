"""The audit log page: the API's filters, each entry's diff, pages, and a streamed CSV export.
Diffs show money as the console does ("$25.00"); the API keeps the stored values (cents)."""

import json
from collections.abc import Iterator

from auditlog.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from billing_console.lib import csv_safe
from reports.audit_display import console_entries
from reports.audit_log import AuditFilters, audit_entries
from reports.audit_money import entries_shown_streamed
from reports.forms import AuditFilterForm, day_after, day_start
from reports.views.access import require_viewer

PAGE_SIZE = 50
CSV_COLUMNS = (
    "timestamp", "action", "resource_type", "resource_id", "description", "actor_id",
    "actor_name", "actor_email", "ip", "user_agent", "request_id", "via", "changes",
)  # fmt: skip


def _filters(form: AuditFilterForm) -> tuple[AuditFilters, str]:
    if not form.is_valid():
        return AuditFilters(with_system=False), "date_desc"
    data = form.cleaned_data
    filters = AuditFilters(
        resource_type=data.get("resource_type") or None,
        resource_id=(data.get("resource_id") or "").strip() or None,
        starting_on=day_start(data.get("date_from")),
        ending_before=day_after(data.get("date_to")),
        actor=(data.get("actor") or "").strip() or None,
        with_system=bool(data.get("system")),
    )
    return filters, data["sort"]


def _ordered(form: AuditFilterForm) -> QuerySet[LogEntry]:
    filters, sort = _filters(form)
    order = ("timestamp", "pk") if sort == "date_asc" else ("-timestamp", "-pk")
    return audit_entries(filters).order_by(*order)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def audit_list(request: HttpRequest) -> HttpResponse:
    require_viewer(request.user)
    form = AuditFilterForm(request.GET)
    page = Paginator(_ordered(form), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = console_entries(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    template = "reports/audit_list.html"
    if request.htmx and request.htmx.target == "audit-table":
        template += "#audit-table"
    context = {"form": form, "page": page, "entries": entries, "query": query.urlencode()}
    return render(request, template, context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(form: AuditFilterForm) -> Iterator[str]:
    writer = csv_safe.writer(_Echo())  # formula-like cells neutralised
    yield writer.writerow(CSV_COLUMNS)
    for entry in entries_shown_streamed(_ordered(form)):
        actor = entry["actor"] or {}
        request = entry["request"]
        yield writer.writerow((
            entry["timestamp"], entry["action"], entry["resource_type"], entry["resource_id"],
            entry["description"], actor.get("id", ""), actor.get("name", ""),
            actor.get("email") or "", request["ip"] or "", request["user_agent"] or "",
            request["id"], entry["via"] or "",
            json.dumps(entry["changes"], sort_keys=True, ensure_ascii=False),
        ))  # fmt: skip


@require_GET
@login_required
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV, streamed: entries are read and written a chunk at a time."""
    require_viewer(request.user)
    response = StreamingHttpResponse(
        _csv_lines(AuditFilterForm(request.GET)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
