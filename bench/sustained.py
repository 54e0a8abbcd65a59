"""Rollups under sustained ingest (issue #26 item 4): does the rollup job keep up with the API?

    .venv/bin/python bench/sustained.py --duration 600 --clients 4

Starts a fresh PostgreSQL database with --customers customers and four rolled-up metrics (a
COUNT, two SUMs grouped by model, a MAX), bin/web (granian, 3 workers x 2 threads), the project's
workers as deployed (bin/worker: the default queue with beat, the background queue, and the
rollups queue, whose worker runs the rollup job every 2 s) on a private Redis, then --clients
clients send 100-event batches (at --rate, or as fast as the API answers) for --duration seconds, all on the same cores. Every --every seconds it prints the
events ingested and rolled up in that interval (per second), the events still pending and the
rollup lag: how long the oldest pending batch has waited. At the end it waits for the rollups to
catch up, prints the totals, and checks that the rollups hold every stored event exactly once
(their COUNT against the events table). Targets: lag <= 5 s throughout, rollup rate >= ingest
rate. Benchmarks print figures; they never fail on speed.
"""

import argparse
import http.client as http_client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from random import Random

import psycopg
from _faults import Redis, django_run, fault_env, free_port
from _harness import ROOT, Server, database_url, fresh_database, log, server_kind

DB = "bc_bench_sustained"
METRICS = """
from usage.services import billable_metric_create
common = {"event_type_filter": {"in_values": ["completion"]}}
billable_metric_create(name="completions", aggregation_type="COUNT", **common)
billable_metric_create(name="input tokens", aggregation_type="SUM", aggregation_key="input_tokens",
                       group_keys=[["model"]], **common)
billable_metric_create(name="output tokens", aggregation_type="SUM", aggregation_key="output_tokens",
                       group_keys=[["model"]], **common)
billable_metric_create(name="largest prompt", aggregation_type="MAX", aggregation_key="input_tokens",
                       **common)
"""


def client(
    url: str, token: str, customers: int, stop: threading.Event, sent: list[int], every: float
) -> None:
    """Batches of 100 events, now-ish timestamps, one per `every` seconds at most (0: as fast as
    the API answers), until `stop`; counts accepted events."""
    rng = Random(uuid.uuid4().int)
    next_at = time.monotonic()
    host, port = url.removeprefix("http://").split(":")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    http = http_client.HTTPConnection(host, int(port), timeout=60)
    while not stop.is_set():
        if every:
            next_at += every
            stop.wait(max(0.0, next_at - time.monotonic()))
        now = datetime.now(UTC)
        body = json.dumps([{
            "transaction_id": uuid.uuid4().hex, "customer_id": f"c{rng.randrange(customers)}",
            "event_type": "completion",
            "timestamp": (now - timedelta(seconds=rng.randint(0, 600))).isoformat(),
            "properties": {"model": rng.choice(("large", "mini", "vision")),
                           "input_tokens": rng.randint(100, 60_000),
                           "output_tokens": rng.randint(10, 15_000)},
        } for _ in range(100)])  # fmt: skip
        try:
            http.request("POST", "/v1/ingest", body=body, headers=headers)
            response = http.getresponse()
            response.read()
            if response.status == 200:
                sent[0] += 100
        except (OSError, http_client.HTTPException):
            http.close()
            time.sleep(0.2)


def snapshot(conn: psycopg.Connection) -> tuple[int, int, float]:
    """(events stored, events pending, age in seconds of the oldest pending batch)."""
    stored = conn.execute("SELECT coalesce(max(id), 0) FROM usage_usageevent").fetchone()[0]
    pending, oldest = conn.execute(
        "SELECT coalesce(sum(jsonb_array_length(event_ids)), 0), "
        "extract(epoch FROM now() - min(created_at)) FROM usage_pendingrollup"
    ).fetchone()
    return int(stored), int(pending), float(oldest or 0)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the processes on the way out
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=600, help="seconds of ingest")
    parser.add_argument("--every", type=int, default=30, help="seconds between lines")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--rate", type=int, default=0, help="events/s to send (0: as fast as the API answers)"
    )
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3, help="web server workers")
    args = parser.parse_args()

    log(f"Setting up {DB} with {args.customers} customers and 4 rolled-up metrics...")
    env, token = fresh_database(DB, args.customers)
    redis = Redis()
    redis.start()
    env = fault_env(env, redis.url)
    django_run(env, METRICS)
    worker = subprocess.Popen(
        [str(ROOT / "bin" / "worker")], cwd=ROOT, env={**env, "LOGLEVEL": "WARNING"},
        start_new_session=True,
    )  # fmt: skip
    server = Server(env, port=free_port(), workers=args.workers)
    stop, sent = threading.Event(), [0]
    every = args.clients * 100 / args.rate if args.rate else 0
    threads = [
        threading.Thread(target=client, args=(server.url, token, args.customers, stop, sent, every))
        for _ in range(args.clients)
    ]
    lags: list[float] = []
    try:
        with psycopg.connect(database_url(DB), autocommit=True) as conn:
            time.sleep(5)  # the workers' start-up (beat's first ticks)
            rate = f"{args.rate:,} events/s" if args.rate else "as fast as the API answers"
            # Without autovacuum (some CI servers turn it off) the queue and the rollup rows
            # are never vacuumed: the figures then show the job on bloated tables.
            autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
            log(f"{args.clients} clients ({rate}) for {args.duration} s; {server_kind()} {args.workers} workers "
                "x 2 threads, bin/worker (rollups every 2 s on their own queue), PostgreSQL "
                f"(autovacuum {autovacuum}), Redis; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
            log(f"{'t s':>5} {'ingest ev/s':>12} {'rollup ev/s':>12} {'pending':>9} {'lag s':>7}")
            for thread in threads:
                thread.start()
            started = last_at = time.monotonic()
            stored0, pending0, _ = last = snapshot(conn)
            while time.monotonic() - started < args.duration:
                time.sleep(min(args.every, args.duration - (time.monotonic() - started)))
                now = time.monotonic()
                stored, pending, lag = current = snapshot(conn)
                span = now - last_at
                rolled = (stored - pending) - (last[0] - last[1])
                lags.append(lag)
                log(f"{now - started:>5.0f} {(stored - last[0]) / span:>12,.0f} "
                    f"{rolled / span:>12,.0f} {pending:>9,} {lag:>7.1f}")  # fmt: skip
                last, last_at = current, now
            stop.set()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            stored, pending, lag = snapshot(conn)
            ingested = stored - stored0
            rolled = (stored - pending) - (stored0 - pending0)
            log(f"ingested {ingested:,} events in {elapsed:.0f} s = {ingested / elapsed:,.0f} "
                f"events/s; rolled up {rolled:,} = {rolled / elapsed:,.0f} events/s; "
                f"{pending:,} pending at the end (lag {lag:.1f} s); load average "
                f"{os.getloadavg()[0]:.1f}")  # fmt: skip
            lags.sort()
            log(f"rollup lag over the run: max {lags[-1]:.1f} s, median "
                f"{lags[len(lags) // 2]:.1f} s; target <= 5 s: "
                f"{'met' if lags[-1] <= 5 else 'NOT MET'}")  # fmt: skip
            caught_up = time.monotonic()
            while snapshot(conn)[1] and time.monotonic() - caught_up < 180:
                time.sleep(1)
            left = snapshot(conn)[1]
            log(f"caught up {time.monotonic() - caught_up:.0f} s after ingest stopped"
                if not left else f"{left:,} events still pending 180 s after ingest stopped")  # fmt: skip
            counted, events = conn.execute(
                "SELECT (SELECT sum(r.count) FROM usage_metricrollupday r JOIN "
                "usage_billablemetric m ON m.id = r.metric_id WHERE m.name = 'completions'), "
                "(SELECT count(*) FROM usage_usageevent)"
            ).fetchone()
            log(f"rollups count {int(counted or 0):,} events, the table holds {events:,}: "
                f"{'every event once' if counted == events else 'MISMATCH'}")  # fmt: skip
    finally:
        stop.set()
        server.stop()
        worker.terminate()
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
        redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
