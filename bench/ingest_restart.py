"""Durability: restart PostgreSQL in the middle of an ingest run, then count. Every event the
API acknowledged (HTTP 200) must be stored exactly once; clients retry failed batches as the SDK
does, so dedupe must absorb the retries.

    .venv/bin/python bench/ingest_restart.py --events 50000 --clients 4
Needs permission to run `pg_ctlcluster <version> main restart` (the CI and dev machines have it).
Ends with `lost N, duplicated N` (acknowledged but missing, stored twice); exit code 1 unless 0.
"""

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
from _faults import free_port, result_line
from _harness import Server, database_url, fresh_database, log, make_batches

DB = "bc_bench_restart"


def restart_postgres() -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--db", default=DB)
    args = parser.parse_args()
    env, token = fresh_database(args.db, args.customers)
    env["DATABASE_CONN_MAX_AGE"] = "0"  # a new connection per request survives the restart
    batches = make_batches(args.events, args.customers)
    server = Server(env, port=free_port(), workers=2)
    acknowledged: set[str] = set()
    lock = threading.Lock()
    position = iter(range(len(batches)))
    errors = {"5xx or connection": 0}

    def client() -> None:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            for index in position:
                body = json.dumps(batches[index]).encode()
                for attempt in range(50):
                    try:
                        response = http.post(
                            "/v1/ingest", content=body, headers={"Content-Type": "application/json"}
                        )
                        if response.status_code == 200:
                            with lock:
                                acknowledged.update(e["transaction_id"] for e in batches[index])
                            break
                    except httpx.TransportError:
                        pass
                    with lock:
                        errors["5xx or connection"] += 1
                    time.sleep(min(2.0, 0.1 * (attempt + 1)))

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    log("restarting PostgreSQL...")
    restart_postgres()
    log("PostgreSQL is back.")
    for thread in threads:
        thread.join()
    server.stop()
    with psycopg.connect(database_url(args.db)) as conn:
        rows = conn.execute(
            "SELECT transaction_id, count(*) FROM usage_usageevent GROUP BY transaction_id"
        ).fetchall()
    stored = dict(rows)
    missing = [t for t in acknowledged if t not in stored]
    doubled = [t for t, n in stored.items() if n > 1]
    log(f"acknowledged transaction ids  {len(acknowledged):,}")
    log(f"stored transaction ids        {len(stored):,}")
    log(f"failed attempts retried       {errors['5xx or connection']:,}")
    log(f"acknowledged but missing      {len(missing):,}")
    log(f"stored more than once         {len(doubled):,}")
    return result_line(len(missing), len(doubled))


if __name__ == "__main__":
    sys.exit(main())
