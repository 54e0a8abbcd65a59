"""Custom reports: choose a dataset and filters, start a build, watch its progress, download.

The run page polls itself with htmx every second while the run is pending or running; the
fragment returned once it is finished has no trigger, so the polling stops there.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, can_write, role_required
from reports import services
from reports.datasets import DATASETS
from reports.forms import REPORT_FIELDS, ReportForm
from reports.models import ReportRun, RunStatus
from reports.preview import report_preview
from reports.views.access import require_viewer

PAGE_SIZE = 25
RUNNERS = frozenset({ADMIN, FINANCE})


def _run(run_id: str) -> ReportRun:
    run = ReportRun.objects.select_related("requested_by").filter(public_id=run_id).first()
    if run is None:
        raise Http404("No such report.")
    return run


def _list_context(request: HttpRequest, form: ReportForm) -> dict:
    runs = ReportRun.objects.select_related("requested_by")
    return {
        "form": form,
        "page": Paginator(runs, PAGE_SIZE).get_page(request.GET.get("page")),
        "datasets": DATASETS.values(),
        "can_run": can_write(request.user, RUNNERS),
    }


@require_GET
@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    require_viewer(request.user)
    return render(request, "reports/report_list.html", _list_context(request, ReportForm()))


def _field_of(form: ReportForm, err: ApplicationError) -> tuple[str | None, str]:
    """The form field a service message names ("starting_on: ..." is the From date)."""
    field, _, text = err.message.partition(": ")
    field = REPORT_FIELDS.get(field, field)
    return (field if field in form.fields else None), (text or err.message)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def report_create(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            run = services.report_run_start(
                dataset=form.cleaned_data["dataset"],
                params=form.params(),
                requested_by=request.user,
            )
        except ApplicationError as err:
            form.add_error(*_field_of(form, err))
        else:
            url = reverse("reports:report-detail", args=[run.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    return _builder_response(request, form, status=422)


def _builder_response(
    request: HttpRequest, form: ReportForm, preview: object = None, status: int = 200
) -> HttpResponse:
    template = "reports/report_list.html"
    if request.htmx:
        template += "#report-builder"
    context = {**_list_context(request, form), "preview": preview}
    return render(request, template, context, status=status)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def report_preview_view(request: HttpRequest) -> HttpResponse:
    """The report's first rows with the chosen columns, nothing built; the builder again (its
    columns those of the dataset chosen)."""
    form = ReportForm(request.POST)
    if form.is_valid():
        try:
            preview = report_preview(dataset=form.cleaned_data["dataset"], params=form.params())
        except ApplicationError as err:
            form.add_error(*_field_of(form, err))
        else:
            return _builder_response(request, form, preview)
    return _builder_response(request, form, status=422)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def report_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    require_viewer(request.user)
    run = _run(run_id)
    template = "reports/report_detail.html"
    if request.htmx:
        template += "#run-progress"
    context = {"run": run, "dataset": DATASETS.get(run.dataset)}
    return render(request, template, context)


@require_GET
@login_required
def report_download(request: HttpRequest, run_id: str) -> FileResponse:
    require_viewer(request.user)
    run = _run(run_id)
    path = services.report_file_path(run)
    if run.status != RunStatus.SUCCEEDED or path is None or not path.exists():
        raise Http404("This report has no file.")
    stamp = (run.finished_at or run.created_at).strftime("%Y%m%d-%H%M%S")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{run.dataset}-{stamp}.csv",
        content_type="text/csv; charset=utf-8",
    )
