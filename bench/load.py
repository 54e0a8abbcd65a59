"""Load run: Locust (headless) over a realistic mix against the production shape of the
project: gunicorn, a Celery worker and beat on Redis, PostgreSQL, with the demo data loaded.

    .venv/bin/python bench/load.py --duration 60 --users 8 --workers 3

The mix (bench/locustfile.py): ingest batches of 100 events 60%, usage queries 10%, invoice
list/retrieve 15%, logged-in console pages (customer, invoice, contract) 15%. Users send their
next request as soon as the last one is answered (no think time), so the figures are the
throughput at saturation on this machine, with Locust itself on the same cores. Prints one row
per request type: requests, failures, requests/s, p50/p95/p99 latency; and events ingested/s.
"""

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _faults import Celery, Redis, fault_env, free_port
from _harness import PYTHON, ROOT, Server, fresh_database, log

LOCUST = str(ROOT / ".venv" / "bin" / "locust")
DEMO_TOKEN = "bc_demo_token_for_local_use_only"


def print_table(stats_csv: Path, duration: float) -> None:
    with stats_csv.open() as f:
        rows = list(csv.DictReader(f))
    header = f"{'request':<40} {'requests':>9} {'failed':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    log(header)
    log("-" * len(header))
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", -int(r["Request Count"]))):
        if row["Name"] == "console login":
            continue
        name = "all requests" if row["Name"] == "Aggregated" else row["Name"]
        log(
            f"{name:<40} {int(row['Request Count']):>9,} {int(row['Failure Count']):>7,} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    ingest = next((r for r in rows if r["Name"].startswith("POST /v1/ingest")), None)
    if ingest:
        ok = int(ingest["Request Count"]) - int(ingest["Failure Count"])
        log(
            f"events ingested: {ok * 100:,} in {duration:.0f} s = {ok * 100 / duration:,.0f} events/s"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (2-4)")
    parser.add_argument("--db", default="bc_bench_load")
    args = parser.parse_args()

    log(f"Setting up {args.db} with the demo data...")
    env, _token = fresh_database(args.db, 0)
    redis = Redis()
    redis.start()
    env = fault_env(env, redis.url)
    subprocess.run(
        [PYTHON, "manage.py", "load_demo", "--force"], cwd=ROOT, env={**env, "CELERY_TASK_ALWAYS_EAGER": "1"},
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    worker, beat = Celery(env, concurrency=1), Celery(env, kind="beat")
    server = None
    out = Path(tempfile.mkdtemp(prefix="bc-load-"))
    try:
        worker.start()
        beat.start()
        server = Server(env, port=free_port(), workers=args.workers)
        log(
            f"Locust: {args.users} users for {args.duration} s against gunicorn ({args.workers} "
            "workers x 2 threads), 1 Celery worker + beat, PostgreSQL, Redis"
        )
        started = time.monotonic()
        subprocess.run(
            [LOCUST, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.duration}s",
             "--host", server.url, "--csv", str(out / "load"), "--loglevel", "WARNING",
             "--exit-code-on-error", "0"],
            cwd=ROOT, env={**env, "LOAD_API_TOKEN": DEMO_TOKEN}, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    finally:
        if server is not None:
            server.stop()
        beat.stop()
        worker.stop()
        beat.cleanup()
        worker.cleanup()
        redis.stop()
    print_table(out / "load_stats.csv", min(elapsed, args.duration))
    return 0


if __name__ == "__main__":
    sys.exit(main())
