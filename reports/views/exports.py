"""Data exports: configure schedules (admins), see their runs, run one now (admin, finance)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from billing_console.api import ApplicationError
from billing_console.roles import ADMIN, FINANCE, can_write, is_admin, role_required
from reports import exports
from reports.datasets import DATASETS
from reports.destinations import local_root
from reports.forms import ExportScheduleForm
from reports.models import Destination, ExportSchedule
from reports.views.access import require_viewer

RUNS_SHOWN = 50


def _schedule(schedule_id: str) -> ExportSchedule:
    schedule = ExportSchedule.objects.filter(public_id=schedule_id).first()
    if schedule is None:
        raise Http404("No such export.")
    return schedule


def _add_error(form: ExportScheduleForm, err: ApplicationError) -> None:
    field, _, text = err.message.partition(": ")
    form.add_error(field if field in form.fields else None, text or err.message)


def _list_context(request: HttpRequest, form: ExportScheduleForm) -> dict:
    return {
        "schedules": ExportSchedule.objects.all(),
        "form": form,
        "datasets": DATASETS,
        "local_root": local_root(),
        "can_configure": is_admin(request.user),
    }


@require_GET
@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    require_viewer(request.user)
    form = ExportScheduleForm(initial={"enabled": True})
    return render(request, "reports/export_list.html", _list_context(request, form))


@require_POST
@login_required
@role_required(ADMIN)
def export_create(request: HttpRequest) -> HttpResponse:
    form = ExportScheduleForm(request.POST)
    if form.is_valid():
        try:
            schedule = exports.export_schedule_create(
                dataset=form.cleaned_data["dataset"],
                data=form.cleaned_data,
                created_by=request.user,
            )
        except ApplicationError as err:
            _add_error(form, err)
        else:
            messages.success(request, f"Export “{schedule.name}” scheduled.")
            url = reverse("reports:export-detail", args=[schedule.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "reports/export_list.html"
    if request.htmx:
        template += "#export-form"
    return render(request, template, _list_context(request, form), status=422)


def _detail_context(
    request: HttpRequest, schedule: ExportSchedule, form: ExportScheduleForm
) -> dict:
    return {
        "schedule": schedule,
        "dataset": DATASETS.get(schedule.dataset),
        "runs": schedule.runs.all()[:RUNS_SHOWN],
        "form": form,
        "local_root": local_root(),
        "can_configure": is_admin(request.user),
        "can_run": can_write(request.user, frozenset({ADMIN, FINANCE})),
        "secret_unreadable": form.secret_unreadable,
    }


def _form_for(schedule: ExportSchedule) -> ExportScheduleForm:
    """The schedule's settings; never its secret access key, which the form leaves blank (blank
    keeps it), but the form asks for it again when it can no longer be decrypted."""
    initial = {field: getattr(schedule, field) for field in exports.EDITABLE_FIELDS}
    return ExportScheduleForm(
        initial=initial, editing=True, secret_unreadable=_secret_unreadable(schedule)
    )


def _secret_unreadable(schedule: ExportSchedule) -> bool:
    return schedule.destination == Destination.S3 and not exports.stored_secret_readable(schedule)


@require_GET
@login_required
def export_detail(request: HttpRequest, schedule_id: str) -> HttpResponse:
    require_viewer(request.user)
    schedule = _schedule(schedule_id)
    return render(
        request,
        "reports/export_detail.html",
        _detail_context(request, schedule, _form_for(schedule)),
    )


@require_POST
@login_required
@role_required(ADMIN)
def export_update(request: HttpRequest, schedule_id: str) -> HttpResponse:
    schedule = _schedule(schedule_id)
    form = ExportScheduleForm(
        request.POST, editing=True, secret_unreadable=_secret_unreadable(schedule)
    )
    if form.is_valid():
        try:
            exports.export_schedule_update(schedule=schedule, data=form.cleaned_data)
        except ApplicationError as err:
            _add_error(form, err)
        else:
            messages.success(request, "Export saved.")
            url = reverse("reports:export-detail", args=[schedule.public_id])
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    template = "reports/export_detail.html"
    if request.htmx:
        template += "#export-form"
    return render(request, template, _detail_context(request, schedule, form), status=422)


@require_POST
@login_required
@role_required(ADMIN, FINANCE)
def export_run_now(request: HttpRequest, schedule_id: str) -> HttpResponse:
    from reports.tasks import export_schedule_run

    schedule = _schedule(schedule_id)
    export_schedule_run.delay_on_commit(schedule.pk, force=True)
    messages.success(request, f"Export “{schedule.name}” started: its run appears below.")
    url = reverse("reports:export-detail", args=[schedule.public_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
