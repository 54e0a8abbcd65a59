"""Retiring old raw events (manage.py events_archive, usage/retention.py) on PostgreSQL: how fast
it writes and deletes, what the file weighs, what the events table keeps on disk, that usage
of the archived months is answered the same from the rollups afterwards, and how fast
`events_restore` (usage/archive_restore.py) puts the events back, with the same usage after.

A database of --events completion events spread over five months (June to October 2026) for
--customers customers, the token metric of the month-close benches with its rollups built;
events before October are archived. Prints the figures; never fails on speed.

    .venv/bin/python bench/retention.py                    # 2,000,000 events, 1,000 customers
    .venv/bin/python bench/retention.py --events 500000    # a quick look

The database (bc_bench_retention) is dropped at the end unless --keep.
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from random import Random

import psycopg
from _catalog import copy_events, setup_catalog
from _harness import ADMIN_URL, database_url, django_setup, fresh_database, log

DB = "bc_bench_retention"
HISTORY = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
BEFORE = datetime(2026, 10, 1, tzinfo=UTC)
JULY = (datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))


def table_mb(conn: psycopg.Connection) -> float:
    row = conn.execute("SELECT pg_total_relation_size('usage_usageevent')").fetchone()
    return row[0] / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    log(f"[{args.events:,} events, {args.customers:,} customers] setting up {DB}...")
    env, _token = fresh_database(DB, args.customers)
    django_setup(env)
    import logging

    from django.db import connection

    logging.getLogger("celery").setLevel(logging.WARNING)  # the set-up's tasks run eagerly

    from customers.models import Customer
    from usage.archive_restore import events_restore
    from usage.models import BillableMetric
    from usage.retention import EventsArchived, events_archive
    from usage.rollups import rollups_backfill
    from usage.selectors import metric_usage
    from usage.services import billable_metric_create

    setup_catalog(args.customers)  # contracts from October: no draft before it
    copied = copy_events(DB, args.events, args.customers, random_ids=True, period=HISTORY)
    log(f"  COPY: {copied:.0f} s")
    connection.close()
    with psycopg.connect(database_url(DB), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    for metric in BillableMetric.objects.all():
        rollups_backfill(metric=metric)
    by_sql = billable_metric_create(
        name="sql tokens", sql="SELECT SUM(properties.tokens) FROM events"
    )
    tokens = BillableMetric.objects.get(name="tokens")
    sample = [Customer.objects.get(name=f"Customer {i}")
              for i in Random(5).sample(range(args.customers), 20)]  # fmt: skip

    def july(customer):
        return metric_usage(metric=tokens, customer=customer, starting_at=JULY[0],
                            ending_before=JULY[1], group_by=["model"])  # fmt: skip

    before_usage = [july(c) for c in sample]
    with psycopg.connect(database_url(DB), autocommit=True) as conn:
        size_before = table_mb(conn)
        archived = conn.execute(
            "SELECT count(*) FROM usage_usageevent WHERE timestamp < %s", [BEFORE]
        ).fetchone()[0]
    out = Path(tempfile.mkdtemp(prefix="bc-archive-")) / "events-before-2026-10.jsonl.gz"
    started = time.perf_counter()
    run = events_archive(before=BEFORE, out=out)
    seconds = time.perf_counter() - started
    connection.close()
    with psycopg.connect(database_url(DB), autocommit=True) as conn:
        size_after = table_mb(conn)
        conn.execute("VACUUM usage_usageevent")
        size_vacuumed = table_mb(conn)
        kept = conn.execute("SELECT count(*) FROM usage_usageevent").fetchone()[0]
    same = [july(c) for c in sample] == before_usage
    try:
        metric_usage(metric=by_sql, customer=sample[0], starting_at=JULY[0], ending_before=JULY[1])
        refused = "not refused (a defect)"
    except EventsArchived as error:
        refused = error.message
    file_mb = out.stat().st_size / 1e6
    started = time.perf_counter()
    restored = events_restore(run=run, file=out)  # events inserted
    restore_seconds = time.perf_counter() - started
    same_after_restore = [july(c) for c in sample] == before_usage
    sql_july = metric_usage(metric=by_sql, customer=sample[0], starting_at=JULY[0],
                            ending_before=JULY[1])  # fmt: skip
    sql_matches = list(sql_july.values()) == [sum(before_usage[0].values())]

    print()
    print(f"events before {BEFORE:%Y-%m-%d}: {archived:,} of {args.events:,}; archived {run.events:,}"
          f" (kept, not rolled up yet: {run.left:,}); {kept:,} events left in the table")  # fmt: skip
    print(
        f"archive run: {seconds:.1f} s, {run.events / seconds:,.0f} events/s (written, synced, deleted)"
    )
    print(
        f"file: {file_mb:.1f} MB, {file_mb * 1e6 / max(run.events, 1):.0f} bytes per event ({out})"
    )
    print(f"events table on disk: {size_before:.0f} MB before, {size_after:.0f} MB after, "
          f"{size_vacuumed:.0f} MB after VACUUM (free space reused by new events; "
          "VACUUM FULL returns it)")  # fmt: skip
    print(f"July usage of 20 customers by model, from the rollups: "
          f"{'the same as before' if same else 'DIFFERENT (a defect)'}")  # fmt: skip
    print(f"a SQL metric over July: {refused}")
    print(f"restore (read and checked whole, then inserted): {restore_seconds:.1f} s, "
          f"{restored / restore_seconds:,.0f} events/s, {restored:,} events back")  # fmt: skip
    print(f"after the restore: July by model {'the same' if same_after_restore else 'DIFFERENT'}"
          f" (not counted twice); the SQL metric over July "
          f"{'answers the rollups total' if sql_matches else 'DIFFERS (a defect)'}")  # fmt: skip
    out.unlink()
    out.parent.rmdir()
    if not args.keep:
        connection.close()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
