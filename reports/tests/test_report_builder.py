"""The report builder (issue #23 item 8): columns chosen, the first 20 rows previewed before
the build, void invoices left out unless asked for."""

import pytest
from django.urls import reverse

from billing_console.api import ApplicationError
from invoicing.services import invoice_void
from reports import services
from reports.models import ReportRun
from reports.params import report_params_read
from reports.preview import report_preview
from reports.tests.factories import billed_world, read_csv

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"


@pytest.fixture
def voided(db):
    """January finalized then voided; February a draft."""
    billed = billed_world()
    invoice_void(invoice=billed.january)
    return billed


def _build(dataset: str, params: dict) -> list[dict[str, str]]:
    run = services.report_run_start(dataset=dataset, params=params)
    run = services.report_run_build(run_id=run.pk)
    return read_csv(services.report_file_path(run))


def test_void_invoices_are_left_out_unless_asked(voided):
    statuses = [row["status"] for row in _build("invoices", {})]
    assert statuses == ["DRAFT"]
    everything = _build("invoices", {"include_void": True})
    assert sorted(row["status"] for row in everything) == ["DRAFT", "VOID"]
    lines = _build("invoice_line_items", {})
    assert {row["invoice_status"] for row in lines} == {"DRAFT"}
    assert ReportRun.objects.filter(params__include_void=True).count() == 1


def test_chosen_columns_only_in_the_dataset_order(voided):
    rows = _build("invoices", {"columns": ["total_major", "number", "status"]})
    assert list(rows[0]) == ["number", "status", "total (USD)"]
    assert rows[0]["total (USD)"] == "5"


@pytest.mark.parametrize(
    ("dataset", "params", "message"),
    [("invoices", {"columns": ["nope"]}, "columns: invoices have no column 'nope'."),
     ("customers", {"include_void": True}, "include_void: customers hold no invoices"),
     ("invoices", {"columns": "number"}, "columns: must be a list.")],
)  # fmt: skip
def test_bad_columns_and_void_are_refused_by_name(db, dataset, params, message):
    with pytest.raises(ApplicationError) as err:
        report_params_read(dataset, params)
    assert err.value.message.startswith(message)


def test_preview_is_the_first_rows_as_the_csv_has_them(voided):
    preview = report_preview(dataset="invoices", params={"columns": ["status", "total_major"]})
    assert preview.header == ["status", "total (USD)"]
    assert preview.rows == [["DRAFT", "5"]] and preview.complete
    with_void = report_preview(dataset="invoices", params={"include_void": True}, limit=1)
    assert len(with_void.rows) == 1 and not with_void.complete
    assert ReportRun.objects.count() == 0  # a preview builds nothing


def test_builder_previews_then_builds_with_the_chosen_columns(
    client, fiona, voided, django_capture_on_commit_callbacks
):
    client.force_login(fiona)
    page = client.get(reverse("reports:report-list")).content.decode()
    assert 'name="columns" value="total_major"' in page and "Include void invoices" in page
    data = {"dataset": "invoices", "columns_for": "invoices", "columns": ["number", "status"]}
    preview = client.post(reverse("reports:report-preview"), data, **HX)
    html = preview.content.decode()
    assert preview.status_code == 200 and html.lstrip().startswith('<div id="report-builder">')
    assert 'id="report-preview"' in html and '<th class="nowrap">status</th>' in html
    assert ">DRAFT<" in html and ">VOID<" not in html
    with_void = client.post(reverse("reports:report-preview"), data | {"include_void": "on"}, **HX)
    assert ">VOID<" in with_void.content.decode()
    none = client.post(reverse("reports:report-preview"), data | {"columns": []}, **HX)
    assert none.status_code == 422 and "Tick at least one column." in none.content.decode()
    # Another dataset chosen: its own columns, all ticked; no void checkbox for customers.
    other = client.post(
        reverse("reports:report-preview"), data | {"dataset": "customers"}, **HX
    ).content.decode()
    assert 'value="invoices"' not in other.split('name="columns_for"')[1][:40]
    assert "Include void invoices" not in other and 'name="columns" value="number"' not in other

    with django_capture_on_commit_callbacks(execute=True):
        built = client.post(reverse("reports:report-create"), data, **HX)
    assert built["HX-Redirect"]
    run = ReportRun.objects.get()
    assert run.params == {"columns": ["number", "status"]}
    rows = read_csv(services.report_file_path(run))
    assert rows == [{"number": rows[0]["number"], "status": "DRAFT"}]
