"""Freshness: how long after an ingest the draft invoice, the usage API and the customer's alert
state show it (issue #26). Prints p50/p95 per view over N tries; the target is 5 s at p95.
Benchmarks print figures; they never fail on speed.

Each try creates a usage alert on one customer at its usage so far + 1 (and times how long the
new alert stays `evaluating`), ingests one event at t0, then polls, each from its own thread
every 0.1 s: the customer's draft invoice (its total), `/v1/usage` (the day's sum) and
`/v1/customer-alerts/get` (`in_alarm`); then archives the alert.

    .venv/bin/python bench/freshness.py                  # the embedded default, as `make run`
    .venv/bin/python bench/freshness.py --after-restart  # the first minute after a restart
    .venv/bin/python bench/freshness.py --base-url http://127.0.0.1:8000 --token TOKEN

Without --base-url it starts its own server the way `make run` does (migrate, load_demo, a
Celery worker with beat and 2 processes, runserver), on a temporary VAR_DIR: SQLite and the
filesystem queue; with DATABASE_URL and CELERY_BROKER_URL set, on a fresh PostgreSQL database
beside DATABASE_URL's (`<name>_freshness`) and that Redis (its queue is purged), with bin/web.
--after-restart stops the worker and the server, fills the queue the way a restart does
(`load_demo` as `make run` runs it, every periodic task overdue once, the refresh sweep's
fan-out, then --restart-rounds (15) rounds of follow-ups: a statement refresh of every contract
and an alert evaluation of every customer, about 250 requests on the demo, as the issue's
restart queued) and measures tries
for the first minute after starting them again, printing how long the queue took to drain.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import metronome

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
DEMO_TOKEN = "bc_demo_token_for_local_use_only"
PRICE = 100  # cents per event: the draft's total is 100 x the events so far
TARGET = 5.0
VIEWS = ("draft invoice", "usage API", "alert state")

PREFILL = """
from django.conf import settings
from billing_console.celery import app
from alerts.evaluation_queue import customers_evaluate_enqueue
from contracts.models import Contract
from customers.models import Customer
from invoicing.refresh_queue import contract_refresh_enqueue
from invoicing.tasks import contracts_refresh_statements
for entry in settings.CELERY_BEAT_SCHEDULE.values():  # beat runs every overdue entry at start
    app.send_task(entry["task"])
contracts_refresh_statements.run()  # the refresh sweep's fan-out, as if it ran before the stop
contracts = list(Contract.objects.values_list("pk", flat=True))
customers = list(Customer.objects.values_list("pk", flat=True))
asked = queued = 0
for _ in range(ROUNDS):  # follow-ups: each draft asked to refresh, each customer touched
    for pk in contracts:
        asked += 1
        queued += contract_refresh_enqueue(pk)
    for pk in customers:  # what alerts.hooks does when a write touching it commits
        asked += 1
        queued += len(customers_evaluate_enqueue([pk], "invoice"))
print(f"PREFILL follow-up requests {asked} (refreshes and alert evaluations), queued {queued}")
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The project's processes on their own data: web and worker, started and stopped by pid."""

    def __init__(self) -> None:
        self.var = Path(tempfile.mkdtemp(prefix="bench_freshness_"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.broker = os.environ.get("CELERY_BROKER_URL", "")
        self.postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
        self.env = {
            **os.environ, "VAR_DIR": str(self.var), "DEBUG": "1",
            "CELERY_TASK_ALWAYS_EAGER": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }  # fmt: skip
        if self.postgres:
            self.env["DATABASE_URL"] = self._fresh_database(os.environ["DATABASE_URL"])
        else:
            self.env.pop("DATABASE_URL", None)
            self.env.pop("CELERY_BROKER_URL", None)
            self.broker = ""
        self.procs: dict[str, subprocess.Popen] = {}

    @staticmethod
    def _fresh_database(url: str) -> str:
        import psycopg

        base, name = url.rsplit("/", 1)
        name = f"{name.split('?')[0] or 'billing'}_freshness"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{base}/{name}"

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env, check=True,
            capture_output=True, text=True,
        ).stdout  # fmt: skip

    def setup(self) -> None:
        self.manage("migrate", "--no-input", "-v0")
        self.manage("load_demo")
        if self.broker:
            self.manage(
                "shell", "-c", "from billing_console.celery import app; app.control.purge()"
            )

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.var / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def start(self) -> None:
        """As bin/serve: bin/worker (the default queue's worker with beat and 2 processes, the
        background queue's and the rollups queue's with one each), then the web server."""
        self._spawn("worker", [str(ROOT / "bin" / "worker")])
        if self.postgres:
            # bin/web, 2 processes of 2 threads
            web = ["env", "WEB_HOST=127.0.0.1", f"WEB_PORT={self.port}", "WEB_WORKERS=2",
                   str(ROOT / "bin" / "web")]  # fmt: skip
        else:
            web = [str(BIN / "python"), "manage.py", "runserver", "--noreload",
                   f"127.0.0.1:{self.port}"]  # fmt: skip
        self._spawn("web", web)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                import urllib.request

                urllib.request.urlopen(self.base_url + "/healthz", timeout=1)
                return
            except Exception as error:
                if getattr(error, "code", None):  # any HTTP answer: it is up
                    return
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()

    def queued(self) -> int:
        """Messages waiting in the queue (the filesystem folder, or the Redis list)."""
        if not self.broker:
            return sum(1 for f in os.listdir(self.var / "celery" / "queue") if f.endswith(".msg"))
        import redis

        client = redis.Redis.from_url(self.broker)
        return client.llen("celery") + client.llen("background")

    def cleanup(self) -> None:
        shutil.rmtree(self.var, ignore_errors=True)


class World:
    """One customer on a contract pricing one COUNT metric, made through the API."""

    def __init__(self, client: metronome.Metronome) -> None:
        self.client = client
        tag = uuid.uuid4().hex[:8]
        v1 = client.v1
        self.metric = v1.billable_metrics.create(
            name=f"freshness {tag}", event_type_filter={"in_values": [f"fresh_{tag}"]},
            aggregation_type="COUNT",
        ).data.id  # fmt: skip
        self.event_type = f"fresh_{tag}"
        product = v1.contracts.products.create(
            name=f"Freshness {tag}", type="USAGE", billable_metric_id=self.metric
        ).data.id
        card = v1.contracts.rate_cards.create(name=f"Freshness {tag}").data.id
        month = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        self.month = month
        v1.contracts.rate_cards.rates.add(
            rate_card_id=card, product_id=product, entitled=True, rate_type="FLAT",
            price=PRICE, starting_at=month - timedelta(days=40),
        )  # fmt: skip
        self.alias = f"fresh-{tag}"
        self.customer = v1.customers.create(
            name=f"Freshness {tag}", ingest_aliases=[self.alias]
        ).data.id
        v1.contracts.create(
            customer_id=self.customer, rate_card_id=card, starting_at=month,
            usage_statement_schedule={"frequency": "MONTHLY"},
        )  # fmt: skip
        self.events = 0

    def draft_total(self) -> float:
        drafts = self.client.v1.customers.invoices.list(customer_id=self.customer, status="DRAFT")
        return max((float(i.total) for i in drafts.data if i.type == "USAGE"), default=0.0)

    def usage(self) -> float:
        now = datetime.now(UTC)
        page = self.client.v1.usage.list(
            starting_on=self.month, ending_before=now.replace(hour=0, minute=0, second=0,
            microsecond=0) + timedelta(days=1), window_size="DAY", customer_ids=[self.customer],
            billable_metrics=[{"id": self.metric}],
        )  # fmt: skip
        return sum(float(row.value or 0) for row in page.data)

    def alert_status(self, alert_id: str) -> str | None:
        got = self.client.v1.customers.alerts.retrieve(alert_id=alert_id, customer_id=self.customer)
        return got.data.customer_status

    def ingest(self) -> None:
        self.events += 1
        self.client.v1.usage.ingest(usage=[{
            "transaction_id": uuid.uuid4().hex, "customer_id": self.alias,
            "event_type": self.event_type, "timestamp": datetime.now(UTC).isoformat(),
        }])  # fmt: skip


def wait_for(check, timeout: float) -> float | None:
    """Seconds until check() is true, polled every 0.1 s; None past `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if check():
                return time.monotonic() - start
        except metronome.APIError:
            pass
        time.sleep(0.1)
    return None


def one_try(world: World, timeout: float) -> dict[str, float | None]:
    alert = world.client.v1.alerts.create(
        alert_type="usage_threshold_reached", name=f"freshness {uuid.uuid4().hex[:6]}",
        threshold=world.events + 1, billable_metric_id=world.metric, customer_id=world.customer,
    ).data.id  # fmt: skip
    out: dict[str, float | None] = {
        "alert evaluated": wait_for(lambda: world.alert_status(alert) != "evaluating", timeout)
    }
    want = world.events + 1
    checks = {
        "draft invoice": lambda: world.draft_total() >= want * PRICE,
        "usage API": lambda: world.usage() >= want,
        "alert state": lambda: world.alert_status(alert) == "in_alarm",
    }
    world.ingest()
    threads = [
        threading.Thread(target=lambda k=k, c=c: out.__setitem__(k, wait_for(c, timeout)))
        for k, c in checks.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    world.client.v1.alerts.archive(id=alert)
    return out


def report(title: str, results: list[dict[str, float | None]]) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{title}: {len(results)} tries, load average {load}")
    for view in ("alert evaluated", *VIEWS):
        got = sorted(r[view] for r in results if r.get(view) is not None)
        missed = sum(1 for r in results if r.get(view) is None)
        if not got:
            print(f"  {view:16} no figure ({missed} timed out)")
            continue
        p95 = got[min(len(got) - 1, round(0.95 * (len(got) - 1)))]
        verdict = "met" if view not in VIEWS or (p95 <= TARGET and not missed) else "NOT met"
        print(f"  {view:16} p50 {statistics.median(got):5.2f} s  p95 {p95:5.2f} s  "
              f"max {got[-1]:5.2f} s  timed out {missed}"
              + (f"  (target p95 <= {TARGET:.0f} s: {verdict})" if view in VIEWS else ""))  # fmt: skip


def run_tries(world: World, tries: int, seconds: float | None, timeout: float) -> list:
    results, start = [], time.monotonic()
    while len(results) < tries and (seconds is None or time.monotonic() - start < seconds):
        result = one_try(world, timeout)
        results.append(result)
        figures = "  ".join(
            f"{k} {'-' if v is None else f'{v:.2f}'}" for k, v in result.items()
        )  # fmt: skip
        print(f"  try {len(results)} at {time.monotonic() - start:5.1f} s: {figures}", flush=True)
    return results


def watch_drain(stack: Stack, found: dict) -> None:
    """Records when the queue first stands empty after the restart."""
    start = time.monotonic()
    while time.monotonic() - start < 600 and stack.procs:
        if stack.queued() == 0:
            found["drained"] = time.monotonic() - start
            return
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=60.0, help="per view and try")
    parser.add_argument("--base-url", help="a running server (with --token) instead of our own")
    parser.add_argument("--token", default=DEMO_TOKEN)
    parser.add_argument("--after-restart", action="store_true")
    parser.add_argument(
        "--restart-rounds", type=int, default=15,
        help="--after-restart: follow-up requests per contract and customer (15: about 250)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the temporary VAR_DIR")
    args = parser.parse_args()
    if args.base_url:
        if args.after_restart:
            parser.error("--after-restart restarts our own server: not with --base-url")
        world = World(metronome.Metronome(bearer_token=args.token, base_url=args.base_url))
        report(f"{args.base_url}", run_tries(world, args.tries, None, args.timeout))
        return 0
    stack = Stack()
    where = "PostgreSQL + Redis" if stack.postgres and stack.broker else "embedded default"
    print(f"{where}: setting up in {stack.var} (migrate, load_demo) ...", flush=True)
    try:
        stack.setup()
        stack.start()
        client = metronome.Metronome(bearer_token=DEMO_TOKEN, base_url=stack.base_url)
        world = World(client)
        time.sleep(5)  # the worker's start-up work (beat's first ticks)
        if not args.after_restart:
            report(f"{where}, idle queue", run_tries(world, args.tries, None, args.timeout))
            return 0
        stack.stop()
        stack.manage("load_demo")  # what `make run` runs before serving again
        fill = f"ROUNDS = {args.restart_rounds}\n" + PREFILL
        for line in stack.manage("shell", "-c", fill).splitlines():
            if line.startswith("PREFILL"):
                print(line[8:])
        queued, drain = stack.queued(), {}
        print(f"queued at the restart: {queued} messages", flush=True)
        stack.start()
        threading.Thread(target=watch_drain, args=(stack, drain), daemon=True).start()
        results = run_tries(world, args.tries, 60.0, args.timeout)
        drained = drain.get("drained")
        print(f"queue of {queued} drained in " + (f"{drained:.1f} s" if drained else "> run"))
        report(f"{where}, first minute after a restart", results)
        return 0
    finally:
        stack.stop()
        if not args.keep:
            stack.cleanup()


if __name__ == "__main__":
    sys.exit(main())
