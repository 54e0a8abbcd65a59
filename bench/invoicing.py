"""Month close at scale: N customers with contracts and M events over one month on PostgreSQL.

Closes the month through the real services (every usage statement computed, then the periodic
close `invoice_finalize_due` recomputes, numbers and finalizes them) and,
in the same run, times the raw SQL GROUP BY that computes the same per-customer quantities.
Prints both, their ratio, and checks that the invoices' quantities equal the GROUP BY's.

    .venv/bin/python bench/invoicing.py --customers 1000 --events 1000000
"""

import argparse
import cProfile
import os
import time
from datetime import timedelta
from decimal import Decimal

import psycopg
from _catalog import MONTH, copy_events, setup_catalog
from _harness import database_url, django_setup, fresh_database, log

DB = "bc_bench_invoicing"
GROUP_BY_SQL = """
SELECT customer_id, properties->>'model' AS model, sum((properties->>'tokens')::numeric)
FROM usage_usageevent
WHERE event_type = 'completion' AND "timestamp" >= %s AND "timestamp" < %s
GROUP BY 1, 2
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the close to FILE")
    args = parser.parse_args()

    log(f"Setting up {DB}: {args.customers} customers...")
    env, _token = fresh_database(DB, args.customers)
    django_setup(env)
    from django.db import connection

    from billing_console.lib.periods import Period
    from contracts.models import Contract
    from invoicing.models import LineItem
    from invoicing.services import invoice_compute_usage, invoice_finalize_due
    from usage.models import BillableMetric
    from usage.rollups import rollups_backfill

    setup_catalog(args.customers)
    log(f"COPY {args.events:,} events ... {copy_events(DB, args.events, args.customers):.1f} s")
    connection.close()
    with psycopg.connect(database_url(DB), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE usage_usageevent")
    started = time.perf_counter()
    for metric in BillableMetric.objects.all():
        rollups_backfill(metric=metric)
    with psycopg.connect(database_url(DB), autocommit=True) as conn:
        for table in ("usage_metricrollup", "usage_metricrollupday"):
            conn.execute(f"ANALYZE {table}")  # as autovacuum would have by month end
    log(
        f"rollups built in {time.perf_counter() - started:.1f} s (done as events arrive in production)"
    )

    group_by_runs = []  # the fastest of three: the baseline at its best
    with psycopg.connect(database_url(DB)) as conn:
        for _ in range(3):
            started = time.perf_counter()
            rows = conn.execute(GROUP_BY_SQL, MONTH).fetchall()
            group_by_runs.append(time.perf_counter() - started)
    group_by_seconds = min(group_by_runs)

    period = Period(*MONTH)
    contracts = Contract.objects.select_related("customer", "rate_card__fiat_credit_type").order_by(
        "pk"
    )
    started = time.perf_counter()
    drafts = [invoice_compute_usage(contract=contract, period=period) for contract in contracts]
    draft_seconds = time.perf_counter() - started  # in production the schedule keeps drafts current
    one_by_one_totals = {d.pk: d.total for d in drafts}
    # the periodic refresh as it runs now: every contract re-priced in batches (same period)
    from invoicing.models import Invoice
    from invoicing.refresh_batch import BATCH_SIZE as BATCH
    from invoicing.refresh_batch import contracts_refresh

    contract_ids = [c.pk for c in contracts]
    started = time.perf_counter()
    refreshed = contracts_refresh(contract_ids, now=MONTH[1] - timedelta(seconds=1))
    refresh_seconds = time.perf_counter() - started
    assert refreshed.failed == [] and refreshed.statements == len(drafts), refreshed
    batched_totals = dict(
        Invoice.objects.filter(pk__in=one_by_one_totals).values_list("pk", "total")
    )
    same_drafts = batched_totals == one_by_one_totals
    started = time.perf_counter()
    # month close, as the periodic task runs it: each draft recomputed with final usage,
    # numbered and finalized, in batches closed together (invoicing.close)
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    closed = invoice_finalize_due(now=MONTH[1], grace=timedelta(0))
    close_seconds = time.perf_counter() - started
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
        log(f"profile of the close written to {args.profile} (python -m pstats {args.profile})")
    assert closed == len(drafts), (closed, len(drafts))

    expected = sum(Decimal(r[2]) for r in rows) / 1000
    invoiced = sum(li.quantity for li in LineItem.objects.filter(type="USAGE"))
    log(
        f"raw SQL GROUP BY          {group_by_seconds:8.2f} s  ({len(rows):,} customer x model rows; "
        f"fastest of {', '.join(f'{t:.2f}' for t in group_by_runs)} s)"
    )
    log(
        f"month close (services)    {close_seconds:8.2f} s  ({args.customers:,} invoices recomputed and finalized)"
    )
    log(
        f"drafts computed           {draft_seconds:8.2f} s  (kept current during the month by the schedule)"
    )
    log(
        f"refresh {len(contract_ids):,} contracts (batched) {refresh_seconds:6.2f} s  "
        f"(contracts_refresh, batches of {BATCH}; totals equal to the one-by-one drafts: {same_drafts}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})"
    )
    log(f"ratio close / GROUP BY    {close_seconds / group_by_seconds:8.1f} x")
    log(
        f"quantities match          {invoiced == expected}  (invoiced {invoiced:,.3f} = GROUP BY {expected:,.3f} thousand tokens)"
    )


if __name__ == "__main__":
    main()
