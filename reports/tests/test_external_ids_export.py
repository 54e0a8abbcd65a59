"""The contracts data export carries the external-system ids as sent: the contract's Salesforce
opportunity and NetSuite sales order ids and total contract value (in its credit type's unit,
named by credit_type), and each commit's and credit's NetSuite and Salesforce ids."""

import pytest

from contracts.terms.customer_commits import customer_commit_create
from invoicing.tests.factories import priced_world
from pricing.services import product_create
from reports import services
from reports.tests.factories import read_csv


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"


def _rows(django_capture_on_commit_callbacks, dataset: str) -> list[dict[str, str]]:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.report_run_start(dataset=dataset, params={})
    run.refresh_from_db()
    return read_csv(services.report_file_path(run))


def test_contracts_and_commits_export_their_ids(db, django_capture_on_commit_callbacks):
    fixed = product_create(name="Commit", type="FIXED")
    access = {"schedule_items": [{"amount": 100, "starting_at": "2026-01-01T00:00:00Z",
                                  "ending_before": "2027-01-01T00:00:00Z"}]}  # fmt: skip
    world = priced_world(contract_extra={
        "salesforce_opportunity_id": "0065e00000AbCdE", "netsuite_sales_order_id": "SO-1",
        "total_contract_value": 1_250_000.5,
        "commits": [{"type": "PREPAID", "product_id": str(fixed.public_id), "name": "Annual",
                     "netsuite_sales_order_id": "SO-2", "access_schedule": access}]})  # fmt: skip
    customer_commit_create(customer=world.customer, credit=True, data={
        "product_id": str(fixed.public_id), "priority": 1, "name": "Shared",
        "salesforce_opportunity_id": "006B", "access_schedule": access})  # fmt: skip

    [contract] = _rows(django_capture_on_commit_callbacks, "contracts")
    assert (contract["salesforce_opportunity_id"], contract["netsuite_sales_order_id"]) == (
        "0065e00000AbCdE", "SO-1",
    )  # fmt: skip
    assert (contract["total_contract_value"], contract["credit_type"]) == (
        "1250000.5", "USD (cents)",
    )  # fmt: skip
    rows = _rows(django_capture_on_commit_callbacks, "commits_and_credits")
    by_name = {r["name"]: (r["netsuite_sales_order_id"], r["salesforce_opportunity_id"]) for r in rows}  # fmt: skip
    assert by_name == {"Annual": ("SO-2", ""), "Shared": ("", "006B")}
