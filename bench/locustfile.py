"""The load run's traffic (run by bench/load.py; also usable on its own):

    LOAD_API_TOKEN=... .venv/bin/locust -f bench/locustfile.py --host http://127.0.0.1:8000

Two modes:

- At a fixed rate (LOAD_INGEST_RATE events/s and LOAD_READ_RATE reads/s set, as bench/load.py
  does by default): ingest users send 100-event batches at the given rate and reader users the
  reads at theirs (usage queries 25%, invoice list 20% and retrieve 17.5%, console pages
  customer, invoice and contract 12.5% each), each user on a constant-throughput clock. The
  latencies are those a customer sees while ingest runs at that rate: the budget run.
- Saturation (neither set): every user picks a request by weight with no think time, so the
  mix is the weights whatever the latencies: ingest batches 60%, usage queries 10%, invoice
  list/retrieve 15%, console pages (customer, invoice, contract; logged in) 15%.

Ids come from the API at test start.
"""

import os
import random
import uuid
from datetime import UTC, datetime, timedelta

import requests
from locust import HttpUser, constant_throughput, events, task
from locust.clients import HttpSession

TOKEN = os.environ.get("LOAD_API_TOKEN", "bc_demo_token_for_local_use_only")
CONSOLE_USER = os.environ.get("LOAD_CONSOLE_USER", "demo")
CONSOLE_PASSWORD = os.environ.get("LOAD_CONSOLE_PASSWORD", "demo")
MODELS = ("atlas-large", "atlas-mini", "atlas-vision")
WORLD: dict[str, list] = {}
INGEST_RATE = float(os.environ.get("LOAD_INGEST_RATE") or 0)  # events/s, 0: saturation mode
READ_RATE = float(os.environ.get("LOAD_READ_RATE") or 0)  # reads/s
INGEST_USERS = int(os.environ.get("LOAD_INGEST_USERS") or 4)
READ_USERS = int(os.environ.get("LOAD_READ_USERS") or 6)


@events.test_start.add_listener
def discover(environment, **kwargs) -> None:
    """Customers (with their aliases), invoices and contracts to read during the run."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {TOKEN}"
    base = environment.host
    customers = http.get(f"{base}/v1/customers", params={"limit": 100}, timeout=30).json()["data"]
    WORLD["customers"] = [
        (c["id"], c["ingest_aliases"][0]) for c in customers if c["ingest_aliases"]
    ]
    WORLD["invoices"], WORLD["contracts"] = [], []
    for customer_id, _alias in WORLD["customers"]:
        invoices = http.get(f"{base}/v1/customers/{customer_id}/invoices", timeout=30).json()
        WORLD["invoices"] += [(customer_id, i["id"]) for i in invoices["data"]]
        contracts = http.post(
            f"{base}/v2/contracts/list", json={"customer_id": customer_id}, timeout=30
        ).json()
        WORLD["contracts"] += [c["id"] for c in contracts["data"]]
    if not (WORLD["customers"] and WORLD["invoices"] and WORLD["contracts"]):
        raise RuntimeError(f"the load run needs customers, invoices and contracts: {WORLD}")


class Reads(HttpUser):
    """The read requests: the API's (bearer token) and the console's (a logged-in session)."""

    abstract = True

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {TOKEN}"
        # The console is a browser: its own cookie jar, logged in once.
        self.console = HttpSession(
            base_url=self.host, request_event=self.environment.events.request, user=self
        )
        self.console.get("/login/", name="console login")
        self.console.post(
            "/login/",
            data={"username": CONSOLE_USER, "password": CONSOLE_PASSWORD,
                  "csrfmiddlewaretoken": self.console.cookies.get("csrftoken", "")},
            name="console login",
        )  # fmt: skip

    @task(10)
    def usage(self) -> None:
        customer_id, _alias = random.choice(WORLD["customers"])
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.client.post(
            "/v1/usage",
            json={"customer_ids": [customer_id], "window_size": "DAY",
                  "starting_on": (today - timedelta(days=7)).isoformat(),
                  "ending_before": today.isoformat()},
            name="POST /v1/usage (7 days, all metrics)",
        )  # fmt: skip

    @task(8)
    def invoice_list(self) -> None:
        customer_id, _alias = random.choice(WORLD["customers"])
        self.client.get(f"/v1/customers/{customer_id}/invoices", name="GET invoices (list)")

    @task(7)
    def invoice_retrieve(self) -> None:
        customer_id, invoice_id = random.choice(WORLD["invoices"])
        self.client.get(
            f"/v1/customers/{customer_id}/invoices/{invoice_id}", name="GET invoice (retrieve)"
        )

    @task(5)
    def console_customer(self) -> None:
        customer_id, _alias = random.choice(WORLD["customers"])
        self.page(f"/customers/{customer_id}/", "console customer page")

    @task(5)
    def console_invoice(self) -> None:
        _customer_id, invoice_id = random.choice(WORLD["invoices"])
        self.page(f"/invoices/{invoice_id}/", "console invoice page")

    @task(5)
    def console_contract(self) -> None:
        self.page(f"/contracts/{random.choice(WORLD['contracts'])}/", "console contract page")

    def page(self, url: str, name: str) -> None:
        """A console page counts only as a 200 (a redirect to the login page is a failure)."""
        with self.console.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")


class Ingest(HttpUser):
    abstract = True

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {TOKEN}"

    @task(60)
    def ingest(self) -> None:
        _customer_id, alias = random.choice(WORLD["customers"])
        now = datetime.now(UTC)
        batch = [{
            "transaction_id": str(uuid.uuid4()), "customer_id": alias, "event_type": "completion",
            "timestamp": (now - timedelta(seconds=random.randint(1, 3600))).isoformat(),
            "properties": {"model": random.choice(MODELS), "input_tokens": random.randint(2_000, 60_000),
                           "output_tokens": random.randint(500, 15_000)},
        } for _ in range(100)]  # fmt: skip
        self.client.post("/v1/ingest", json=batch, name="POST /v1/ingest (100 events)")


if INGEST_RATE or READ_RATE:

    class Ingester(Ingest):
        """INGEST_USERS users sending INGEST_RATE events/s between them."""

        fixed_count = INGEST_USERS
        wait_time = constant_throughput(INGEST_RATE / 100 / INGEST_USERS)

    class Reader(Reads):
        """READ_USERS users sending READ_RATE reads/s between them."""

        fixed_count = READ_USERS
        wait_time = constant_throughput(READ_RATE / READ_USERS)

else:

    class BillingUser(Reads, Ingest):
        """Saturation: every request by weight, no think time."""

        def on_start(self) -> None:
            Reads.on_start(self)
