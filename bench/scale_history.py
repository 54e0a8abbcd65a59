"""Growth of ingest cost (issue #26 item 7), split by what grows: the history kept, or the rate
of events. Three PostgreSQL databases of events and dedupe keys only (ingest reads nothing else;
the keys of each day frozen in a generation as the daily rotation leaves them, the last day's in
the table ingest writes, and the key filter built: usage.key_generations):

- base: 1M events of one month, 1,000 customers (bench/scale.py's small size);
- history: 10M events over ten months, 1,000 customers, and the keys of the last 35 days only,
  as the daily rotation and prune leave them: ten times the history at the same rate;
- rate: 10M events of one month, 10,000 customers (bench/scale.py's large size): ten times the
  events in the dedupe window, and ten times the customers.

Each is measured as bench/scale.py measures ingest (the median of --rounds rounds of --ingest
random-id events through the API). Beside it, per event ingested, the blocks PostgreSQL had to
read from outside shared_buffers (pg_statio), by relation: what grows when an index no longer
fits in the buffers.

    .venv/bin/python bench/scale_history.py              # build the three, then measure
    .venv/bin/python bench/scale_history.py --reuse      # measure again on the databases built

Benchmarks print figures; they never fail on speed. Drop the databases afterwards (about 9 GB):
bc_bench_hist_base, bc_bench_hist_history, bc_bench_hist_rate.
"""

import argparse
import sys
import time
from datetime import timedelta
from random import Random

import psycopg
from _catalog import MONTH, copy_events, copy_keys
from _harness import database_url, fresh_database, log
from ingest import redis_flush
from scale import BROKER, ingest_cleanup, ingest_env, ingest_rounds

WINDOW = timedelta(days=35)  # what the daily prune keeps (usage.ingest.event_keys_prune)
SHAPES = {  # name: (customers, events, months of history)
    "base": (1_000, 1_000_000, 1),
    "history": (1_000, 10_000_000, 10),
    "rate": (10_000, 10_000_000, 1),
}
WORDS = {  # how the printed table names the relations pg_statio reports
    "usage_usageevent": "events heap",
    "usage_usageevent_pkey": "events id index",
    "usage_event_customer_time": "events customer index",
    "usage_eventkey": "dedupe keys heap",
    "usage_eventkeydigest_pkey": "dedupe key index",
    "frozen keys": "frozen keys (all generations)",
}


def build(name: str, customers: int, events: int, months: int) -> None:
    db = f"bc_bench_hist_{name}"
    log(f"[{name}] {events:,} events over {months} month(s), {customers:,} customers: {db}")
    fresh_database(db, customers)
    period = (MONTH[1] - timedelta(days=round(30.44 * months)), MONTH[1])
    log(f"  COPY: {copy_events(db, events, customers, random_ids=True, period=period):.0f} s")
    started = time.perf_counter()
    keys = copy_keys(db, MONTH[1] - WINDOW, MONTH[1])
    with psycopg.connect(database_url(db), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    log(f"  {keys:,} dedupe keys: {time.perf_counter() - started:.0f} s")


def _reads(db: str) -> dict[str, int]:
    """Blocks read from outside shared_buffers so far, by relation, and in all ('total')."""
    with psycopg.connect(database_url(db), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname, heap_blks_read FROM pg_statio_user_tables "
            "UNION ALL SELECT indexrelname, idx_blks_read FROM pg_statio_user_indexes"
        ).fetchall()
        total = conn.execute(
            "SELECT blks_read FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]
    reads = {"total": total}
    for name, count in rows:  # the generations' partitions and their indexes as one
        name = "frozen keys" if name.startswith("usage_frozeneventkey_g") else name
        reads[name] = reads.get(name, 0) + (count or 0)
    return reads


def measure(name: str, customers: int, ingest: int, rounds: int) -> dict[str, float]:
    db = f"bc_bench_hist_{name}"
    env, token = ingest_env(db)
    log(f"[{name}] ingest on {db}: {ingest_cleanup(db):,} events")
    time.sleep(1.5)  # the cleanup's counts reach the statistics first
    before = _reads(db)
    try:
        cost = ingest_rounds(env, token, customers, ingest, rounds, Random().randrange(10**9))
    finally:
        redis_flush(BROKER)  # the follow-ups queued, which no worker reads
    time.sleep(1.5)  # the server's last counts
    after = _reads(db)
    sent = ingest * rounds + 6_000  # the rounds and the warm-up
    reads = {key: (after.get(key, 0) - before.get(key, 0)) / sent for key in after}
    figures = {"ingest_us": cost}
    figures.update({f"reads {rel}": per for rel, per in reads.items() if per >= 0.001})
    log(f"  ingest {cost:.1f} us per event; blocks read per event: {reads['total']:.3f}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ingest", type=int, default=200_000, help="events per round")
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds (the median counts)")
    parser.add_argument("--reuse", action="store_true", help="measure the databases built before")
    args = parser.parse_args()
    with psycopg.connect(database_url("postgres")) as conn:
        buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
    log(f"PostgreSQL shared_buffers {buffers}")
    if not args.reuse:
        for name, (customers, events, months) in SHAPES.items():
            build(name, customers, events, months)
    results = {
        name: measure(name, customers, args.ingest, args.rounds)
        for name, (customers, _events, _months) in SHAPES.items()
    }
    base = results["base"]["ingest_us"]
    log(f"\n{'':<34}" + "".join(f"{name:>10}" for name in SHAPES))
    log(
        f"{'ingest, us per event':<34}"
        + "".join(f"{r['ingest_us']:>10.1f}" for r in results.values())
    )
    log(
        f"{'ratio to base (target <= 1.2x)':<34}"
        + "".join(f"{r['ingest_us'] / base:>9.2f}x" for r in results.values())
    )
    log("blocks read from outside the buffers, per event:")
    keys = sorted(
        {k for r in results.values() for k in r if k.startswith("reads ")},
        key=lambda k: (k == "reads total", k),
    )
    for key in keys:
        name = key.removeprefix("reads ")
        label = "all" if name == "total" else WORDS.get(name, name)
        log(f"  {label[:32]:<32}" + "".join(f"{r.get(key, 0.0):>10.3f}" for r in results.values()))
    return 0  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
