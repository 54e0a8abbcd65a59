"""The month-close benches' world (bench/invoicing.py, bench/scale.py): completion events of one
month copied straight into the events table, a token metric priced by model, and a contract for
every customer."""

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from random import Random

import psycopg
from _harness import ROOT, database_url

MONTH = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
MODELS = ("large", "mini", "vision")


def copy_events(
    db: str, count: int, customers: int, prefix: str = "b", random_ids: bool = False,
    period: tuple[datetime, datetime] = MONTH,
) -> float:  # fmt: skip
    """COPY `count` completion events of `period` (MONTH) for customers c0..c<customers> into
    `db` (transaction ids `prefix`0, `prefix`1, ..., or random 32-hex-digit ids like the UUIDs
    clients send), each received when it happened; returns the seconds it took."""
    rng = Random(11)
    span = int((period[1] - period[0]).total_seconds())
    start = time.perf_counter()
    with psycopg.connect(database_url(db)) as conn:
        with conn.cursor().copy(
            "COPY usage_usageevent (transaction_id, customer_id, event_type, timestamp, properties, received_at) FROM STDIN"
        ) as copy:
            for i in range(count):
                at = period[0] + timedelta(seconds=rng.randrange(span))
                props = {"model": rng.choice(MODELS), "tokens": rng.randint(1, 5000)}
                copy.write_row(
                    (
                        f"{rng.getrandbits(128):032x}" if random_ids else f"{prefix}{i}",
                        f"c{rng.randrange(customers)}",
                        "completion",
                        at,
                        json.dumps(props),
                        at,
                    )
                )
        conn.commit()
    return time.perf_counter() - start


def setup_catalog(customers: int) -> None:
    """A token metric and product priced by model, and a monthly contract for every customer
    (the project's services; Django set up)."""
    from contracts.services import contract_create
    from customers.models import Customer
    from pricing.services import product_create, rate_add, rate_card_create
    from usage.services import billable_metric_create

    metric = billable_metric_create(
        name="tokens", event_type_filter={"in_values": ["completion"]}, aggregation_type="SUM",
        aggregation_key="tokens", group_keys=[["model"]],
    )  # fmt: skip
    product = product_create(name="Tokens", type="USAGE", billable_metric=metric, pricing_group_key=["model"],
                             quantity_conversion={"conversion_factor": 1000, "operation": "DIVIDE"})  # fmt: skip
    card = rate_card_create(name="Bench")
    for model, price in zip(MODELS, ("0.5", "0.1", "2"), strict=True):
        rate_add(rate_card=card, product=product, starting_at=MONTH[0], rate_type="FLAT", price=price,
                 pricing_group_values={"model": model})  # fmt: skip
    for customer in Customer.objects.order_by("pk"):
        contract_create(customer=customer, data={
            "starting_at": MONTH[0].isoformat(), "rate_card_id": str(card.public_id),
            "usage_statement_schedule": {"frequency": "MONTHLY"},
        })  # fmt: skip


def copy_keys(db: str, since: datetime, until: datetime) -> int:
    """The dedupe keys of the events of `db` received in [since, until), as the daily rotation
    leaves them (usage.key_generations): one frozen generation per day, the last day's keys in
    the table ingest writes, and the key filter of the generations built; returns the keys."""
    sys.path.insert(0, str(ROOT))
    from usage.event_keys import KEY_SQL
    from usage.key_generations import filter_build, rotate

    keys = 0
    with psycopg.connect(database_url(db), autocommit=True) as conn:
        day = since
        while day < until:
            end = min(day + timedelta(days=1), until)
            keys += conn.execute(
                "INSERT INTO usage_eventkey (key, event_id, received_at) "
                f"SELECT {KEY_SQL.format('transaction_id')}, id, received_at "
                "FROM usage_usageevent WHERE received_at >= %s AND received_at < %s",
                [day, end],
            ).rowcount
            if end < until:
                with conn.transaction():
                    rotate(conn.cursor(), end)
            day = end
        with conn.transaction():
            filter_build(conn.cursor(), until)
    return keys
