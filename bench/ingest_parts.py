"""What each part of the ingest statement costs PostgreSQL (issue #26 item 8): the statement the
API runs (usage.ingest, INGEST_OPEN_SQL) against the same statement cut down part by part, and a
COPY of the same rows, each on the same 100-event bodies from one connection.

    .venv/bin/python bench/ingest_parts.py --events 100000 --rounds 3

Variants, each adding one part to the one above:
  read       the body read into rows (jsonb_to_recordset, first of each transaction id), nothing stored
  event row  + the event rows inserted
  dedupe key + the dedupe keys claimed (ON CONFLICT DO NOTHING), events stored only for new keys
  pending    + the rollup queue row (the statement the API runs)
and COPY of the same events into the events table (no dedupe key, no queue row).

For each it prints the wall time and the CPU time of the PostgreSQL backend (read from /proc, so
the database must run on this machine) per event; the tables are emptied before each variant, so
each starts from the same state. Transaction ids are random 32 hex digits, as clients' UUIDs.
Benchmarks print figures; they never fail on speed.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime

import psycopg
from _harness import ROOT, database_url, fresh_database, log, make_batches

DB = "bc_bench_ingest_parts"
TABLES = "usage_usageevent, usage_eventkey, usage_pendingrollup"


def variants() -> dict[str, str]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_console.settings")
    import django

    django.setup()
    from usage.services import INGEST_OPEN_SQL

    full = INGEST_OPEN_SQL
    read_end = full.index("), keys AS (")
    read = full[:read_end] + ")\nSELECT count(*) FROM input"
    event_row = (
        full[:read_end]
        + """), stored AS (
    INSERT INTO usage_usageevent (id, transaction_id, customer_id, event_type, "timestamp", properties, received_at)
    SELECT i.event_id, i.transaction_id, i.customer_id, i.event_type, i."timestamp",
           coalesce(nullif(i.properties, 'null'::jsonb), '{}'::jsonb), %(now)s
    FROM input i
    RETURNING id
)
SELECT count(*) FROM stored"""
    )
    keys = full[: full.index("), pending AS (")] + ")\nSELECT count(*) FROM stored"
    return {"read": read, "event row": event_row, "dedupe key": keys, "pending": full}


def backend_cpu(conn: psycopg.Connection) -> float:
    """CPU seconds (user + system) the connection's backend has used."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_statement(conn: psycopg.Connection, sql: str, bodies: list[str]) -> tuple[float, float]:
    conn.execute(f"TRUNCATE {TABLES}")
    conn.execute("CHECKPOINT")
    cpu, started = backend_cpu(conn), time.perf_counter()
    for body in bodies:
        conn.execute(
            sql, {"events": body, "now": datetime.now(UTC), "covered": 0, "maybe": []}, prepare=True
        )
    return time.perf_counter() - started, backend_cpu(conn) - cpu


def run_copy(conn: psycopg.Connection, batches: list[list[dict]]) -> tuple[float, float]:
    conn.execute(f"TRUNCATE {TABLES}")
    conn.execute("CHECKPOINT")
    cpu, started = backend_cpu(conn), time.perf_counter()
    columns = "transaction_id, customer_id, event_type, timestamp, properties, received_at"
    now = datetime.now(UTC)
    for batch in batches:  # one COPY per 100 events, as the API stores one body per statement
        with conn.cursor().copy(f"COPY usage_usageevent ({columns}) FROM STDIN") as copy:
            for e in batch:
                copy.write_row((e["transaction_id"], e["customer_id"], e["event_type"],
                                e["timestamp"], json.dumps(e["properties"]), now))  # fmt: skip
    return time.perf_counter() - started, backend_cpu(conn) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    log(f"Setting up {DB}...")
    env, _token = fresh_database(DB, 10)
    os.environ.update(env)
    statements = variants()
    batches = make_batches(args.events, 1000, duplicate_share=0, random_ids=True)
    bodies = [json.dumps(batch, separators=(",", ":")) for batch in batches]
    results: dict[str, list[tuple[float, float]]] = {}
    with psycopg.connect(database_url(DB), autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")  # as the settings do
        run_statement(conn, statements["pending"], bodies[:50])  # warm: plans, caches
        for round_ in range(1, args.rounds + 1):
            for name, sql in statements.items():
                results.setdefault(name, []).append(run_statement(conn, sql, bodies))
            results.setdefault("COPY", []).append(run_copy(conn, batches))
            log(f"round {round_}: " + ", ".join(
                f"{name} {r[-1][1] / args.events * 1e6:.1f}" for name, r in results.items()
            ) + " µs of PostgreSQL CPU per event")  # fmt: skip
    log(f"\n{'variant':<12} {'wall µs/event':>14} {'PG CPU µs/event':>16} {'this part (CPU)':>16}")
    previous = 0.0
    for name, runs in results.items():
        wall = sorted(r[0] for r in runs)[len(runs) // 2] / args.events * 1e6
        cpu = sorted(r[1] for r in runs)[len(runs) // 2] / args.events * 1e6
        part = "" if name == "COPY" else f"{cpu - previous:+.1f}"
        log(f"{name:<12} {wall:>14.1f} {cpu:>16.1f} {part:>16}")
        previous = cpu if name != "COPY" else previous
    log(f"(medians of {args.rounds} rounds of {args.events:,} events in 100-event statements)")


if __name__ == "__main__":
    main()
