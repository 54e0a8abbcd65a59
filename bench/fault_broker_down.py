"""Fault run: the broker goes away while ingest goes on.

A fresh PostgreSQL database with N customers, each on a contract with spend threshold billing
(a charge whenever outstanding usage spend reaches the threshold), one usage alert over every
customer, and a webhook endpoint (a local receiver that verifies signatures and dedupes by
webhook-id) for the alerts and threshold notifications. bin/web serves the API, a Celery worker
and beat run on a Redis of our own. Clients ingest each customer's calls in 100-event batches,
retrying failures as the SDK does. At 30% of the batches the Redis process is SIGKILLed; at 65%
(and at least --outage seconds later) it is started again, empty: every message that was queued
or held by the worker is gone. Ingest must go on (an enqueue that fails is logged, never a 500).

After ingest ends, the safety nets that beat runs every 15 min (alerts-sweep) and 5 min
(thresholds-sweep) are sent at once instead of waiting for them; the deliveries sweep runs on
its 15 s beat. Then, from the run's own counts:
- every acknowledged event is stored exactly once;
- every customer whose stored usage reached the alert threshold (counted here in SQL) got
  exactly one alert notification, and no other customer got one;
- every contract's threshold charges add up to no more than its usage spend (calls x price,
  counted here), what is left outstanding is below the threshold (no crossing left uncharged),
  each charge has one invoice and its notification was received once.

    .venv/bin/python bench/fault_broker_down.py --customers 40 --outage 15
"""

import argparse
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random

import httpx
import psycopg
from _faults import (
    Celery,
    Receiver,
    Redis,
    django_run,
    fault_env,
    free_port,
    result_line,
    send_task,
    wait_for,
)
from _harness import Server, database_url, fresh_database, log

PRICE = 5  # cents per call
SPEND_THRESHOLD = 1000  # cents: a charge every 200 calls of outstanding spend
ALERT_THRESHOLD = 300  # calls
NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)

SETUP = """
from alerts.services import alert_create
from contracts.services import contract_create
from customers.models import Customer
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create
from webhooks.services import endpoint_create
from datetime import datetime, UTC
start = datetime(2026, 11, 1, tzinfo=UTC)
metric = billable_metric_create(name="calls", event_type_filter={"in_values": ["call"]},
                                aggregation_type="COUNT")
product = product_create(name="Calls", type="USAGE", billable_metric=metric)
fixed = product_create(name="Threshold charge", type="FIXED")
card = rate_card_create(name="Fault run")
rate_add(rate_card=card, product=product, starting_at=start, rate_type="FLAT", price=%(price)d)
for customer in Customer.objects.order_by("pk"):
    contract_create(customer=customer, data={
        "starting_at": start.isoformat(), "rate_card_id": str(card.public_id),
        "usage_statement_schedule": {"frequency": "MONTHLY"},
        "spend_threshold_configuration": {
            "commit": {"product_id": str(fixed.public_id), "name": "Threshold charge"},
            "is_enabled": True, "payment_gate_config": {"payment_gate_type": "NONE"},
            "threshold_amount": %(spend)d}})
alert_create(data={"alert_type": "usage_threshold_reached", "name": "Calls",
                   "billable_metric_id": str(metric.public_id), "threshold": %(alert)d})
endpoint = endpoint_create(url=%(url)r, event_types=["alerts.*", "payment_gate.*"])
print("SECRET=" + endpoint.secret)
"""


def make_batches(customers: int, seed: int = 5) -> list[list[dict]]:
    """Each customer's calls in 100-event batches (a client batches its own events), the
    batches of all customers interleaved at random so crossings happen all through the run."""
    rng = Random(seed)
    now = datetime.now(UTC)
    batches = []
    for c in range(customers):
        calls = rng.choice((100, 200, 300, 400, 600, 900, 1200))  # some never reach an alarm
        for start in range(0, calls, 100):
            batches.append([{
                "transaction_id": f"c{c}-{i}", "customer_id": f"c{c}", "event_type": "call",
                "timestamp": (now - timedelta(seconds=rng.randint(60, 3600))).isoformat(),
                "properties": {"endpoint": "/v1/chat"},
            } for i in range(start, start + 100)])  # fmt: skip
    rng.shuffle(batches)
    return batches


class Ingest:
    """Clients sending the batches with retries; records what was acknowledged and latencies."""

    def __init__(self, url: str, token: str, batches: list[list[dict]], clients: int) -> None:
        self.url, self.token, self.batches = url, token, batches
        self.acknowledged: set[str] = set()
        self.done = 0
        self.failed_attempts = 0
        self.latencies: dict[str, list[float]] = {"before": [], "outage": [], "after": []}
        self.phase = "before"
        self.lock = threading.Lock()
        self.position = iter(range(len(batches)))
        self.threads = [threading.Thread(target=self.client) for _ in range(clients)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def client(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        with httpx.Client(base_url=self.url, headers=headers, timeout=30) as http:
            for index in self.position:
                body = json.dumps(self.batches[index]).encode()
                for attempt in range(50):
                    started = time.perf_counter()
                    try:
                        response = http.post("/v1/ingest", content=body)
                        if response.status_code == 200:
                            with self.lock:
                                self.latencies[self.phase].append(time.perf_counter() - started)
                                self.acknowledged.update(
                                    e["transaction_id"] for e in self.batches[index]
                                )
                                self.done += 1
                            break
                    except httpx.TransportError:
                        pass
                    with self.lock:
                        self.failed_attempts += 1
                    time.sleep(min(2.0, 0.1 * (attempt + 1)))


def quantiles(values: list[float]) -> str:
    if not values:
        return "no requests"
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"{len(values):>5} batches  p50 {p50:6.0f} ms  p99 {p99:6.0f} ms  max {ordered[-1] * 1000:6.0f} ms"


def settled(db: str, redis: Redis, receiver: Receiver) -> bool:
    """Nothing queued, no open delivery, and the receiver heard of every published event."""
    import redis as redis_client

    client = redis_client.Redis.from_url(redis.url)
    try:
        queued = client.llen("celery") + client.hlen("unacked")
    finally:
        client.close()
    with psycopg.connect(database_url(db)) as conn:
        open_, published = conn.execute(
            "SELECT (SELECT count(*) FROM webhooks_delivery WHERE status IN ('pending','failed')),"
            " (SELECT count(*) FROM webhooks_delivery)"
        ).fetchone()
    return queued == 0 and open_ == 0 and receiver.counts()[1] >= published


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--outage", type=float, default=15, help="minimum seconds without Redis")
    parser.add_argument("--db", default="bc_bench_fault_broker")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    db = args.db

    log(f"== broker outage under ingest: {args.customers} customers ({db})")
    env, token = fresh_database(db, args.customers)
    receiver = Receiver(delay=0.01)
    redis = Redis()
    redis.start()
    env = fault_env(env, redis.url, WEBHOOK_TIMEOUT_SECONDS="5", WEBHOOK_LEASE_SECONDS="5")
    setup_env = {**env, "CELERY_TASK_ALWAYS_EAGER": "1"}  # setup's own evaluations run inline
    out = django_run(
        setup_env,
        SETUP % {"price": PRICE, "spend": SPEND_THRESHOLD, "alert": ALERT_THRESHOLD, "url": receiver.url},
    )  # fmt: skip
    receiver.secret = next(x.split("=", 1)[1] for x in out.splitlines() if x.startswith("SECRET="))
    batches = make_batches(args.customers)
    worker, beat = Celery(env), Celery(env, kind="beat")
    server = None
    server_log = tempfile.TemporaryFile("w+")
    try:
        worker.start()
        beat.start()
        server_env = {**env, "DATABASE_CONN_MAX_AGE": "0"}
        server = Server(server_env, port=free_port(), workers=2, log_file=server_log)
        ingest = Ingest(server.url, token, batches, args.clients)
        started = time.monotonic()
        ingest.start()
        wait_for(lambda: ingest.done >= len(batches) * 0.3, args.timeout, 0.05)
        redis.stop()
        ingest.phase = "outage"
        down_at = time.monotonic()
        log(f"Redis killed at {ingest.done} of {len(batches)} batches acknowledged")
        wait_for(
            lambda: ingest.done >= len(batches) * 0.65 and time.monotonic() - down_at >= args.outage,
            args.timeout, 0.05,
        )  # fmt: skip
        redis.start()
        ingest.phase = "after"
        log(
            f"Redis back (empty) after {time.monotonic() - down_at:.1f} s, at {ingest.done} of "
            f"{len(batches)} batches"
        )
        ingest.join()
        log(f"ingest finished in {time.monotonic() - started:.1f} s")
        for phase, values in ingest.latencies.items():
            log(f"  ingest latency {phase:<7} {quantiles(values)}")
        # The beat's safety nets (every 15 and 5 min), sent now rather than waited for.
        send_task(redis.url, "alerts.tasks.alerts_sweep")
        send_task(redis.url, "invoicing.tasks.thresholds_sweep")
        time.sleep(3)
        ok = wait_for(lambda: settled(db, redis, receiver), args.timeout, 1)
        log(f"caught up in {time.monotonic() - started:.1f} s{'' if ok else ' (TIMED OUT)'}")
        if not ok:
            for process in (worker, beat):
                log(f"-- last lines of the {process.kind}'s log:\n{process.log_tail()}")
    finally:
        if server is not None:
            server.stop()
        server_log.seek(0)
        refused = server_log.read().count("could not enqueue")
        server_log.close()
        log(f"enqueues refused during the outage (logged by the web tier, not a 500): {refused}")
        beat.stop()
        worker.stop()
        beat.cleanup()
        worker.cleanup()
        redis.stop()
        receiver.stop()
    return check(db, ingest, receiver)


def check(db: str, ingest: Ingest, receiver: Receiver) -> int:
    with psycopg.connect(database_url(db)) as conn:
        stored = dict(
            conn.execute(
                "SELECT transaction_id, count(*) FROM usage_usageevent GROUP BY 1"
            ).fetchall()
        )
        customers = conn.execute(
            "SELECT a.alias, c.id, c.public_id::text FROM customers_ingestalias a "
            "JOIN customers_customer c ON c.id = a.customer_id"
        ).fetchall()
        calls = dict(
            conn.execute(
                "SELECT customer_id, count(*) FROM usage_usageevent "
                "WHERE event_type = 'call' AND \"timestamp\" >= %s GROUP BY 1",
                [NOVEMBER],
            ).fetchall()
        )
        in_alarm = {
            row[0]
            for row in conn.execute(
                "SELECT customer_id FROM alerts_customeralert WHERE status = 'in_alarm'"
            )
        }
        charges = conn.execute(
            "SELECT c.customer_id, t.sequence, t.amount, "
            "(SELECT count(*) FROM invoicing_invoice i WHERE i.public_id = t.invoice_public_id "
            " AND i.status <> 'VOID') FROM contracts_thresholdcharge t "
            "JOIN contracts_contract c ON c.id = t.contract_id"
        ).fetchall()
    # 1. ingest
    missing = [t for t in ingest.acknowledged if t not in stored]
    doubled = [t for t, n in stored.items() if n > 1]
    log(f"acknowledged events                     {len(ingest.acknowledged):>8}")
    log(f"stored events (distinct ids)            {len(stored):>8}")
    log(f"failed attempts retried by clients      {ingest.failed_attempts:>8}")
    log(f"acknowledged but not stored             {len(missing):>8}")
    log(f"stored more than once                   {len(doubled):>8}")
    # 2. alerts: one notification per customer whose usage reached the threshold
    notified: Counter[str] = Counter()
    triggers: Counter[str] = Counter()
    charge_notices: Counter[tuple[str, int]] = Counter()
    for payload in receiver.applied.values():
        if payload["type"] == "alerts.usage_threshold_reached":
            notified[payload["data"]["customer_id"]] += 1
            triggers[payload["data"]["triggered_by"]] += 1
        elif payload["type"] == "payment_gate.threshold_reached":
            charge_notices[(payload["data"]["customer_id"], payload["data"]["sequence"])] += 1
    by_pk = {pk: public for _alias, pk, public in customers}
    expected = {
        public for alias, _pk, public in customers if calls.get(alias, 0) >= ALERT_THRESHOLD
    }
    alarms_lost = len(expected - set(notified))
    alarms_extra = sum(n - 1 for n in notified.values()) + len(set(notified) - expected)
    log(f"customers whose usage reached the alert {len(expected):>8}")
    log(f"alert states in_alarm                   {len(in_alarm):>8}")
    log(f"alert notifications received (distinct) {sum(notified.values()):>8}")
    log(f"  raised by (evaluation trigger)        {json.dumps(dict(triggers))}")
    log(f"  alarms never notified                 {alarms_lost:>8}")
    log(f"  extra notifications                   {alarms_extra:>8}")
    # 3. threshold billing: charges within spend, nothing uncharged, one invoice and notice each
    charged: Counter[str] = Counter()
    no_invoice = extra_invoices = 0
    for customer_pk, _sequence, amount, invoices in charges:
        charged[by_pk[customer_pk]] += Decimal(amount)
        no_invoice += invoices == 0
        extra_invoices += max(invoices - 1, 0)
    uncharged = overcharged = 0
    for alias, _pk, public in customers:
        spend = Decimal(calls.get(alias, 0) * PRICE)
        outstanding = spend - charged[public]
        uncharged += outstanding >= SPEND_THRESHOLD
        overcharged += outstanding < 0
    charge_keys = {(by_pk[c], s) for c, s, _a, _i in charges}
    notices_lost = len(charge_keys - set(charge_notices))
    notices_extra = sum(n - 1 for n in charge_notices.values()) + len(
        set(charge_notices) - charge_keys
    )
    log(f"threshold charges                       {len(charges):>8}")
    log(f"  contracts left with a crossing uncharged {uncharged:>5}")
    log(f"  contracts charged beyond their spend  {overcharged:>8}")
    log(f"  charges without an invoice            {no_invoice:>8}")
    log(f"  charges with more than one invoice    {extra_invoices:>8}")
    log(f"  charge notifications never received   {notices_lost:>8}")
    log(f"  extra charge notifications            {notices_extra:>8}")
    raw, distinct = receiver.counts()
    log(f"webhooks received raw / distinct ids    {raw:>8} / {distinct}")
    log(f"redelivered (deduped by webhook-id)     {raw - distinct:>8}")
    log(f"bad signatures                          {receiver.bad_signatures:>8}")
    lost = len(missing) + alarms_lost + uncharged + notices_lost + no_invoice
    duplicated = len(doubled) + alarms_extra + overcharged + notices_extra + extra_invoices
    return result_line(lost, duplicated)


if __name__ == "__main__":
    sys.exit(main())
