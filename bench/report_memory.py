"""Memory of a large report build: 100,000 invoice line items to CSV, streamed.

Creates a fresh PostgreSQL database (or, with --sqlite, a fresh SQLite file), adds the line
items with bulk_create, then builds the invoice line items report twice in a fresh process:
for one customer holding a tenth of the lines, then for everyone. Peak memory of the two builds
is about the same when rows are streamed; it would grow tenfold if they were held. Prints the
figures (peak RSS sampled every 20 ms, tracemalloc's peak of Python allocations) and checks the
CSV's row count and total.

    .venv/bin/python bench/report_memory.py --lines 100000
"""

import argparse
import os
import subprocess
import sys
import tempfile

from _harness import PYTHON, ROOT, env_for, fresh_database, log

DB = "bc_hC_bench_reports"

CREATE = r"""
from datetime import UTC, datetime
from decimal import Decimal
from contracts.services import contract_create
from customers.models import Customer
from invoicing.models import Invoice, LineItem
from pricing.services import credit_type_get_default, product_create, rate_card_create

LINES, PER_INVOICE = {lines}, 2000
usd = credit_type_get_default()
product = product_create(name="Tokens", type="FIXED")
card = rate_card_create(name="Bench card")
customers = list(Customer.objects.order_by("pk")[:2])
contracts = [
    contract_create(customer=c, data={{"starting_at": "2026-01-01T00:00:00Z",
                                       "rate_card_id": str(card.public_id)}})
    for c in customers
]
month = 0
# the first customer gets a tenth of the lines, the second the rest
for which, target in ((0, LINES // 10), (1, LINES - LINES // 10)):
    made = 0
    while made < target:
        start = datetime(2000 + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        end = datetime(2000 + (month + 1) // 12, (month + 1) % 12 + 1, 1, tzinfo=UTC)
        month += 1
        invoice = Invoice.objects.create(
            customer=customers[which], contract=contracts[which], credit_type=usd,
            type="USAGE", status="FINALIZED", period_start=start, period_end=end, issued_at=end,
        )
        count = min(PER_INVOICE, target - made)
        LineItem.objects.bulk_create(
            [LineItem(invoice=invoice, position=i, type="USAGE", name=f"Tokens {{i % 7}}",
                      product=product, pricing_group_values={{"region": ("us", "eu")[i % 2]}},
                      starting_at=start, ending_before=end, quantity=Decimal(i % 50 + 1),
                      unit_price=Decimal("2.5"), total_unrounded=Decimal("2.5") * (i % 50 + 1),
                      total=(Decimal("2.5") * (i % 50 + 1)).quantize(Decimal(1)))
             for i in range(count)],
            batch_size=1000,
        )
        made += count
print("CUSTOMERS=" + ",".join(str(c.public_id) for c in customers))
print("LINES=" + str(LineItem.objects.count()))
"""

MEASURE = r"""
import gc, threading, time, tracemalloc
from decimal import Decimal
from pathlib import Path
import csv
from reports.models import ReportRun
from reports.services import report_file_path, report_run_build

def rss_kb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def measure(label, params):
    gc.collect()
    run = ReportRun.objects.create(dataset="invoice_line_items", params=params)
    base = rss_kb()
    peak = [base]
    stop = threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kb())
            time.sleep(0.02)
    sampler = threading.Thread(target=sample)
    sampler.start()
    tracemalloc.start()
    started = time.perf_counter()
    run = report_run_build(run_id=run.pk)
    seconds = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    stop.set(); sampler.join()
    assert run.status == "SUCCEEDED", run.error
    rows, total = 0, Decimal(0)
    with report_file_path(run).open(newline="") as f:
        for row in csv.DictReader(f):
            rows += 1
            total += Decimal(row["total"])
    assert rows == run.rows_written
    print(f"RESULT {{label}}: rows={{rows}} seconds={{seconds:.1f}} "
          f"rss_base_mb={{base/1024:.1f}} rss_peak_mb={{peak[0]/1024:.1f}} "
          f"rss_growth_mb={{(peak[0]-base)/1024:.1f}} tracemalloc_peak_mb={{traced_peak/2**20:.1f}} "
          f"file_mb={{run.file_size/2**20:.1f}} total_cents={{total}}")

measure("one customer (a tenth)", {{"customer_id": "{small}"}})
measure("everyone", {{}})
"""


def _shell(env: dict[str, str], script: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="a fresh SQLite file instead")
    parser.add_argument("--chunk-size", type=int, default=2000)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-reports-")
    if args.sqlite:
        env = {**env_for(DB), "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3"}
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        _shell(env, "from customers.services import customer_create\n"
                    "for i in range(2): customer_create(name=f'Customer {i}')\n")  # fmt: skip
    else:
        env, _token = fresh_database(DB, customers=2)
    env.update(REPORTS_DIR=f"{workdir}/reports", REPORT_CHUNK_SIZE=str(args.chunk_size))
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    log(f"{backend}: creating {args.lines:,} line items (bulk_create) ...")
    out = _shell(env, CREATE.format(lines=args.lines))
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    small = values["CUSTOMERS"].split(",")[0]
    log(f"created {int(values['LINES']):,} line items; building the reports in a fresh process")
    out = _shell(env, MEASURE.format(small=small))
    for line in out.splitlines():
        if line.startswith("RESULT"):
            log(line.removeprefix("RESULT "))
    log(f"chunk size {args.chunk_size}; files under {workdir}/reports")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    main()
