"""A billed world for report and export tests: Acme's January invoice finalized (4 calls at
250 cents: 1000), February's a draft (2 calls: 500); a prepaid commit of 100,000 cents."""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from billing_console.lib.periods import Period
from invoicing.models import Invoice
from invoicing.services import invoice_compute_usage, invoice_finalize
from invoicing.tests.factories import FEB, JAN, MAR, World, priced_world, send_calls
from pricing.services import product_create


@dataclass
class Billed:
    world: World
    january: Invoice
    february: Invoice


def billed_world(*, with_commit: bool = False) -> Billed:
    extra = None
    if with_commit:
        commit_product = product_create(name="Prepaid commit", type="FIXED")
        extra = {
            "commits": [
                {
                    "type": "PREPAID",
                    "product_id": str(commit_product.public_id),
                    "name": "Annual commit",
                    "access_schedule": {
                        "schedule_items": [
                            {
                                "amount": 100_000,
                                "starting_at": "2026-01-01T00:00:00Z",
                                "ending_before": "2027-01-01T00:00:00Z",
                            }
                        ]
                    },
                }
            ]
        }
    world = priced_world(price=250, contract_extra=extra)
    send_calls(4, datetime(2026, 1, 5, tzinfo=UTC))
    january = invoice_finalize(
        invoice=invoice_compute_usage(contract=world.contract, period=Period(JAN, FEB))
    )
    send_calls(2, datetime(2026, 2, 5, 3, tzinfo=UTC))
    february = invoice_compute_usage(contract=world.contract, period=Period(FEB, MAR))
    return Billed(world, january, february)


def read_csv(content: bytes | str | Path) -> list[dict[str, str]]:
    if isinstance(content, Path):
        content = content.read_text(encoding="utf-8")
    if isinstance(content, bytes):
        content = content.decode()
    return list(csv.DictReader(io.StringIO(content)))
