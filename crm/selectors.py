"""Reads of the Salesforce sync."""

from django.db.models import QuerySet

from crm.models import SalesforceConnection, SalesforceMapping, SyncRecord


def connection_get() -> SalesforceConnection | None:
    return SalesforceConnection.objects.first()


def mappings_by_kind() -> dict[str, SalesforceMapping]:
    return {m.kind: m for m in SalesforceMapping.objects.all()}


def sync_log(*, status: str | None = None, kind: str | None = None) -> QuerySet[SyncRecord]:
    qs = SyncRecord.objects.select_related("customer")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-requested_at", "-pk")
