"""Scheduled exports: incremental CSV and Parquet, to a local directory and to S3 (moto's
in-process S3, no network), the beat, and the console."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import pytest
from django.urls import reverse
from django.utils import timezone
from moto import mock_aws

from billing_console.api import ApplicationError
from billing_console.lib.periods import Period
from invoicing.services import invoice_compute_usage
from invoicing.tests.factories import MAR, send_calls
from reports.exports import export_run, export_schedule_create
from reports.models import ExportRun, ExportSchedule, RunStatus
from reports.tasks import exports_run_due
from reports.tests.factories import billed_world, read_csv

APR = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"
    settings.EXPORTS_LOCAL_ROOT = tmp_path / "exports"
    settings.EXPORT_WATERMARK_LAG_SECONDS = 0
    settings.EXPORT_S3_ACCESS_KEY_ID = "test-key"
    settings.EXPORT_S3_SECRET_ACCESS_KEY = "test-secret"  # noqa: S105 - moto accepts anything


@pytest.fixture
def billed(db):
    return billed_world()


def _march(billed) -> None:
    """New usage and a new statement: one more line item (3 calls: 750 cents)."""
    send_calls(3, datetime(2026, 3, 2, tzinfo=UTC), prefix="m")
    invoice_compute_usage(contract=billed.world.contract, period=Period(MAR, APR))


def _schedule(fmt: str = "csv", **data) -> ExportSchedule:
    body = {"name": "Lines", "format": fmt, "frequency": "DAILY", "destination": "local",
            "local_directory": "warehouse", **data}  # fmt: skip
    return export_schedule_create(dataset="invoice_line_items", data=body)


def _parquet_rows(data: bytes | Path) -> list[dict]:
    source = io.BytesIO(data) if isinstance(data, bytes) else str(data)
    return pq.read_table(source).to_pylist()


def test_local_csv_exports_only_what_changed_since_the_last_run(billed, tmp_path):
    schedule = _schedule()
    first = export_run(schedule_id=schedule.pk)  # due at creation
    assert (first.status, first.rows_written, first.watermark_from) == (
        RunStatus.SUCCEEDED,
        2,
        None,
    )
    path = Path(first.location)
    assert path.parent == tmp_path / "exports" / "warehouse" / "invoice_line_items"
    assert [(r["invoice_status"], r["quantity"], r["total"]) for r in read_csv(path)] == [
        ("FINALIZED", "4", "1000"), ("DRAFT", "2", "500"),
    ]  # fmt: skip
    schedule.refresh_from_db()
    assert schedule.watermark == first.watermark_to
    assert schedule.next_run_at > timezone.now() + timedelta(hours=23)
    assert export_run(schedule_id=schedule.pk) is None  # not due again until tomorrow

    _march(billed)
    second = export_run(schedule_id=schedule.pk, force=True)
    assert (second.rows_written, second.watermark_from) == (1, first.watermark_to)
    assert [(r["quantity"], r["total"]) for r in read_csv(Path(second.location))] == [("3", "750")]

    third = export_run(schedule_id=schedule.pk, force=True)  # nothing changed: no file
    assert (third.status, third.rows_written, third.location) == (RunStatus.SUCCEEDED, 0, "")
    files = sorted((tmp_path / "exports" / "warehouse" / "invoice_line_items").iterdir())
    assert [f.suffix for f in files] == [".csv", ".csv"]
    assert list((tmp_path / "reports").iterdir()) == []  # temporary files cleaned up


def test_csv_exports_neutralise_formula_like_names(billed):
    from customers.services import customer_set_name

    customer_set_name(customer=billed.world.customer, name='=HYPERLINK("http://x")')
    schedule = export_schedule_create(
        dataset="customers",
        data={"name": "Customers", "format": "csv", "frequency": "DAILY",
              "destination": "local", "local_directory": "warehouse"},
    )  # fmt: skip
    run = export_run(schedule_id=schedule.pk)
    [row] = read_csv(Path(run.location))
    assert row["name"] == '\'=HYPERLINK("http://x")'


def test_local_parquet_is_typed_and_incremental(billed):
    schedule = _schedule("parquet")
    first = export_run(schedule_id=schedule.pk)
    rows = _parquet_rows(Path(first.location))
    assert [(r["quantity"], r["total"]) for r in rows] == [
        (Decimal("4.000000000000"), Decimal("1000.000000000000")),
        (Decimal("2.000000000000"), Decimal("500.000000000000")),
    ]
    assert rows[0]["period_start"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert rows[0]["position"] == 0 and rows[0]["pricing_group_values"] == "{}"
    _march(billed)
    second = export_run(schedule_id=schedule.pk, force=True)
    assert [r["total"] for r in _parquet_rows(Path(second.location))] == [Decimal("750")]


@pytest.fixture
def s3(monkeypatch):
    # an S3-compatible endpoint of our own (MinIO-like), served by moto in-process
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", "http://objects.internal:9000")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="finance-exports")
        yield client


def _objects(s3, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket="finance-exports", Prefix=prefix).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def _body(s3, key: str) -> bytes:
    return s3.get_object(Bucket="finance-exports", Key=key)["Body"].read()


def test_s3_parquet_exports_incrementally(billed, s3):
    schedule = _schedule("parquet", destination="s3", s3_bucket="finance-exports",
                         s3_prefix="/billing/", local_directory="")  # fmt: skip
    first = export_run(schedule_id=schedule.pk)
    [key] = _objects(s3, "billing/invoice_line_items/")
    assert first.location == f"s3://finance-exports/{key}" and key.endswith(".parquet")
    assert [r["total"] for r in _parquet_rows(_body(s3, key))] == [Decimal(1000), Decimal(500)]
    _march(billed)
    second = export_run(schedule_id=schedule.pk, force=True)
    new_key = second.location.removeprefix("s3://finance-exports/")
    assert _objects(s3, "billing/") == sorted([key, new_key])
    assert [r["total"] for r in _parquet_rows(_body(s3, new_key))] == [Decimal(750)]


def test_s3_compatible_endpoint_and_credentials_from_the_schedule(billed, s3):
    schedule = _schedule("csv", destination="s3", s3_bucket="finance-exports",
                         s3_endpoint_url="http://objects.internal:9000",
                         s3_access_key_id="minio", s3_secret_access_key="minio-secret")  # fmt: skip
    run = export_run(schedule_id=schedule.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error
    key = run.location.removeprefix("s3://finance-exports/")
    assert [r["total"] for r in read_csv(_body(s3, key))] == ["1000", "500"]


def test_a_failed_upload_keeps_the_watermark_so_the_next_run_has_every_row(billed, s3):
    schedule = _schedule("csv", destination="s3", s3_bucket="not-there-yet")
    failed = export_run(schedule_id=schedule.pk)
    assert failed.status == RunStatus.FAILED and "NoSuchBucket" in failed.error
    schedule.refresh_from_db()
    assert schedule.watermark is None
    s3.create_bucket(Bucket="not-there-yet")
    retried = export_run(schedule_id=schedule.pk, force=True)
    assert (retried.status, retried.rows_written, retried.watermark_from) == (
        RunStatus.SUCCEEDED, 2, None,
    )  # fmt: skip


def test_the_beat_runs_due_schedules_once(billed):
    due = _schedule(name="Due")
    _schedule(name="Paused", enabled=False)
    later = _schedule(name="Later")
    ExportSchedule.objects.filter(pk=later.pk).update(
        next_run_at=timezone.now() + timedelta(hours=1)
    )
    assert exports_run_due() == 1  # tests run enqueued tasks inline
    assert list(ExportRun.objects.values_list("schedule__name", flat=True)) == ["Due"]
    assert exports_run_due() == 0  # its next run is a day away
    assert due.runs.get().status == RunStatus.SUCCEEDED


def test_a_run_in_flight_is_not_doubled_and_an_abandoned_one_is_replaced(billed):
    schedule = _schedule()
    running = ExportRun.objects.create(schedule=schedule, watermark_to=timezone.now())
    assert export_run(schedule_id=schedule.pk, force=True) is None
    ExportRun.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(days=1))
    fresh = export_run(schedule_id=schedule.pk, force=True)
    assert fresh.status == RunStatus.SUCCEEDED
    running.refresh_from_db()
    assert running.status == RunStatus.FAILED and running.error.startswith("Abandoned")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"local_directory": "../../etc"}, "local_directory: must be a relative path inside"),
        ({"local_directory": "/tmp/x"}, "local_directory: must be a relative path inside"),
        ({"destination": "s3"}, "s3_bucket: is required for an S3 destination."),
        ({"destination": "s3", "s3_bucket": "b", "s3_endpoint_url": "ftp://x"},
         "s3_endpoint_url: must be an http(s) URL."),
        ({"format": "xlsx"}, "format: must be one of csv, parquet."),
        ({"name": " "}, "name: an export needs a name."),
    ],
)  # fmt: skip
def test_bad_schedules_name_the_field(db, data, message):
    with pytest.raises(ApplicationError) as err:
        _schedule(**data)
    assert err.value.message.startswith(message)
    assert not ExportSchedule.objects.exists()


def test_console_admins_configure_finance_runs_read_only_looks(
    client, alice, fiona, bob, billed, django_capture_on_commit_callbacks
):
    form = {"name": "Nightly invoices", "dataset": "invoices", "format": "parquet",
            "frequency": "DAILY", "destination": "local", "local_directory": "nightly",
            "enabled": "on"}  # fmt: skip
    client.force_login(fiona)
    assert client.post(reverse("reports:export-create"), form).status_code == 403
    client.force_login(alice)
    bad = client.post(reverse("reports:export-create"), {**form, "local_directory": "../x"},
                      HTTP_HX_REQUEST="true")  # fmt: skip
    assert bad.status_code == 422 and "must be a relative path inside" in bad.content.decode()
    assert client.post(reverse("reports:export-create"), form).status_code == 302
    schedule = ExportSchedule.objects.get()
    assert (schedule.dataset, schedule.created_by) == ("invoices", alice)

    client.force_login(fiona)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:export-run", args=[schedule.public_id]))
    run = schedule.runs.get()
    assert (run.status, run.rows_written) == (RunStatus.SUCCEEDED, 2)

    client.force_login(bob)
    page = client.get(reverse("reports:export-detail", args=[schedule.public_id])).content.decode()
    assert "Nightly invoices" in page and run.location in page and "Run now" not in page
    assert client.post(reverse("reports:export-run", args=[schedule.public_id])).status_code == 403
    listing = client.get(reverse("reports:export-list")).content.decode()
    assert "Nightly invoices" in listing and 'id="export-form"' not in listing


def test_editing_keeps_the_stored_secret_when_left_blank(client, alice, db):
    schedule = _schedule("csv", destination="s3", s3_bucket="b", s3_access_key_id="k",
                         s3_secret_access_key="s3cret")  # fmt: skip
    client.force_login(alice)
    response = client.post(reverse("reports:export-update", args=[schedule.public_id]),
                           {"name": "Renamed", "format": "csv", "frequency": "HOURLY",
                            "destination": "s3", "s3_bucket": "b", "s3_access_key_id": "k",
                            "enabled": "on"})  # fmt: skip
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.frequency, schedule.s3_secret_access_key) == (
        "Renamed", "HOURLY", "s3cret",
    )  # fmt: skip
    assert "s3cret" not in schedule.s3_secret_access_key_encrypted  # encrypted at rest
    page = client.get(reverse("reports:export-detail", args=[schedule.public_id])).content.decode()
    assert "s3cret" not in page
