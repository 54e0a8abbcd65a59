"""The periodic tasks the beat sends (settings.CELERY_BEAT_SCHEDULE): name -> task and period
in seconds. Most work runs on the change that causes it; the sweeps here are safety nets."""

BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "billing_console.tasks.worker_heartbeat", "schedule": 60.0},
    "statements-refresh": {
        "task": "invoicing.tasks.contracts_refresh_statements",
        "schedule": 900.0,
    },
    "invoices-finalize-due": {"task": "invoicing.tasks.invoices_finalize_due", "schedule": 300.0},
    # Reads add the events rollups lack from the raw events: the fewer, the faster they are.
    "usage-rollups-advance": {"task": "usage.tasks.rollups_advance", "schedule": 2.0},
    "usage-metrics-backfill": {"task": "usage.tasks.metrics_backfill_missing", "schedule": 60.0},
    "usage-event-keys-prune": {"task": "usage.tasks.event_keys_prune_task", "schedule": 86400.0},
    "recurring-commits-issue": {
        "task": "contracts.tasks.recurring_commits_issue",
        "schedule": 900.0,
    },
    "webhooks-deliveries-sweep": {"task": "webhooks.tasks.deliveries_sweep", "schedule": 15.0},
    # Alerts are evaluated on every change (ingest, invoice, ledger); this sweep is a safety net.
    "alerts-sweep": {"task": "alerts.tasks.alerts_sweep", "schedule": 900.0},
    "lifecycle-notifications-due": {
        "task": "alerts.tasks.lifecycle_notifications_due",
        "schedule": 60.0,
    },
    # Threshold billing is evaluated after ingest and payments; this sweep is the safety net.
    "thresholds-sweep": {"task": "invoicing.tasks.thresholds_sweep", "schedule": 300.0},
    # Card payment retries due, and provider syncs whose task gave up.
    "billing-providers-sweep": {
        "task": "invoicing.tasks.billing_providers_sweep",
        "schedule": 300.0,
    },
    # Stripe invoices of card (Checkout) payments not yet marked paid out of band (payments/).
    "checkouts-settle-sweep": {"task": "payments.tasks.checkouts_settle_sweep", "schedule": 300.0},
    "exports-run-due": {"task": "reports.tasks.exports_run_due", "schedule": 60.0},
    # Failed sign-ins older than 90 days are forgotten (people.signin.failures_prune).
    "signin-failures-prune": {"task": "people.tasks.signin_failures_prune", "schedule": 86400.0},
    # Salesforce pushes are enqueued on commit; this sweep retries due ones whose message was lost.
    "salesforce-sweep": {"task": "crm.tasks.salesforce_sweep", "schedule": 60.0},
    # Tax computations left pending (a provider outage) and voids not yet done at the provider.
    "taxes-sweep": {"task": "tax.tasks.taxes_sweep", "schedule": 300.0},
    # Marketplace metering: complete hours recorded and sent, failed records retried.
    "marketplace-metering": {
        "task": "invoicing.tasks.marketplace_metering_run",
        "schedule": 300.0,
    },
}
