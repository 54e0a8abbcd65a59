"""Where an export's files go: a directory under EXPORTS_LOCAL_ROOT, or an S3-compatible bucket
(AWS S3, MinIO, Cloudflare R2, ...) through boto3."""

import shutil
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

from billing_console.api import ApplicationError
from billing_console.encryption import SecretUnreadable
from reports.models import Destination, ExportSchedule

LOCAL_DIRECTORY_OUTSIDE = "local_directory: must be a relative path inside the exports directory."
STORED_SECRET_UNREADABLE = (
    "s3_secret_access_key: the stored one can no longer be decrypted "
    "(SECRETS_ENCRYPTION_KEYS changed); enter it again."
)


class Target(Protocol):
    def put(self, source: Path, key: str) -> str:
        """Move the finished file `source` to `key`; return where it now is."""
        ...


def local_root() -> Path:
    return Path(settings.EXPORTS_LOCAL_ROOT).resolve()


def local_directory(relative: str) -> Path:
    """The directory for `relative`, refusing anything that would leave the exports root."""
    root = local_root()
    if Path(relative).is_absolute():
        raise ApplicationError(LOCAL_DIRECTORY_OUTSIDE)
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        raise ApplicationError(LOCAL_DIRECTORY_OUTSIDE)
    return path


class LocalTarget:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, source: Path, key: str) -> str:
        target = self.directory / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), target)
        return str(target)


def s3_prefix(prefix: str) -> str:
    prefix = prefix.strip().strip("/")
    return f"{prefix}/" if prefix else ""


class S3Target:
    def __init__(self, schedule: ExportSchedule) -> None:
        self.bucket = schedule.s3_bucket
        self.prefix = s3_prefix(schedule.s3_prefix)
        self.client = s3_client(schedule)

    def put(self, source: Path, key: str) -> str:
        # upload_file switches to a multipart upload for large files.
        self.client.upload_file(str(source), self.bucket, self.prefix + key)
        source.unlink(missing_ok=True)
        return f"s3://{self.bucket}/{self.prefix}{key}"


def s3_client(schedule: ExportSchedule) -> Any:
    """A boto3 S3 client; the schedule's endpoint and credentials, else the EXPORT_S3_*
    settings, else boto3's own chain (environment, instance role). A stored secret that can no
    longer be decrypted is an ApplicationError naming the field."""
    import boto3

    options: dict[str, Any] = {
        "endpoint_url": schedule.s3_endpoint_url or settings.EXPORT_S3_ENDPOINT_URL or None,
        "region_name": schedule.s3_region or settings.EXPORT_S3_REGION or None,
    }
    key_id = schedule.s3_access_key_id or settings.EXPORT_S3_ACCESS_KEY_ID
    try:
        secret = schedule.s3_secret_access_key or settings.EXPORT_S3_SECRET_ACCESS_KEY
    except SecretUnreadable as err:  # not the server's instead: the schedule chose its own
        raise ApplicationError(STORED_SECRET_UNREADABLE) from err
    if key_id and secret:
        options.update(aws_access_key_id=key_id, aws_secret_access_key=secret)
    return boto3.client("s3", **options)


def target_for(schedule: ExportSchedule) -> Target:
    if schedule.destination == Destination.S3:
        return S3Target(schedule)
    return LocalTarget(local_directory(schedule.local_directory))
