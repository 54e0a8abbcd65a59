"""Growth (issue #26 item 7): the same work on a month of 1M events for 1,000 customers and of
10M events for 10,000 customers, and how much each figure grows between the two.

    .venv/bin/python bench/scale.py                       # both sizes, then the ratios
    .venv/bin/python bench/scale.py --size 1000 1000000   # one size (what the run does twice)
    .venv/bin/python bench/scale.py --ingest-only         # ingest again on the databases built
                                                          # by a run (e.g. after a server setting;
                                                          # earlier runs' events deleted first)

Each size gets a fresh PostgreSQL database (bench/_catalog.py: a token metric priced by model,
a monthly contract per customer, the month's events copied in with their dedupe keys, each
day's frozen in a generation as the daily rotation leaves them and the key filter built, rollups
built; transaction ids random, as clients' UUIDs are), then measures, on the same 2 cores, each
phase after a CHECKPOINT (the setup writes gigabytes, which are not ingest's to flush):

- ingest: --ingest events through POST /v1/ingest (bin/web, 3 workers, 6 clients; follow-ups
  queued on a Redis database no worker reads), per event, the median of --rounds rounds (new
  random transaction ids each; the first round meets a cold server);
- rollups: the rollup job adding those events, per event;
- usage query: POST /v1/usage for one customer's month by day, p50 and p95 over 100 customers;
- refresh: every contract's statements re-priced (contracts_refresh), per contract;
- month close: invoice_finalize_due, per customer: the first close after ingest, and the median
  of --close-rounds closes (the tables a close rewrites vacuumed before each, as autovacuum
  would between month ends; the invoices put back to drafts between them, their webhook events
  deleted).

Targets (the issue's): per-event ingest and per-customer close (first and median) within 1.2x
between the sizes, query latency within 1.5x. Benchmarks print figures; they never fail on speed.
"""

import argparse
import http.client as http_client
import json
import subprocess
import sys
import time
from datetime import timedelta
from random import Random

import psycopg
from _catalog import MONTH, copy_events, copy_keys, setup_catalog
from _harness import (
    ROOT,
    Server,
    database_url,
    django_setup,
    env_for,
    fresh_database,
    log,
    make_batches,
)
from ingest import redis_flush, send_all

SIZES = ((1_000, 1_000_000), (10_000, 10_000_000))
TARGETS = {  # figure: (label, unit, target ratio)
    "ingest_us": ("ingest, per event", "us", 1.2),
    "rollup_us": ("rollups, per event", "us", None),
    "query_p50_ms": ("usage query p50", "ms", 1.5),
    "query_p95_ms": ("usage query p95", "ms", 1.5),
    "refresh_ms": ("refresh, per contract", "ms", None),
    "close_first_ms": ("month close, first round", "ms", 1.2),
    "close_ms": ("month close, median", "ms", 1.2),
}
BROKER = "redis://127.0.0.1:6379/14"
QUERIED = 100  # customers whose month the usage query reads (p95: the 5th slowest)


def settle(db: str, vacuum: str | None = None) -> None:
    """Before a measured phase: VACUUM ANALYZE `vacuum` (table names; "" for the whole
    database), then a CHECKPOINT, so that no phase pays for flushing what the one before (the
    setup's gigabytes, above all) left dirty."""
    with psycopg.connect(database_url(db), autocommit=True) as conn:
        if vacuum is not None:
            conn.execute(f"VACUUM ANALYZE {vacuum}")
        conn.execute("CHECKPOINT")


def _queries(url: str, token: str, customers: list[str], metric: str) -> list[float]:
    """Seconds per /v1/usage call, one customer's month by day each."""
    host, port = url.removeprefix("http://").split(":")
    http = http_client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    times = []
    for customer in customers:
        body = json.dumps({
            "starting_on": MONTH[0].isoformat(), "ending_before": MONTH[1].isoformat(),
            "window_size": "DAY", "customer_ids": [customer],
            "billable_metrics": [{"id": metric, "group_by": {"key": "model"}}],
        })  # fmt: skip
        started = time.perf_counter()
        http.request("POST", "/v1/usage", body=body, headers=headers)
        response = http.getresponse()
        text = response.read()
        times.append(time.perf_counter() - started)
        assert response.status == 200, text[:300]
    http.close()
    return times


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ingest_rounds(
    env: dict[str, str], token: str, customers: int, ingest: int, rounds: int, seed: int
) -> float:  # fmt: skip
    """Median microseconds per event over `rounds` rounds of `ingest` events through the API
    (random transaction ids drawn from `seed`: a seed used before on the database would send
    ids it has seen, measuring duplicates)."""
    server = Server(env, workers=3)
    try:
        warm_up = make_batches(6_000, customers, seed=seed - 1, random_ids=True)
        send_all(server.url, token, [json.dumps(b).encode() for b in warm_up], 6)
        costs = []
        for round_ in range(rounds):
            batches = make_batches(ingest, customers, seed=seed + round_, random_ids=True)
            bodies = [json.dumps(batch).encode() for batch in batches]
            seconds, failed = send_all(server.url, token, bodies, 6)
            costs.append(seconds / ingest * 1e6)
            log(f"  ingest round {round_ + 1}: {ingest / seconds:,.0f} events/s, "
                f"{costs[-1]:.1f} us per event ({failed} batches refused)")  # fmt: skip
    finally:
        server.stop()
    return sorted(costs)[len(costs) // 2]


def ingest_env(db: str) -> tuple[dict[str, str], str]:
    """The environment to serve `db` with follow-ups queued on a Redis database no worker reads
    (emptied), and a new API token."""
    env = env_for(db)
    env.update(CELERY_TASK_ALWAYS_EAGER="0", CELERY_BROKER_URL=BROKER)
    redis_flush(BROKER)
    script = "from billing_console.services import api_token_create\nprint('TOKEN=' + api_token_create(name='scale')[1])"
    out = subprocess.run([sys.executable, "manage.py", "shell", "-v0", "-c", script], cwd=ROOT,
                         env=env, check=True, capture_output=True, text=True).stdout  # fmt: skip
    return env, next(
        line.split("=", 1)[1] for line in out.splitlines() if line.startswith("TOKEN=")
    )


def ingest_cleanup(db: str) -> int:
    """Back to the size `db` was built with: earlier runs' events (received after the month)
    and their keys deleted, vacuumed, checkpointed; returns how many events it holds."""
    with psycopg.connect(database_url(db), autocommit=True) as conn:
        for table in ("usage_usageevent", "usage_eventkey"):
            conn.execute(f"DELETE FROM {table} WHERE received_at >= %s", [MONTH[1]])
        conn.execute("DELETE FROM usage_pendingrollup")
        held = conn.execute("SELECT count(*) FROM usage_usageevent").fetchone()[0]
    settle(db, "usage_usageevent, usage_eventkey, usage_pendingrollup")
    return held


def ingest_again(customers: int, ingest: int, rounds: int) -> dict[str, float]:
    """Ingest alone, on the database an earlier run built for this size."""
    db = f"bc_bench_scale_{customers}"
    env, token = ingest_env(db)
    log(f"[{customers:,} customers] ingest again on {db}")
    log(f"  {ingest_cleanup(db):,} events in the database")
    try:
        seed = Random().randrange(10**9)  # ids the database has not seen
        return {"ingest_us": ingest_rounds(env, token, customers, ingest, rounds, seed)}
    finally:
        redis_flush(BROKER)


def close_rounds(db: str, customers: int, rounds: int) -> tuple[float, float]:
    """Milliseconds per customer of the first and the median of `rounds` month closes
    (invoice_finalize_due) of the month's drafts: the first is the close after ingest, as in
    production; the later ones close the same drafts again. Before each, the tables a close
    rewrites are vacuumed, as autovacuum would have done between two month ends; after each but
    the last, the finalized invoices are put back to drafts (their numbers cleared) and their
    invoice.finalized webhook events deleted (else the next close finds them published and
    skips the one INSERT per invoice that the real close makes)."""
    from invoicing.models import Invoice, InvoiceStatus
    from invoicing.services import invoice_finalize_due
    from payments.invoice_events import FINALIZED
    from webhooks.models import OutboundEvent

    costs = []
    for round_ in range(rounds):
        settle(db, "invoicing_invoice, invoicing_lineitem, auditlog_logentry")
        started = time.perf_counter()
        closed = invoice_finalize_due(now=MONTH[1], grace=timedelta(0))
        costs.append((time.perf_counter() - started) / customers * 1000)
        assert closed == customers, (closed, customers)
        log(f"  close round {round_ + 1}: {costs[-1]:.2f} ms per customer")
        if round_ < rounds - 1:  # as before the close: its invoice.finalized events too
            OutboundEvent.objects.filter(type=FINALIZED).delete()
            Invoice.objects.filter(status=InvoiceStatus.FINALIZED).update(
                status=InvoiceStatus.DRAFT, number="", finalized_at=None
            )
    return costs[0], sorted(costs)[len(costs) // 2]


def one_size(
    customers: int, events: int, ingest: int, rounds: int, close_rounds_: int
) -> dict[str, float]:
    db = f"bc_bench_scale_{customers}"
    log(f"[{customers:,} customers, {events:,} events] setting up {db}...")
    started = time.perf_counter()
    env, token = fresh_database(db, customers)
    # As deployed: follow-ups are queued for workers (on a Redis database no worker reads), not
    # run inside each write; the refresh below does the re-pricing they would have done.
    env.update(CELERY_TASK_ALWAYS_EAGER="0", CELERY_BROKER_URL=BROKER)
    redis_flush(BROKER)
    django_setup(env)
    from django.db import connection

    from contracts.models import Contract
    from customers.models import Customer
    from invoicing.refresh_batch import contracts_refresh
    from usage.models import BillableMetric, PendingRollup
    from usage.rollups import rollups_advance, rollups_backfill

    setup_catalog(customers)
    log(f"  customers and contracts: {time.perf_counter() - started:.0f} s")
    log(f"  COPY {events:,} events: {copy_events(db, events, customers, random_ids=True):.0f} s")
    connection.close()
    # a month of dedupe keys, as ingest and the daily rotation would have left them
    copy_keys(db, MONTH[0], MONTH[1])
    with psycopg.connect(database_url(db), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    started = time.perf_counter()
    for metric in BillableMetric.objects.all():
        rollups_backfill(metric=metric)
    log(f"  rollups built: {time.perf_counter() - started:.0f} s")
    connection.close()
    settle(db, "")

    figures: dict[str, float] = {}
    redis_flush(BROKER)
    figures["ingest_us"] = ingest_rounds(env, token, customers, ingest, rounds, customers * 1000)
    settle(db)
    server = Server(env, workers=3)
    try:
        connection.close()
        pending = PendingRollup.objects.count()
        started = time.perf_counter()
        rolled = 0
        while done := rollups_advance():
            rolled += done
        figures["rollup_us"] = (time.perf_counter() - started) / max(rolled, 1) * 1e6
        log(f"  rollups: {rolled:,} events of {pending:,} batches in "
            f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        picked = Random(3).sample(range(customers), min(customers, QUERIED))
        ids = dict(Customer.objects.values_list("name", "public_id"))
        chosen = [str(ids[f"Customer {i}"]) for i in picked]
        metric = str(BillableMetric.objects.get().public_id)
        _queries(server.url, token, chosen[:5], metric)  # warm
        times = _queries(server.url, token, chosen, metric)
        figures["query_p50_ms"] = _percentile(times, 0.5) * 1000
        figures["query_p95_ms"] = _percentile(times, 0.95) * 1000
    finally:
        server.stop()
        redis_flush(BROKER)
    connection.close()
    contract_ids = list(Contract.objects.values_list("pk", flat=True))
    settle(db)
    started = time.perf_counter()
    refreshed = contracts_refresh(contract_ids, now=MONTH[1] - timedelta(seconds=1))
    assert not refreshed.failed, refreshed.failed[:3]
    figures["refresh_ms"] = (time.perf_counter() - started) / len(contract_ids) * 1000
    figures["close_first_ms"], figures["close_ms"] = close_rounds(db, customers, close_rounds_)
    for key, value in figures.items():
        label, unit, _target = TARGETS[key]
        log(f"  {label:<28} {value:10.2f} {unit}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", nargs=2, type=int, metavar=("CUSTOMERS", "EVENTS"))
    parser.add_argument(
        "--ingest", type=int, default=200_000, help="events sent through the API per round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="ingest rounds (the median counts)")
    parser.add_argument("--close-rounds", type=int, default=3,
                        help="month closes per size (the median counts)")  # fmt: skip
    parser.add_argument("--ingest-only", action="store_true",
                        help="ingest alone, on the databases an earlier run built")  # fmt: skip
    args = parser.parse_args()
    if args.size:
        if args.ingest_only:
            figures = ingest_again(args.size[0], args.ingest, args.rounds)
        else:
            figures = one_size(*args.size, args.ingest, args.rounds, args.close_rounds)
        print("FIGURES " + json.dumps(figures), flush=True)
        return 0
    with psycopg.connect(database_url("postgres")) as conn:
        settings = [
            conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "max_wal_size")
        ]
    log(f"PostgreSQL: shared_buffers {settings[0]}, max_wal_size {settings[1]}")
    results = []
    for customers, events in SIZES:
        out = subprocess.run(
            [sys.executable, __file__, "--size", str(customers), str(events),
             "--ingest", str(args.ingest), "--rounds", str(args.rounds),
             "--close-rounds", str(args.close_rounds),
             *(["--ingest-only"] if args.ingest_only else [])],
            stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        for line in out.stdout.splitlines():
            if line.startswith("FIGURES "):
                results.append(json.loads(line.removeprefix("FIGURES ")))
            else:
                log(line)
    small, large = results
    (_, e1), (_, e2) = SIZES
    log(f"\n{'figure':<28} {f'{e1:,} ev':>12} {f'{e2:,} ev':>12} {'ratio':>7}  target")
    for key, (label, unit, target) in TARGETS.items():
        if key not in small or key not in large:
            continue
        ratio = large[key] / small[key]
        verdict = "" if target is None else (
            f"<= {target}x: {'met' if ratio <= target else 'NOT MET'}"
        )  # fmt: skip
        log(
            f"{label + f' ({unit})':<28} {small[key]:>12.2f} {large[key]:>12.2f} {ratio:>6.2f}x  {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
