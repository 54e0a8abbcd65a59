from django.apps import AppConfig


class BillingConsoleConfig(AppConfig):
    name = "billing_console"
    verbose_name = "Billing Console"

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from auditlog.signals import pre_log
        from django.db.models.signals import pre_save

        from billing_console import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from billing_console.audit_noise import drop_noop_update, strip_noop_pairs

        # No-op diffs ("300.000000000000 → 300") are not audited: see audit_noise.
        pre_log.connect(drop_noop_update, dispatch_uid="audit-drop-noop-update")
        pre_save.connect(strip_noop_pairs, sender=LogEntry, dispatch_uid="audit-strip-noop")
