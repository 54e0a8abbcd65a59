"""Report runs: each dataset's CSV (columns, literal cents), filters, progress, idempotency."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing_console.api import ApplicationError
from reports import services
from reports.datasets import DATASETS
from reports.datasets.major_units import report_header
from reports.models import ReportRun, RunStatus
from reports.params import report_params_read
from reports.tests.factories import billed_world, read_csv


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"


@pytest.fixture
def billed(db):
    return billed_world()


def _build(django_capture_on_commit_callbacks, dataset: str, **params) -> ReportRun:
    """Ask for a run as the console does: the build is enqueued and runs once committed."""
    with django_capture_on_commit_callbacks(execute=True):
        run = services.report_run_start(dataset=dataset, params=params)
    run.refresh_from_db()
    return run


def _rows(run: ReportRun) -> list[dict[str, str]]:
    return read_csv(services.report_file_path(run))


def test_line_items_csv_has_the_dataset_columns_and_totals_in_cents(
    billed, django_capture_on_commit_callbacks
):
    run = _build(django_capture_on_commit_callbacks, "invoice_line_items")
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 1
    assert (run.progress_done, run.progress_total, run.rows_written) == (2, 2, 2)
    path = services.report_file_path(run)
    header = path.read_text().splitlines()[0]
    # the dataset's columns, each amount's major-unit twin headed with its unit
    assert header == ",".join(report_header(DATASETS["invoice_line_items"]))
    assert "total,total (USD)" in header
    rows = _rows(run)
    assert [(r["invoice_number"], r["invoice_status"], r["name"], r["quantity"],
             r["unit_price"], r["total"]) for r in rows] == [
        ("INV-000001", "FINALIZED", "Calls", "4", "250", "1000"),
        ("", "DRAFT", "Calls", "2", "250", "500"),
    ]  # fmt: skip
    assert sum(Decimal(r["total"]) for r in rows) == Decimal("1500")
    assert rows[0]["period_start"] == "2026-01-01T00:00:00Z"
    assert rows[0]["credit_type"] == "USD (cents)"
    assert rows[0]["invoice_id"] == str(billed.january.public_id)
    assert run.file_size == path.stat().st_size


def test_invoices_filtered_by_range_and_customer(billed, django_capture_on_commit_callbacks):
    everything = _rows(_build(django_capture_on_commit_callbacks, "invoices"))
    assert [(r["status"], r["subtotal"], r["total"]) for r in everything] == [
        ("FINALIZED", "1000", "1000"), ("DRAFT", "500", "500"),
    ]  # fmt: skip
    february = _rows(
        _build(django_capture_on_commit_callbacks, "invoices",
               starting_on="2026-02-01T00:00:00Z", ending_before="2026-03-01T00:00:00Z")
    )  # fmt: skip
    assert [r["invoice_id"] for r in february] == [str(billed.february.public_id)]
    from customers.services import customer_create

    other = customer_create(name="Globex")
    none = _build(django_capture_on_commit_callbacks, "invoices", customer_id=str(other.public_id))
    assert none.status == RunStatus.SUCCEEDED and _rows(none) == []


def test_daily_breakdowns_count_windows_and_continue_the_invoice(
    billed, django_capture_on_commit_callbacks
):
    run = _build(django_capture_on_commit_callbacks, "invoice_breakdowns",
                 starting_on="2026-01-01T00:00:00Z", ending_before="2026-02-10T00:00:00Z",
                 window_size="DAY")  # fmt: skip
    assert run.status == RunStatus.SUCCEEDED
    assert (run.progress_done, run.progress_total) == (40, 40)  # 31 January days + 9 of February
    rows = _rows(run)
    assert [(r["window_start"], r["quantity"], r["total"]) for r in rows] == [
        ("2026-01-05T00:00:00Z", "4", "1000"),
        ("2026-02-05T00:00:00Z", "2", "500"),
    ]
    hourly = _build(django_capture_on_commit_callbacks, "invoice_breakdowns",
                    starting_on="2026-02-05T00:00:00Z", ending_before="2026-02-06T00:00:00Z",
                    window_size="HOUR")  # fmt: skip
    assert hourly.progress_total == 24
    assert [(r["window_start"], r["total"]) for r in _rows(hourly)] == [
        ("2026-02-05T03:00:00Z", "500")
    ]


def test_commits_and_credits_with_balances(db, django_capture_on_commit_callbacks):
    billed_world(with_commit=True)
    run = _build(django_capture_on_commit_callbacks, "commits_and_credits",
                 ending_before="2026-02-01T00:00:00Z")  # fmt: skip
    [row] = _rows(run)
    assert (row["kind"], row["name"], row["access_amount"]) == (
        "PREPAID",
        "Annual commit",
        "100000",
    )
    # remaining: entries dated up to the end of January, i.e. January's 1000 cents drawn;
    # available: Metronome's balance of the segments then in access, which already counts
    # February's draft drawing 500 more (provisional until that invoice is finalized)
    assert (row["available_balance"], row["remaining_balance"]) == ("98500", "99000")
    assert row["balance_as_of"] == "2026-01-31T23:59:59.999999Z"
    now = _rows(_build(django_capture_on_commit_callbacks, "commits_and_credits"))[0]
    assert (now["available_balance"], now["remaining_balance"]) == ("98500", "98500")
    assert row["access_starting_at"] == "2026-01-01T00:00:00Z"


def test_contracts_customers_and_plans(billed, django_capture_on_commit_callbacks):
    [contract] = _rows(_build(django_capture_on_commit_callbacks, "contracts"))
    assert (contract["customer_name"], contract["rate_card_name"], contract["commits"]) == (
        "Acme", "Standard", "0",
    )  # fmt: skip
    [customer] = _rows(_build(django_capture_on_commit_callbacks, "customers"))
    assert (customer["name"], customer["ingest_aliases"]) == ("Acme", "acme")
    [plan] = _rows(_build(django_capture_on_commit_callbacks, "customer_contracts"))
    # only the finalized January invoice counts as billed
    assert (plan["plan"], plan["status"], plan["billed_total"]) == ("Standard", "ACTIVE", "1000")


def test_formula_like_names_come_out_neutralised(billed, django_capture_on_commit_callbacks):
    from customers.services import customer_set_name

    customer_set_name(customer=billed.world.customer, name='=HYPERLINK("http://x")')
    [customer] = _rows(_build(django_capture_on_commit_callbacks, "customers"))
    assert customer["name"] == '\'=HYPERLINK("http://x")'
    [contract] = _rows(_build(django_capture_on_commit_callbacks, "contracts"))
    assert contract["customer_name"] == '\'=HYPERLINK("http://x")'


def test_a_second_delivery_does_not_rebuild(billed, django_capture_on_commit_callbacks):
    run = _build(django_capture_on_commit_callbacks, "invoices")
    finished_at = run.finished_at
    again = services.report_run_build(run_id=run.pk)
    assert (again.status, again.attempts, again.finished_at) == (
        RunStatus.SUCCEEDED, 1, finished_at,
    )  # fmt: skip


def test_a_run_whose_worker_died_is_taken_over_but_a_live_one_is_not(billed):
    run = ReportRun.objects.create(dataset="invoices", status=RunStatus.RUNNING, attempts=1,
                                   heartbeat_at=timezone.now())  # fmt: skip
    assert services.report_run_build(run_id=run.pk).status == RunStatus.RUNNING  # alive: left
    ReportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    taken = services.report_run_build(run_id=run.pk)
    assert (taken.status, taken.attempts, taken.rows_written) == (RunStatus.SUCCEEDED, 2, 2)


def test_a_failing_build_is_recorded_and_leaves_no_partial_file(billed, monkeypatch, settings):
    from dataclasses import replace

    invoices = DATASETS["invoices"]

    def broken(filters, chunk_size):
        yield from invoices.batches(filters, chunk_size)
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(DATASETS, "invoices", replace(invoices, batches=broken))
    run = ReportRun.objects.create(dataset="invoices")
    failed = services.report_run_build(run_id=run.pk)
    assert failed.status == RunStatus.FAILED and failed.error == "RuntimeError: disk on fire"
    assert list(settings.REPORTS_DIR.iterdir()) == []


def test_starting_a_run_enqueues_its_build_on_commit(billed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.report_run_start(dataset="customers", params={})
    assert len(callbacks) == 1 and run.status == RunStatus.PENDING


@pytest.mark.parametrize(
    ("dataset", "params", "message"),
    [
        ("ledgers", {}, "dataset: must be one of invoices, invoice_line_items"),
        ("invoices", {"starting_on": "yesterday"}, "starting_on: must be an RFC 3339 timestamp."),
        ("invoices", {"starting_on": "2026-02-01T00:00:00", "ending_before": None},
         "starting_on: must include a time zone offset"),
        ("invoices", {"starting_on": "2026-02-01T00:00:00Z", "ending_before": "2026-01-01T00:00:00Z"},
         "ending_before: must be after starting_on."),
        ("invoice_breakdowns", {}, "starting_on: is required for invoice breakdowns."),
        ("invoice_breakdowns", {"starting_on": "2025-01-01T00:00:00Z",
                                "ending_before": "2026-03-01T00:00:00Z", "window_size": "HOUR"},
         "ending_before: at most 8000 hour windows."),
        ("invoice_breakdowns", {"starting_on": "2026-01-01T00:00:00Z",
                                "ending_before": "2026-02-01T00:00:00Z", "window_size": "WEEK"},
         "window_size: must be one of DAY, HOUR."),
        ("customers", {"customer_id": "nobody"}, "customer_id: no customer with id 'nobody'."),
    ],
)  # fmt: skip
def test_bad_params_name_the_field_and_write_nothing(db, dataset, params, message):
    with pytest.raises(ApplicationError) as err:
        services.report_run_start(dataset=dataset, params=params)
    assert err.value.message.startswith(message)
    assert not ReportRun.objects.exists()
    with pytest.raises(ApplicationError):
        report_params_read(dataset, params)
