"""Ingest throughput: the real POST /v1/ingest under bin/web (granian) with concurrent clients sending
100-event batches (5% duplicates), against a raw COPY of the same events into the same table.

    DATABASE admin URL: BENCH_ADMIN_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
    .venv/bin/python bench/ingest.py --events 200000 --clients 6 --workers 3
    BENCH_SERVER=gunicorn .venv/bin/python bench/ingest.py ...   # gunicorn instead of granian

Prints events/s for both paths and their ratio for each round (API run, then COPY run), the
median ratio, and the server's memory before and after.
"""

import argparse
import http.client as http_client
import json
import os
import queue
import threading
import time

import psycopg
from _harness import Server, database_url, fresh_database, log, make_batches, server_kind

DB = "bc_bench_ingest"


def send_all(url: str, token: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    failures = []

    def client() -> None:
        # http.client on a kept-alive connection: the clients share the server's two cores, so
        # they should cost it as little as possible (httpx costs about three times as much).
        host, port = url.removeprefix("http://").split(":")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        http = http_client.HTTPConnection(host, int(port), timeout=60)
        while True:
            try:
                body = work.get_nowait()
            except queue.Empty:
                http.close()
                return
            for attempt in range(5):  # like the SDK: retry connection errors and 5xx
                try:
                    http.request("POST", "/v1/ingest", body=body, headers=headers)
                    response = http.getresponse()
                    text = response.read()
                    if response.status < 500:
                        if response.status >= 400:
                            failures.append(text)
                        break
                except (OSError, http_client.HTTPException):
                    http.close()
                time.sleep(0.2 * (attempt + 1))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, len(failures)


def copy_all(batches: list[list[dict]], chunk: int = 10_000) -> float:
    """COPY the same events (duplicates removed, as dedupe would) into the emptied events table,
    committing every `chunk` rows."""
    seen, rows = set(), []
    for batch in batches:
        for event in batch:
            if event["transaction_id"] not in seen:
                seen.add(event["transaction_id"])
                rows.append(event)
    with psycopg.connect(database_url(DB)) as conn:
        conn.execute("TRUNCATE usage_usageevent, usage_eventkey, usage_pendingrollup")
        conn.commit()
        start = time.perf_counter()
        for offset in range(0, len(rows), chunk):
            with conn.cursor().copy(
                "COPY usage_usageevent (transaction_id, customer_id, event_type, timestamp, properties, received_at) "
                "FROM STDIN"
            ) as copy:
                for event in rows[offset : offset + chunk]:
                    copy.write_row((event["transaction_id"], event["customer_id"], event["event_type"],
                                    event["timestamp"], json.dumps(event["properties"]), "now"))  # fmt: skip
            conn.commit()
        return time.perf_counter() - start


def cpu_seconds(server: Server) -> dict[str, float]:
    """CPU time so far of this process (the clients), the web server's processes and PostgreSQL."""
    import resource
    import subprocess

    def proc(pids: list[int]) -> float:
        total = 0
        for pid in pids:
            try:
                fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (FileNotFoundError, ProcessLookupError):
                pass
        return total / os.sysconf("SC_CLK_TCK")

    usage = resource.getrusage(resource.RUSAGE_SELF)
    postgres = subprocess.run(["pgrep", "-f", "postgres"], capture_output=True, text=True).stdout
    return {
        "clients": usage.ru_utime + usage.ru_stime,
        "web": proc(server.pids()),
        "postgresql": proc([int(pid) for pid in postgres.split()]),
    }


def redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def reset(broker: str) -> None:
    with psycopg.connect(database_url(DB)) as conn:
        conn.execute("TRUNCATE usage_usageevent, usage_eventkey, usage_pendingrollup")
    redis_flush(broker)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="API run then COPY run, this many times: a shared machine's speed drifts by tens of "
        "percent within minutes, so each round compares two neighbouring runs",
    )  # fmt: skip
    parser.add_argument(
        "--broker", default="redis://127.0.0.1:6379/15", help="a Redis database the run may empty"
    )
    parser.add_argument(
        "--ceiling", action="store_true",
        help="serve bench/_ceiling_app.py instead of the product: the web server running only the "
        "ingest statement on each body, the most any Python front on this stack could reach",
    )  # fmt: skip
    args = parser.parse_args()

    log(f"Setting up {DB} with {args.customers} customers...")
    env, token = fresh_database(DB, args.customers)
    # As deployed: follow-up work (alert and threshold evaluation) is enqueued on a broker for
    # the workers, not run inside the request. No worker runs here, so the queue is dropped.
    env.update(CELERY_TASK_ALWAYS_EAGER="0", CELERY_BROKER_URL=args.broker)
    redis_flush(args.broker)
    batches = make_batches(args.events, args.customers)
    bodies = [json.dumps(batch).encode() for batch in batches]
    unique = len({e["transaction_id"] for b in batches for e in b})
    log(f"events per round       {args.events:>12,}  ({unique:,} unique, "
        f"{args.events - unique:,} duplicates), {args.clients} clients, "
        f"{args.workers} web workers")  # fmt: skip
    app = "_ceiling_app:application" if args.ceiling else "billing_console.wsgi"
    log(f"serving {app} with {server_kind()}")
    server = Server(env, workers=args.workers, app=app)
    ratios = []
    try:
        warm_up = [  # every worker imports and connects before the clock starts
            json.dumps([dict(event, transaction_id=f"warm-up-{n}-{event['transaction_id']}") for event in batch]).encode()
            for n, batch in enumerate(batches[: 20 * args.workers])
        ]  # fmt: skip
        send_all(server.url, token, warm_up, args.clients)
        rss_before = server.rss_mb()
        for round_ in range(1, args.rounds + 1):
            reset(args.broker)
            cpu_before = cpu_seconds(server)
            api_seconds, failed = send_all(server.url, token, bodies, args.clients)
            cpu = {name: after - cpu_before[name] for name, after in cpu_seconds(server).items()}
            with psycopg.connect(database_url(DB)) as conn:
                stored, distinct = conn.execute(
                    "SELECT count(*), count(DISTINCT transaction_id) FROM usage_usageevent"
                ).fetchone()
            copy_seconds = copy_all(batches)
            api_rate, copy_rate = args.events / api_seconds, unique / copy_seconds
            ratios.append(api_rate / copy_rate)
            log(f"round {round_}: API {api_rate:>8,.0f} events/s ({api_seconds:.1f} s), "
                f"COPY {copy_rate:>8,.0f} events/s ({copy_seconds:.1f} s), ratio {ratios[-1]:.1%}; "
                f"stored {stored:,} (distinct {distinct:,}, rejected batches {failed}); CPU s "
                + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))  # fmt: skip
        rss_after = server.rss_mb()
    finally:
        server.stop()
        redis_flush(args.broker)
    ratios.sort()
    log(f"ratio API / COPY       {ratios[len(ratios) // 2]:>12.1%}  (median of {len(ratios)} "
        f"rounds; {ratios[0]:.1%} to {ratios[-1]:.1%})")  # fmt: skip
    log(f"server memory          {rss_before:>9.0f} MB before, {rss_after:.0f} MB after "
        f"{args.rounds * args.events:,} events")  # fmt: skip


if __name__ == "__main__":
    main()
