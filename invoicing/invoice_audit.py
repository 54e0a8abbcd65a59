"""Audit entries of invoices created in bulk (the batched draft refresh writes a batch's new
drafts in one INSERT, which sends no signals): the CREATE entries django-auditlog writes for
`Invoice.objects.create`, in one INSERT, as billing_console.audit.audit_updates_bulk does
for updates."""

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from django.conf import settings

from billing_console.audit import log_entry
from billing_console.lib.bulk import bulk_insert
from invoicing.models import Invoice


def audit_creates_bulk(invoices: list[Invoice]) -> None:
    """A CREATE entry for each of these saved invoices, with this context's actor, request id
    and extra data (auditlog's pre_save receiver on LogEntry sets them)."""
    entries = []
    empty = [r.cache_name for r in Invoice._meta.related_objects if r.one_to_one]
    for invoice in invoices:
        for name in empty:  # a new invoice has nothing on the other side: no query to learn it
            invoice._state.fields_cache.setdefault(name, None)
        changes = model_instance_diff(
            None, invoice, use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES
        )
        entries.append(log_entry(invoice, LogEntry.Action.CREATE, changes))
    bulk_insert(LogEntry, entries)
