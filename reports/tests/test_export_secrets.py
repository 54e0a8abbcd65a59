"""An export schedule's S3 secret access key is a Fernet token in the database, read and set in
plain through the model; migration 0002 encrypted the plain values stored before. One that can
no longer be decrypted (a key rotated) is asked for again in the console, and fails its own
schedule's runs with a message naming it, not the others'."""

import boto3
import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from billing_console.api import ApplicationError
from billing_console.encryption import decrypt_secret
from reports.destinations import STORED_SECRET_UNREADABLE, s3_client
from reports.exports import export_run, export_schedule_create, export_schedule_update
from reports.forms import SECRET_UNREADABLE_HELP
from reports.models import ExportSchedule, RunStatus
from reports.tasks import exports_run_due

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
S3 = {"name": "Lines to S3", "format": "csv", "frequency": "DAILY", "destination": "s3",
      "s3_bucket": "finance-exports", "s3_access_key_id": "AKIAEXAMPLE"}  # fmt: skip
LOCAL = {"name": "Lines", "format": "csv", "frequency": "DAILY", "destination": "local",
         "local_directory": "warehouse"}  # fmt: skip


@pytest.fixture(autouse=True)
def _dirs(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"
    settings.EXPORTS_LOCAL_ROOT = tmp_path / "exports"
    settings.EXPORT_WATERMARK_LAG_SECONDS = 0
    settings.EXPORT_S3_SECRET_ACCESS_KEY = "server-secret"  # noqa: S105 - never reached here


def _schedule(**data) -> ExportSchedule:
    return export_schedule_create(
        dataset="invoice_line_items", data={**S3, "s3_secret_access_key": SECRET, **data}
    )


def _column(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s3_secret_access_key_encrypted FROM reports_exportschedule WHERE id = %s", [pk]
        )
        return cursor.fetchone()[0]


@pytest.fixture
def rotated(settings):
    """Keys rotated without keeping the old one: what was stored before cannot be decrypted."""
    settings.SECRETS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    yield lambda: setattr(settings, "SECRETS_ENCRYPTION_KEYS", [Fernet.generate_key().decode()])


@pytest.fixture
def boto3_options(monkeypatch) -> dict:
    """What s3_client passes to boto3.client (no client is made)."""
    seen: dict = {}
    monkeypatch.setattr(boto3, "client", lambda service, **options: seen.update(options))
    return seen


def test_the_column_holds_a_token_and_the_model_reads_the_plain_key(db, boto3_options):
    schedule = _schedule()
    stored = _column(schedule.pk)
    assert SECRET not in stored and decrypt_secret(stored) == SECRET
    fresh = ExportSchedule.objects.get(pk=schedule.pk)
    assert fresh.s3_secret_access_key == SECRET and fresh.has_s3_secret_access_key
    s3_client(fresh)
    assert boto3_options["aws_secret_access_key"] == SECRET


def test_an_unset_key_is_stored_empty_and_the_server_key_is_used(db, settings, boto3_options):
    settings.EXPORT_S3_ACCESS_KEY_ID = "server-key-id"
    schedule = _schedule(s3_secret_access_key="", s3_access_key_id="")
    assert _column(schedule.pk) == ""
    assert (schedule.s3_secret_access_key, schedule.has_s3_secret_access_key) == ("", False)
    s3_client(schedule)
    assert boto3_options["aws_secret_access_key"] == "server-secret"


def test_a_200_character_key_fits_and_a_longer_one_is_refused(db):
    schedule = _schedule(s3_secret_access_key="k" * 200)
    assert ExportSchedule.objects.get(pk=schedule.pk).s3_secret_access_key == "k" * 200
    with pytest.raises(ApplicationError) as err:
        _schedule(s3_secret_access_key="k" * 201)
    assert err.value.message == "s3_secret_access_key: at most 200 characters."


def test_update_keeps_a_blank_key_as_stored_and_encrypts_a_new_one(db):
    schedule = _schedule()
    token = _column(schedule.pk)
    export_schedule_update(schedule=schedule, data={**S3, "name": "Renamed"})
    assert _column(schedule.pk) == token  # kept as it was, not re-encrypted
    export_schedule_update(schedule=schedule, data={**S3, "s3_secret_access_key": "rotated-key"})
    assert "rotated-key" not in _column(schedule.pk)
    assert ExportSchedule.objects.get(pk=schedule.pk).s3_secret_access_key == "rotated-key"


def test_an_unreadable_key_is_asked_for_again_by_the_service(db, rotated):
    schedule = _schedule()
    rotated()
    schedule = ExportSchedule.objects.get(pk=schedule.pk)
    with pytest.raises(ApplicationError) as err:
        export_schedule_update(schedule=schedule, data={**S3, "name": "Renamed"})
    assert err.value.message == STORED_SECRET_UNREADABLE
    # To a local directory it is not needed: kept as stored.
    export_schedule_update(schedule=schedule, data=LOCAL)
    export_schedule_update(schedule=schedule, data={**S3, "s3_secret_access_key": SECRET})
    assert ExportSchedule.objects.get(pk=schedule.pk).s3_secret_access_key == SECRET


def test_an_unreadable_key_in_the_console(client, alice, fiona, db, rotated):
    schedule = _schedule()
    rotated()
    url = reverse("reports:export-detail", args=[schedule.public_id])
    client.force_login(alice)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "can no longer be decrypted" in html and SECRET_UNREADABLE_HELP in html
    update = reverse("reports:export-update", args=[schedule.public_id])
    kept = client.post(update, {**S3, "enabled": "on"}, HTTP_HX_REQUEST="true")
    assert kept.status_code == 422
    assert "the stored one can no longer be decrypted" in kept.content.decode()
    entered = client.post(update, {**S3, "s3_secret_access_key": "new-key", "enabled": "on"})
    assert entered.status_code == 302
    assert ExportSchedule.objects.get(pk=schedule.pk).s3_secret_access_key == "new-key"
    assert "can no longer be decrypted" not in client.get(url).content.decode()

    client.force_login(fiona)  # finance sees it too, without the form
    other = _schedule(name="Other")
    rotated()
    html = client.get(reverse("reports:export-detail", args=[other.public_id])).content.decode()
    assert "an admin enters it again" in html and 'id="export-form"' not in html


def test_an_unreadable_key_fails_its_own_run_only(db, rotated):
    broken = _schedule(name="Broken")
    rotated()
    local = export_schedule_create(dataset="invoice_line_items", data=LOCAL)
    assert exports_run_due() == 2  # both due at creation; tests run enqueued tasks inline
    failed, succeeded = broken.runs.get(), local.runs.get()
    assert (failed.status, failed.error) == (RunStatus.FAILED, STORED_SECRET_UNREADABLE)
    assert succeeded.status == RunStatus.SUCCEEDED
    broken.refresh_from_db()
    assert broken.watermark is None and broken.next_run_at > timezone.now()  # retried next time
    again = export_run(schedule_id=broken.pk, force=True)
    assert again.error == STORED_SECRET_UNREADABLE


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_plain_keys_and_reverses():
    before, after = [("reports", "0001_initial")], [("reports", "0002_encrypt_export_s3_secret")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        model = old.get_model("reports", "ExportSchedule")
        fields = {"name": "x", "dataset": "invoices", "format": "csv", "destination": "s3",
                  "next_run_at": timezone.now()}  # fmt: skip
        plain = model.objects.create(**fields, s3_secret_access_key=SECRET).pk
        unset = model.objects.create(**fields, s3_secret_access_key="").pk

        MigrationExecutor(connection).migrate(after)
        assert SECRET not in _column(plain) and decrypt_secret(_column(plain)) == SECRET
        assert _column(unset) == ""
        assert ExportSchedule.objects.get(pk=plain).s3_secret_access_key == SECRET

        MigrationExecutor(connection).migrate(before)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, s3_secret_access_key FROM reports_exportschedule")
            assert dict(cursor.fetchall()) == {plain: SECRET, unset: ""}
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
