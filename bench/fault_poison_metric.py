"""Fault run: one customer's event poisons a SQL metric; the month close bills everyone else.

On a fresh PostgreSQL database: N contracts on one rate card whose usage product is priced by a
SQL billable metric, `SUM(CAST(CAST(properties.units AS TEXT) AS NUMERIC))`, which passes
validation (it is dry-run on no events). Every customer sends events with numeric `units` in
October 2026; one customer also sends `units: "lots"`, which PostgreSQL cannot cast. Then the
draft refresh and the month close run as beat runs them (in-process, eager tasks).

Every other contract's October statement must be finalized with its total equal to the sum
computed here from the events; the poisoned contract's draft must stay a draft with its error
recorded, and the metric must carry the error too.

    .venv/bin/python bench/fault_poison_metric.py --contracts 200

Ends with `finalized N, errored N, lost N`; exit code 1 unless lost is 0 and exactly one errored.
"""

import argparse
import json
import sys

from _faults import django_run
from _harness import fresh_database, log

SETUP = """
from datetime import datetime, timedelta, UTC
from contracts.services import contract_create
from customers.models import Customer
from pricing.services import product_create, rate_add, rate_card_create
from usage.services import billable_metric_create, usage_ingest
start = datetime(2026, 10, 1, tzinfo=UTC)
metric = billable_metric_create(name="units", sql="SELECT SUM(CAST(CAST(properties.units AS TEXT) AS NUMERIC)) FROM events WHERE event_type = 'job'")
product = product_create(name="Units", type="USAGE", billable_metric=metric)
card = rate_card_create(name="Poison run")
rate_add(rate_card=card, product=product, starting_at=start, rate_type="FLAT", price=3)
expected = {}
for i, customer in enumerate(Customer.objects.order_by("pk")):
    contract_create(customer=customer, data={"starting_at": start.isoformat(),
        "rate_card_id": str(card.public_id), "usage_statement_schedule": {"frequency": "MONTHLY"}})
    events = [{"transaction_id": f"c{i}-{n}", "customer_id": f"c{i}", "event_type": "job",
               "timestamp": (start + timedelta(days=n)).isoformat(), "properties": {"units": n + i %% 7}}
              for n in range(5)]
    if i == %(poisoned)d:
        events.append({"transaction_id": f"c{i}-poison", "customer_id": f"c{i}", "event_type": "job",
                       "timestamp": (start + timedelta(days=9)).isoformat(), "properties": {"units": "lots"}})
    usage_ingest(events=events, now=start + timedelta(days=9, minutes=1))
    expected[str(customer.public_id)] = sum(3 * (n + i %% 7) for n in range(5))
import json
print("EXPECTED=" + json.dumps(expected))
"""

CLOSE = """
from datetime import datetime, UTC
from unittest import mock
from invoicing.tasks import contracts_refresh_statements, invoices_finalize_due
with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 11, 3, tzinfo=UTC)):
    contracts_refresh_statements()
    invoices_finalize_due()
from invoicing.models import Invoice
from usage.models import BillableMetric
rows = [(str(i.customer.public_id), i.status, str(i.total), i.error)
        for i in Invoice.objects.filter(type="USAGE", period_start=datetime(2026, 10, 1, tzinfo=UTC))
        .exclude(status="VOID").select_related("customer")]
import json
print("ROWS=" + json.dumps(rows))
print("METRIC_ERROR=" + json.dumps(BillableMetric.objects.get(name="units").error))
"""


def _value(out: str, key: str):
    return json.loads(
        next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith(key + "="))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=200)
    args = parser.parse_args()
    env, _token = fresh_database("bc_fault_poison", args.contracts)
    poisoned = args.contracts // 2
    log(f"setting up {args.contracts} contracts, customer c{poisoned} poisoned")
    expected = _value(django_run(env, SETUP % {"poisoned": poisoned}), "EXPECTED")
    log("refresh and month close")
    out = django_run(env, CLOSE)
    rows, metric_error = _value(out, "ROWS"), _value(out, "METRIC_ERROR")
    finalized = errored = wrong = 0
    seen = set()
    for customer_id, status, total, error in rows:
        seen.add(customer_id)
        if status == "FINALIZED" and float(total) == expected[customer_id] and not error:
            finalized += 1
        elif status == "DRAFT" and error:
            errored += 1
            log(f"errored draft: {error}")
        else:
            wrong += 1
            log(f"unexpected: {customer_id} {status} {total} (expected {expected[customer_id]})")
    lost = len(set(expected) - seen) + wrong
    log(f"metric error: {metric_error}")
    print(f"finalized {finalized}, errored {errored}, lost {lost}")
    return 0 if lost == 0 and errored == 1 and metric_error else 1


if __name__ == "__main__":
    sys.exit(main())
