"""Fault run: SIGKILL the Celery worker in the middle of a month close and of webhook delivery.

(a) Month close. N contracts with usage over a closed month (October 2026) on a fresh PostgreSQL
database; a real worker on a Redis of our own runs the close: `contracts_refresh_statements`
(one draft per contract) and then `invoices_finalize_due`, which closes drafts in batches of 200,
one transaction each (so the default 1,000 contracts make five). The worker is SIGKILLed (with
its pool) in the middle of each (for the finalize: once 40% are final, inside a later batch), a
new worker started, and the task sent again as beat would on its next tick (twice at once for
the finalize: two overlapping closes). Then every contract must have
exactly one non-void USAGE invoice for the month, finalized, with the total computed here
independently from the raw events (SUM per customer and model x price, each line rounded
half-up to the cent), and invoice numbers unique and gapless.

(b) Webhook delivery. A local receiver verifies signatures, records every webhook-id and
sleeps a little per request; N events are published; the worker is SIGKILLed mid-delivery and
restarted with beat (the deliveries sweep re-enqueues what the dead worker held once its lease
runs out). Every event must be applied exactly once by the receiver, which dedupes by webhook-id;
raw redeliveries (same webhook-id) are reported separately.

    .venv/bin/python bench/fault_worker_kill.py --contracts 1000 --events 200000 --webhooks 200
    .venv/bin/python bench/fault_worker_kill.py --part webhooks --webhooks 20   # the CI version

Ends with `lost N, duplicated N` over both parts; exit code 1 unless both are 0.
"""

import argparse
import json
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

import psycopg
from _catalog import MODELS, MONTH, copy_events
from _faults import Celery, Receiver, Redis, django_run, fault_env, result_line, send_task, wait_for
from _harness import database_url, fresh_database, log

PRICES = {"large": Decimal("0.5"), "mini": Decimal("0.1"), "vision": Decimal("2")}  # cents / 1k
assert tuple(PRICES) == MODELS  # the models copy_events draws from

CLOSE_SETUP = """
from contracts.services import contract_create
from customers.models import Customer
from pricing.services import product_create, rate_add, rate_card_create
from usage.models import BillableMetric
from usage.rollups import rollups_backfill
from usage.services import billable_metric_create
from datetime import datetime, UTC
start = datetime(2026, 10, 1, tzinfo=UTC)
metric = billable_metric_create(name="tokens", event_type_filter={"in_values": ["completion"]},
    aggregation_type="SUM", aggregation_key="tokens", group_keys=[["model"]])
product = product_create(name="Tokens", type="USAGE", billable_metric=metric,
    pricing_group_key=["model"], quantity_conversion={"conversion_factor": 1000, "operation": "DIVIDE"})
card = rate_card_create(name="Fault run")
for model, price in %(prices)r.items():
    rate_add(rate_card=card, product=product, starting_at=start, rate_type="FLAT", price=price,
             pricing_group_values={"model": model})
for customer in Customer.objects.order_by("pk"):
    contract_create(customer=customer, data={"starting_at": start.isoformat(),
        "rate_card_id": str(card.public_id), "usage_statement_schedule": {"frequency": "MONTHLY"}})
for metric in BillableMetric.objects.all():
    rollups_backfill(metric=metric)
"""

WEBHOOK_SETUP = """
from webhooks.services import endpoint_create
print("SECRET=" + endpoint_create(url=%(url)r, event_types=["bench.*"]).secret)
"""

WEBHOOK_PUBLISH = """
from webhooks.services import event_publish
for i in range(%(count)d):
    event_publish("bench.fault", {"seq": i}, key=f"bench-fault:{i}")
"""


def expected_totals(db: str) -> dict[int, Decimal]:
    """Per customer pk: the month's total computed from the raw events, not by the services."""
    totals: dict[int, Decimal] = {}
    with psycopg.connect(database_url(db)) as conn:
        customers = dict(conn.execute("SELECT alias, customer_id FROM customers_ingestalias"))
        for pk in customers.values():
            totals[pk] = Decimal(0)
        rows = conn.execute(
            "SELECT customer_id, properties->>'model', sum((properties->>'tokens')::numeric) "
            "FROM usage_usageevent WHERE event_type = 'completion' "
            'AND "timestamp" >= %s AND "timestamp" < %s GROUP BY 1, 2',
            MONTH,
        ).fetchall()
    for alias, model, tokens in rows:
        line = (Decimal(tokens) / 1000 * PRICES[model]).quantize(Decimal(1), ROUND_HALF_UP)
        totals[customers[alias]] += line
    return totals


def month_invoices(db: str, status: str | None = None) -> int:
    sql = "SELECT count(*) FROM invoicing_invoice WHERE type = 'USAGE' AND period_start = %s"
    params: list = [MONTH[0]]
    if status:
        sql += " AND status = %s"
        params.append(status)
    with psycopg.connect(database_url(db)) as conn:
        return conn.execute(sql, params).fetchone()[0]


def queue_empty(broker_url: str) -> bool:
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        return client.llen("celery") == 0
    finally:
        client.close()


def run_close(db: str, contracts: int, events: int, timeout: float) -> tuple[int, int]:
    log(f"== month close: {contracts} contracts, {events:,} events in October 2026 ({db})")
    env, _token = fresh_database(db, contracts)
    copy_events(db, events, contracts, prefix="f")
    django_run(env, CLOSE_SETUP % {"prices": {k: str(v) for k, v in PRICES.items()}})
    redis = Redis()
    redis.start()
    env = fault_env(env, redis.url)
    worker = Celery(env)
    try:
        worker.start()
        started = time.monotonic()
        send_task(redis.url, "invoicing.tasks.contracts_refresh_statements")
        wait_for(lambda: month_invoices(db) >= contracts * 0.4, timeout)
        worker.kill()
        log(f"SIGKILL worker during statements refresh: {month_invoices(db)} of {contracts} drafts")
        worker.start()
        send_task(redis.url, "invoicing.tasks.contracts_refresh_statements")  # the next beat tick
        wait_for(lambda: month_invoices(db) >= contracts and queue_empty(redis.url), timeout)
        log(f"after a new worker and the next refresh: {month_invoices(db)} drafts")

        send_task(redis.url, "invoicing.tasks.invoices_finalize_due")
        wait_for(lambda: month_invoices(db, "FINALIZED") >= contracts * 0.4, timeout, 0.1)
        worker.kill()
        log(
            f"SIGKILL worker during invoices_finalize_due: {month_invoices(db, 'FINALIZED')} of "
            f"{contracts} finalized"
        )
        worker.start()
        for _ in range(2):  # the next beat tick, twice at once: two overlapping closes
            send_task(redis.url, "invoicing.tasks.invoices_finalize_due")
        wait_for(
            lambda: month_invoices(db, "FINALIZED") >= contracts and queue_empty(redis.url),
            timeout,
        )
        time.sleep(2)  # let the second close finish too
        log(f"month close done in {time.monotonic() - started:.1f} s")
    finally:
        worker.stop()
        worker.cleanup()
        redis.stop()
    return check_close(db, contracts)


def check_close(db: str, contracts: int) -> tuple[int, int]:
    expected = expected_totals(db)
    with psycopg.connect(database_url(db)) as conn:
        rows = conn.execute(
            "SELECT c.customer_id, i.status, i.total, i.number FROM contracts_contract c "
            "LEFT JOIN invoicing_invoice i ON i.contract_id = c.id AND i.type = 'USAGE' "
            "AND i.period_start = %s AND i.status <> 'VOID'",
            [MONTH[0]],
        ).fetchall()
    per_customer: dict[int, list] = {}
    for customer_id, status, total, number in rows:
        per_customer.setdefault(customer_id, [])
        if status is not None:
            per_customer[customer_id].append((status, total, number))
    missing = sum(1 for invoices in per_customer.values() if not invoices)
    extra = sum(max(len(invoices) - 1, 0) for invoices in per_customer.values())
    not_final = sum(1 for inv in per_customer.values() for s, _t, _n in inv if s != "FINALIZED")
    under = over = 0
    for customer_id, invoices in per_customer.items():
        invoiced = sum((Decimal(t) for _s, t, _n in invoices), Decimal(0))
        if invoiced < expected[customer_id]:
            under += 1
        elif invoiced > expected[customer_id]:
            over += 1
    numbers = [n for inv in per_customer.values() for _s, _t, n in inv if n]
    duplicate_numbers = len(numbers) - len(set(numbers))
    gapless = sorted(numbers) == [f"INV-{i:06d}" for i in range(1, len(numbers) + 1)]
    log(f"contracts                               {len(per_customer):>8}")
    log(f"usage invoices for October (non-void)   {len(rows) - missing:>8}")
    log(f"contracts without an invoice            {missing:>8}")
    log(f"contracts with more than one            {extra:>8}")
    log(f"invoices not finalized                  {not_final:>8}")
    log(f"totals matching the raw-event sum       {len(per_customer) - under - over:>8}")
    log(f"  billed less than the events (lost)    {under:>8}")
    log(f"  billed more than the events (double)  {over:>8}")
    log(f"duplicate invoice numbers               {duplicate_numbers:>8}")
    log(f"numbers gapless INV-000001..            {'yes' if gapless else 'NO':>8}")
    log(f"total billed                            {sum(expected.values()) / 100:>8,.2f} USD")
    lost = missing + not_final + under
    duplicated = extra + over + duplicate_numbers
    return lost, duplicated


def run_webhooks(db: str, count: int, timeout: float) -> tuple[int, int]:
    log(f"== webhook delivery: {count} events ({db})")
    env, _token = fresh_database(db, 1)
    receiver = Receiver(delay=0.1)
    redis = Redis()
    redis.start()
    # A short lease so the dead worker's deliveries are due again within seconds, not minutes.
    env = fault_env(env, redis.url, WEBHOOK_TIMEOUT_SECONDS="5", WEBHOOK_LEASE_SECONDS="5")
    out = django_run(env, WEBHOOK_SETUP % {"url": receiver.url})
    receiver.secret = next(x.split("=", 1)[1] for x in out.splitlines() if x.startswith("SECRET="))
    worker, beat = Celery(env), Celery(env, kind="beat")
    try:
        worker.start()
        started = time.monotonic()
        django_run(env, WEBHOOK_PUBLISH % {"count": count})
        wait_for(lambda: receiver.counts()[0] >= max(count // 3, 1), timeout, 0.05)
        worker.kill()
        log(f"SIGKILL worker during delivery: {receiver.counts()[1]} of {count} received so far")
        worker.start()
        beat.start()
        wait_for(lambda: open_deliveries(db) == 0 and receiver.counts()[1] >= count, timeout)
        log(f"all deliveries closed in {time.monotonic() - started:.1f} s")
    finally:
        beat.stop()
        worker.stop()
        beat.cleanup()
        worker.cleanup()
        redis.stop()
        receiver.stop()
    return check_webhooks(db, receiver, count)


def open_deliveries(db: str) -> int:
    with psycopg.connect(database_url(db)) as conn:
        return conn.execute(
            "SELECT count(*) FROM webhooks_delivery WHERE status IN ('pending', 'failed')"
        ).fetchone()[0]


def check_webhooks(db: str, receiver: Receiver, count: int) -> tuple[int, int]:
    with psycopg.connect(database_url(db)) as conn:
        published = conn.execute(
            "SELECT count(*) FROM webhooks_outboundevent WHERE type = 'bench.fault'"
        ).fetchone()[0]
        statuses = dict(
            conn.execute("SELECT status, count(*) FROM webhooks_delivery GROUP BY 1").fetchall()
        )
    raw, distinct = receiver.counts()
    applied_seqs = [payload["data"]["seq"] for payload in receiver.applied.values()]
    seqs = set(applied_seqs)
    lost = len(set(range(count)) - seqs)
    duplicated = len(applied_seqs) - len(seqs)  # one event applied under two webhook-ids
    log(f"events published                        {published:>8}")
    log(f"deliveries by status                    {json.dumps(statuses)}")
    log(f"requests received (raw)                 {raw:>8}")
    log(f"distinct webhook-ids received           {distinct:>8}")
    log(f"redelivered (deduped by webhook-id)     {raw - distinct:>8}")
    log(f"bad signatures                          {receiver.bad_signatures:>8}")
    log(f"events never received                   {lost:>8}")
    log(f"events applied twice                    {duplicated:>8}")
    return lost, duplicated


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=("close", "webhooks", "both"), default="both")
    parser.add_argument("--contracts", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--webhooks", type=int, default=200)
    parser.add_argument("--db", default="bc_bench_fault", help="database name prefix")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    lost = duplicated = 0
    if args.part in ("close", "both"):
        part = run_close(f"{args.db}_close", args.contracts, args.events, args.timeout)
        lost, duplicated = lost + part[0], duplicated + part[1]
    if args.part in ("webhooks", "both"):
        part = run_webhooks(f"{args.db}_webhooks", args.webhooks, args.timeout)
        lost, duplicated = lost + part[0], duplicated + part[1]
    return result_line(lost, duplicated)


if __name__ == "__main__":
    sys.exit(main())
