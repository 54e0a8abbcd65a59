"""Which Celery queue each task goes to (settings.CELERY_TASK_ROUTES, CELERY_TASK_QUEUES).

Three queues, so that long periodic work never stands between a write and what it changes, nor
between an ingested event and its rollups:

- `celery` (the default queue): the follow-ups of a write that someone waits to see within
  seconds, such as the alert evaluation and draft refresh after an ingest, webhook deliveries,
  Stripe syncs and payments, and tax on a finalized invoice.
- `background`: the beat schedule's periodic tasks (sweeps, month close, metric backfills,
  pruning, marketplace metering) and the batches they fan out into, plus report builds, exports
  and Salesforce pushes, which nobody waits on within seconds.
- `rollups`: the rollup job alone (every 2 s). Every read adds the events not yet rolled up from
  the raw table, so the job must keep up with ingest whatever else runs: behind a month close or
  a sweep on `background` it waited for minutes, and on the default queue behind the follow-ups
  of ingest.

`bin/worker` (used by `bin/serve`, `make worker` and the benchmarks) runs one worker on each queue,
so at least one process always serves the default queue. A worker started without `-Q` consumes
all three. Every registered task is in exactly one list below
(billing_console/tests/test_task_routes.py).
"""

DEFAULT_QUEUE = "celery"  # Celery's default name: messages already queued keep their queue
BACKGROUND_QUEUE = "background"
ROLLUPS_QUEUE = "rollups"

FOLLOW_UP_TASKS = (
    # after ingest, per debounce window (alerts.hooks, invoicing.refresh_triggers)
    "alerts.tasks.alerts_evaluate_ingested",
    "invoicing.tasks.customers_refresh_statements",
    "invoicing.tasks.thresholds_evaluate_customers",
    # after other writes (invoices, ledgers, contract edits, a new alert)
    "alerts.tasks.alerts_evaluate_customers",
    "alerts.tasks.alert_evaluate_all",
    "alerts.tasks.lifecycle_event_publish",
    "invoicing.tasks.contract_refresh_statements",
    "invoicing.tasks.contract_thresholds_evaluate_task",
    # outbound deliveries, billing providers, payments and tax on a finalized invoice
    "webhooks.tasks.delivery_attempt_task",
    "invoicing.tasks.invoice_provider_sync_task",
    "invoicing.tasks.stripe_event_process_task",
    "invoicing.tasks.stripe_payment_attempt_task",
    "payments.tasks.checkout_settle_task",
    "tax.tasks.invoice_tax_calculate_task",
    "tax.tasks.invoice_tax_void_task",
)

BACKGROUND_TASKS = (
    # the beat schedule (billing_console/beat_schedule.py)
    "billing_console.tasks.worker_heartbeat",
    "invoicing.tasks.contracts_refresh_statements",
    "invoicing.tasks.invoices_finalize_due",
    "usage.tasks.metrics_backfill_missing",
    "usage.tasks.event_keys_prune_task",
    "contracts.tasks.recurring_commits_issue",
    "webhooks.tasks.deliveries_sweep",
    "alerts.tasks.alerts_sweep",
    "alerts.tasks.lifecycle_notifications_due",
    "invoicing.tasks.thresholds_sweep",
    "invoicing.tasks.billing_providers_sweep",
    "payments.tasks.checkouts_settle_sweep",
    "reports.tasks.exports_run_due",
    "people.tasks.signin_failures_prune",
    "crm.tasks.salesforce_sweep",
    "tax.tasks.taxes_sweep",
    "invoicing.tasks.marketplace_metering_run",
    # what the periodic tasks fan out into
    "invoicing.tasks.contracts_refresh_batch_task",
    "alerts.tasks.alerts_sweep_batch",
    "contracts.tasks.contract_recurring_issue_task",
    # long or not awaited within seconds
    "usage.tasks.metric_backfill",  # a new metric: readers use raw events until it is done
    "reports.tasks.report_build",
    "reports.tasks.export_schedule_run",
    "crm.tasks.salesforce_push_task",
)

# Every 2 s, at most 2 s a run, in its own worker (on PostgreSQL several workers of this queue
# may advance at once, each on different pending batches).
ROLLUP_TASKS = ("usage.tasks.rollups_advance",)

TASK_ROUTES = {
    **{name: {"queue": BACKGROUND_QUEUE} for name in BACKGROUND_TASKS},
    **{name: {"queue": ROLLUPS_QUEUE} for name in ROLLUP_TASKS},
}
