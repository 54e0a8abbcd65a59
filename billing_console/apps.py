from django.apps import AppConfig


class BillingConsoleConfig(AppConfig):
    name = "billing_console"
    verbose_name = "Billing Console"

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from auditlog.signals import pre_log
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import pre_save

        from billing_console import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from billing_console.audit_noise import drop_noop_update, strip_noop_pairs
        from billing_console.time_zones import time_zone_on_login

        # No-op diffs ("300.000000000000 → 300") are not audited: see audit_noise.
        pre_log.connect(drop_noop_update, dispatch_uid="audit-drop-noop-update")
        pre_save.connect(strip_noop_pairs, sender=LogEntry, dispatch_uid="audit-strip-noop")
        # The user's time zone is read once, at sign-in, into the session (time_zones).
        user_logged_in.connect(time_zone_on_login, dispatch_uid="console-time-zone-on-login")
