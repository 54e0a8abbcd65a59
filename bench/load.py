"""Load run: Locust (headless) against the production shape of the project: bin/web (granian), the
Celery workers of bin/worker (default queue with beat, background queue, rollups queue) on Redis, PostgreSQL,
with the demo data loaded, all on the same cores as Locust itself.

    .venv/bin/python bench/load.py --duration 120                       # the budget run
    .venv/bin/python bench/load.py --saturate --duration 60 --users 8   # throughput at saturation

The budget run (default) ingests 100-event batches at --ingest-rate events/s while reader users
send --read-rate reads/s (usage queries, invoice list and retrieve, console customer, invoice
and contract pages; bench/locustfile.py), each on a constant-throughput clock: the latencies a
customer sees while ingest runs at that rate. It prints one row per request type (requests,
failures, requests/s, p50/p95/p99) and then a line per type against its budget: every read
p95 <= 300 ms, ingest p95 <= 150 ms, and the ingest rate reached >= 1,500 events/s.

--saturate sends the mix (ingest 60%, usage 10%, invoice reads 15%, console pages 15%) with no
think time: the figures are then the throughput at saturation, not a budget.
"""

import argparse
import csv
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from _faults import Redis, fault_env, free_port
from _harness import PYTHON, ROOT, Server, database_url, fresh_database, log, server_kind

READ_BUDGET_MS, INGEST_BUDGET_MS, INGEST_RATE_FLOOR = 300, 150, 1_500

LOCUST = str(ROOT / ".venv" / "bin" / "locust")
DEMO_TOKEN = "bc_demo_token_for_local_use_only"


def print_table(rows: list[dict], duration: float) -> None:
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


ROLES = {"granian": "web", "gunicorn": "web", "celery": "workers (celery)",
         "postgres": "PostgreSQL", "locust": "Locust", "redis-server": "Redis"}  # fmt: skip


def cpu_by_role() -> dict[str, float]:
    """CPU seconds so far of the processes on this machine, by their part in the run."""
    import psutil

    totals = dict.fromkeys(ROLES.values(), 0.0)
    for proc in psutil.process_iter(["cmdline", "cpu_times"]):
        line = " ".join(proc.info["cmdline"] or [])
        role = next((r for key, r in ROLES.items() if key in line), None)
        if role and proc.info["cpu_times"]:
            totals[role] += proc.info["cpu_times"].user + proc.info["cpu_times"].system
    return totals


def print_budgets(rows: list[dict], duration: float) -> bool:
    """A line per request type against its p95 budget, and the ingest rate against its floor;
    True when every line is met."""
    log("")
    met_all = True
    for row in rows:
        name = row["Name"]
        if name in ("Aggregated", "console login"):
            continue
        ingest = name.startswith("POST /v1/ingest")
        budget = INGEST_BUDGET_MS if ingest else READ_BUDGET_MS
        p95, failed = float(row["95%"]), int(row["Failure Count"])
        met = p95 <= budget and not failed
        met_all &= met
        log(f"budget {name:<40} p95 {p95:>6.0f} ms <= {budget} ms"
            f"{f', {failed} failed' if failed else ''}: {'met' if met else 'NOT MET'}")  # fmt: skip
    ingest = next((r for r in rows if r["Name"].startswith("POST /v1/ingest")), None)
    rate = (
        (int(ingest["Request Count"]) - int(ingest["Failure Count"])) * 100 / duration
        if ingest
        else 0
    )
    met = rate >= INGEST_RATE_FLOOR
    met_all &= met
    log(f"budget {'ingest rate':<40} {rate:>9,.0f} events/s >= {INGEST_RATE_FLOOR:,}: "
        f"{'met' if met else 'NOT MET'}")  # fmt: skip
    log(f"every budget: {'met' if met_all else 'NOT MET'}")
    return met_all


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument(
        "--ingest-rate", type=int, default=1_800, help="events/s in the budget run (100 per batch)"
    )
    parser.add_argument("--read-rate", type=float, default=8, help="reads/s in the budget run")
    parser.add_argument("--saturate", action="store_true", help="the mix with no think time")
    parser.add_argument("--users", type=int, default=8, help="users of --saturate")
    parser.add_argument("--workers", type=int, default=3, help="web server workers (2-4)")
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
    worker = subprocess.Popen(
        [str(ROOT / "bin" / "worker")], cwd=ROOT, env={**env, "LOGLEVEL": "WARNING"},
        start_new_session=True,
    )  # fmt: skip
    server = None
    out = Path(tempfile.mkdtemp(prefix="bc-load-"))
    try:
        server = Server(env, port=free_port(), workers=args.workers)
        locust_env = {**env, "LOAD_API_TOKEN": DEMO_TOKEN}
        if args.saturate:
            users = args.users
            log(f"Locust: {users} users, no think time, for {args.duration} s")
        else:
            ingest_users, read_users = 4, 6
            users = ingest_users + read_users
            locust_env.update(
                LOAD_INGEST_RATE=str(args.ingest_rate), LOAD_READ_RATE=str(args.read_rate),
                LOAD_INGEST_USERS=str(ingest_users), LOAD_READ_USERS=str(read_users),
            )  # fmt: skip
            log(f"Locust: ingest {args.ingest_rate:,} events/s ({ingest_users} users), reads "
                f"{args.read_rate:g}/s ({read_users} users), for {args.duration} s")  # fmt: skip
        log(f"against {server_kind()} ({args.workers} workers x 2 threads), bin/worker (default queue "
            "with beat, background queue, rollups queue), PostgreSQL, Redis")  # fmt: skip
        load_before, cpu_before = os.getloadavg()[0], cpu_by_role()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        subprocess.run(
            [LOCUST, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
             "-u", str(users), "-r", str(users), "-t", f"{args.duration}s",
             "--host", server.url, "--csv", str(out / "load"), "--loglevel", "WARNING",
             "--exit-code-on-error", "0"],
            cwd=ROOT, env=locust_env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        load_after, cpu_after = os.getloadavg()[0], cpu_by_role()
        with psycopg.connect(database_url(args.db)) as conn:
            backlog = conn.execute(
                "SELECT coalesce(sum(jsonb_array_length(event_ids)), 0), "
                "coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM usage_pendingrollup"
            ).fetchone()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # Locust, which has exited
        cpu_after["Locust"] = cpu_before["Locust"] + sum(
            getattr(children, f) - getattr(children_before, f) for f in ("ru_utime", "ru_stime")
        )
    finally:
        if server is not None:
            server.stop()
        worker.terminate()  # bin/worker passes it on: a warm shutdown of both workers
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        redis.stop()
    with (out / "load_stats.csv").open() as f:
        rows = list(csv.DictReader(f))
    duration = min(elapsed, args.duration)
    print_table(rows, duration)
    log(f"load average (1 min) {load_before:.1f} before, {load_after:.1f} at the end")
    log(f"not yet rolled up at the end: {backlog[0]:,} events, the oldest {backlog[1]:.1f} s old")
    log("CPU seconds per second of load (2 cores = 2.0): " + ", ".join(
        f"{role} {(cpu_after[role] - cpu_before[role]) / elapsed:.2f}" for role in cpu_after
    ))  # fmt: skip
    if not args.saturate:
        print_budgets(rows, duration)
    return 0


if __name__ == "__main__":
    sys.exit(main())
