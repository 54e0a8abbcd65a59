"""Ingest throughput: the real POST /v1/ingest under gunicorn with concurrent clients sending
100-event batches (5% duplicates), against a raw COPY of the same events into the same table.

    DATABASE admin URL: BENCH_ADMIN_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
    .venv/bin/python bench/ingest.py --events 200000 --clients 6 --workers 3

Prints events/s for both paths, their ratio, and the server's memory before and after.
"""

import argparse
import json
import queue
import threading
import time

import httpx
import psycopg
from _harness import Server, database_url, fresh_database, log, make_batches

DB = "bc_bench_ingest"


def send_all(url: str, token: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    work: queue.Queue[bytes] = queue.Queue()
    for body in bodies:
        work.put(body)
    failures = []

    def client() -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            while True:
                try:
                    body = work.get_nowait()
                except queue.Empty:
                    return
                for attempt in range(5):  # like the SDK: retry connection errors and 5xx
                    try:
                        response = http.post("/v1/ingest", content=body)
                        if response.status_code < 500:
                            if response.status_code >= 400:
                                failures.append(response.text)
                            break
                    except httpx.TransportError:
                        pass
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
        conn.execute("TRUNCATE usage_usageevent, usage_eventkey")
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--customers", type=int, default=1000)
    args = parser.parse_args()

    log(f"Setting up {DB} with {args.customers} customers...")
    env, token = fresh_database(DB, args.customers)
    batches = make_batches(args.events, args.customers)
    bodies = [json.dumps(batch).encode() for batch in batches]
    server = Server(env, workers=args.workers)
    try:
        rss_before = server.rss_mb()
        api_seconds, failed = send_all(server.url, token, bodies, args.clients)
        rss_after = server.rss_mb()
    finally:
        server.stop()
    with psycopg.connect(database_url(DB)) as conn:
        stored = conn.execute("SELECT count(*) FROM usage_usageevent").fetchone()[0]
        distinct = conn.execute(
            "SELECT count(DISTINCT transaction_id) FROM usage_usageevent"
        ).fetchone()[0]
    unique = len({e["transaction_id"] for b in batches for e in b})
    copy_seconds = copy_all(batches)

    api_rate, copy_rate = args.events / api_seconds, unique / copy_seconds
    log(
        f"events sent            {args.events:>12,}  ({unique:,} unique, {args.events - unique:,} duplicates)"
    )
    log(
        f"stored by the API      {stored:>12,}  (distinct transaction ids {distinct:,}; rejected batches {failed})"
    )
    log(f"API  /v1/ingest        {api_rate:>12,.0f} events/s  ({api_seconds:.1f} s, {args.clients} clients, "
        f"{args.workers} gunicorn workers)")  # fmt: skip
    log(f"raw COPY               {copy_rate:>12,.0f} events/s  ({copy_seconds:.1f} s)")
    log(f"ratio API / COPY       {api_rate / copy_rate:>12.1%}")
    log(f"server memory          {rss_before:>9.0f} MB before, {rss_after:.0f} MB after")


if __name__ == "__main__":
    main()
