"""Money in reports and audit diffs: report CSVs add each amount in major units, headed with the
unit; the audit page and its CSV show amount columns in major units, the API keeps cents."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from alerts.services import alert_create
from pricing import services as pricing
from pricing.models import CreditType
from reports import services
from reports.datasets import DATASETS
from reports.datasets.major_units import report_header, units_in_use
from reports.models import ReportRun
from reports.tests.factories import billed_world, read_csv

JAN = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"


def _build(django_capture_on_commit_callbacks, dataset: str) -> ReportRun:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.report_run_start(dataset=dataset, params={})
    run.refresh_from_db()
    return run


def test_each_amount_comes_in_cents_and_in_dollars(db, django_capture_on_commit_callbacks):
    billed_world(with_commit=True)
    run = _build(django_capture_on_commit_callbacks, "invoice_line_items")
    path = services.report_file_path(run)
    header = path.read_text().splitlines()[0].split(",")
    assert header[header.index("credit_type") : header.index("credit_type") + 2] == [
        "credit_type", "currency",
    ]  # fmt: skip
    for amount in ("unit_price", "total_unrounded", "total"):
        assert header[header.index(amount) + 1] == f"{amount} (USD)"
    first = read_csv(path)[0]
    assert (first["credit_type"], first["currency"]) == ("USD (cents)", "USD")
    assert (first["unit_price"], first["unit_price (USD)"]) == ("250", "2.5")
    assert (first["total"], first["total (USD)"]) == ("1000", "10")
    [commit] = read_csv(services.report_file_path(_build(django_capture_on_commit_callbacks,
                                                         "commits_and_credits")))  # fmt: skip
    assert (commit["access_amount"], commit["access_amount (USD)"]) == ("100000", "1000")


def test_exports_keep_stable_column_names():
    names = [column.name for column in DATASETS["invoices"].columns]
    assert names[names.index("total") + 1] == "total_major"
    assert names[names.index("credit_type") + 1] == "currency"


def test_a_header_names_the_currency_only_when_there_is_one(db):
    billed_world()
    assert units_in_use() == ["USD"]
    assert "total (USD)" in report_header(DATASETS["invoices"])
    euro = CreditType.objects.get(currency_code="EUR")
    pricing.rate_card_create(name="Europe", fiat_credit_type=euro)
    assert units_in_use() == ["USD"]  # a card no contract uses bills nothing
    from contracts.services import contract_create
    from customers.services import customer_create

    card = pricing.rate_card_create(name="Europe 2", fiat_credit_type=euro)
    contract_create(customer=customer_create(name="Bonn GmbH"), data={
        "starting_at": "2026-01-01T00:00:00Z", "rate_card_id": str(card.public_id),
    })  # fmt: skip
    assert units_in_use() == ["EUR", "USD"]
    assert "total (in currency)" in report_header(DATASETS["invoices"])


def test_audit_diffs_show_amounts_in_major_units(client, alice, bob, db):
    product = pricing.product_create(name="Fine-tuning", type="FIXED")
    card = pricing.rate_card_create(name="List")
    rate = pricing.rate_add(
        rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price="2500"
    )
    client.force_login(alice)
    edit = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    data = {"starting_at": "2025-01-01", "rate_type": "FLAT", "price": "$30", "entitled": "on"}
    assert client.post(edit, data).status_code == 302
    alert_create(data={
        "name": "Big spender", "alert_type": "spend_threshold_reached", "threshold": 500000,
    })  # fmt: skip
    client.force_login(bob)
    page = client.get(reverse("reports:audit-list")).content.decode()
    assert "$25.00</del> → <ins>$30.00" in page
    assert "(cents)" not in page and "3000.000000000000" not in page
    rows = read_csv(b"".join(client.get(reverse("reports:audit-export")).streaming_content))
    [update] = [r for r in rows if r["action"] == "update" and r["resource_type"] == "rate"]
    assert '"price": ["$25.00", "$30.00"]' in update["changes"]
    rate.refresh_from_db()
    assert rate.price == Decimal("3000")


def test_the_audit_api_keeps_stored_amounts(api, db):
    product = pricing.product_create(name="Fine-tuning", type="FIXED")
    card = pricing.rate_card_create(name="List")
    rate = pricing.rate_add(
        rate_card=card, product=product, starting_at=JAN, rate_type="FLAT", price="2500"
    )
    pricing.rate_update(rate=rate, price=Decimal("3000"))
    query = {"resource_type": "rate", "resource_id": str(rate.public_id)}
    entries = api.get("/v1/auditLogs", query).json()["data"]
    [update] = [e for e in entries if e["action"] == "update" and "price" in e["changes"]]
    assert [Decimal(v) for v in update["changes"]["price"]] == [Decimal(2500), Decimal(3000)]
