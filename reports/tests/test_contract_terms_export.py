"""The contracts' spend trackers and reseller royalties in reports and exports: a row per tracker
with what it accumulated in its billing period (in cents and in dollars), a row per royalty
segment as sent; an incremental export picks a tracker up again when its contract's invoices
change."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from billing_console.wire import Reader
from contracts.models import ResellerRoyalty
from contracts.terms.spend_trackers import spend_trackers_create
from invoicing.services import contract_scheduled_invoices_sync
from invoicing.tests.factories import priced_world
from pricing.services import credit_type_get_default, product_create
from reports import services
from reports.datasets import DATASETS, Filters
from reports.tests.factories import read_csv

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _reports_dir(settings, tmp_path):
    settings.REPORTS_DIR = tmp_path / "reports"


def _world():
    """Acme's monthly contract from Jan 1: a commit purchase of 12550 cents on Mar 15 and one of
    999 on Feb 15 (another period), a tracker counting manual purchases, an AWS royalty."""
    fixed = product_create(name="Prepaid credits", type="FIXED")
    usd = str(credit_type_get_default().public_id)
    purchase = {
        "type": "PREPAID", "product_id": str(fixed.public_id), "name": "Pack",
        "access_schedule": {"schedule_items": [{"amount": 1, "starting_at": "2026-01-01T00:00:00Z",
                                                "ending_before": "2026-02-01T00:00:00Z"}]},
        "invoice_schedule": {"schedule_items": [
            {"timestamp": "2026-02-15T00:00:00Z", "amount": 999},
            {"timestamp": "2026-03-15T00:00:00Z", "amount": 12550}]},
    }  # fmt: skip
    world = priced_world(contract_extra={"commits": [purchase]})
    spec = {"spend_type": "COMMIT_PURCHASE", "sources": ["MANUAL"]}
    tracker = {"alias": "packs", "credit_type_id": usd, "reset_frequency": "BILLING_PERIOD",
               "applicable_spend_specifiers": [spec]}  # fmt: skip
    spend_trackers_create(Reader({"t": [tracker]}), world.contract, "t")
    ResellerRoyalty.objects.create(
        contract=world.contract, reseller_type="AWS", fraction="0.2", netsuite_reseller_id="NS-1",
        starting_at=datetime(2026, 1, 1, tzinfo=UTC), applicable_product_tags=["usage"],
        reseller_contract_value=1_000_000, aws_options={"aws_offer_id": "offer-1"},
    )  # fmt: skip
    contract_scheduled_invoices_sync(contract=world.contract)
    return world


def _report(django_capture_on_commit_callbacks, dataset: str) -> list[dict[str, str]]:
    with django_capture_on_commit_callbacks(execute=True):
        run = services.report_run_start(dataset=dataset, params={})
    run.refresh_from_db()
    return read_csv(services.report_file_path(run))


def test_trackers_and_royalties_are_exported_with_their_columns(
    db, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        world = _world()
        [tracker] = _report(django_capture_on_commit_callbacks, "spend_trackers")
        [royalty] = _report(django_capture_on_commit_callbacks, "reseller_royalties")
    contract_id = str(world.contract.public_id)
    assert tracker == {
        "tracker_id": str(world.contract.spend_trackers.get().public_id),
        "contract_id": contract_id, "customer_id": str(world.customer.public_id),
        "customer_name": "Acme", "alias": "packs",
        "credit_type_id": str(credit_type_get_default().public_id), "credit_type": "USD (cents)",
        "currency": "USD", "reset_frequency": "BILLING_PERIOD",
        "applicable_spend_specifiers": '[{"sources":["MANUAL"],"spend_type":"COMMIT_PURCHASE"}]',
        "accumulated_spend": "12550", "accumulated_spend (USD)": "125.5",
        "period_starting_at": "2026-03-01T00:00:00Z", "period_ending_before": "2026-04-01T00:00:00Z",
        "as_of": "2026-03-20T12:00:00Z", "created_at": "2026-03-20T12:00:00Z", "archived_at": "",
    }  # fmt: skip
    assert royalty == {
        "royalty_id": str(ResellerRoyalty.objects.get().public_id), "contract_id": contract_id,
        "customer_id": str(world.customer.public_id), "customer_name": "Acme",
        "reseller_type": "AWS", "fraction": "0.2", "netsuite_reseller_id": "NS-1",
        "starting_at": "2026-01-01T00:00:00Z", "ending_before": "",
        "applicable_product_ids": "[]", "applicable_product_tags": '["usage"]',
        "aws_account_number": "", "aws_offer_id": "offer-1", "aws_payer_reference_id": "",
        "gcp_account_id": "", "gcp_offer_id": "", "credit_type": "USD (cents)", "currency": "USD",
        "reseller_contract_value": "1000000", "reseller_contract_value (USD)": "10000",
        "created_at": "2026-03-20T12:00:00Z",
    }  # fmt: skip


def test_an_incremental_export_takes_a_tracker_again_when_its_invoices_change(db):
    with time_machine.travel(NOW, tick=False):
        world = _world()
    dataset = DATASETS["spend_trackers"]
    later = NOW + timedelta(days=1)

    def rows(after: datetime, through: datetime) -> list[tuple]:
        filters = Filters(changed_after=after, changed_through=through, as_of=NOW)
        return [row for batch in dataset.batches(filters, 100) for row in batch.rows]

    assert len(rows(NOW - timedelta(hours=1), NOW)) == 1  # created then
    assert rows(NOW, later) == []  # nothing changed since
    with time_machine.travel(later, tick=False):
        world.contract.invoices.filter(status="DRAFT").first().save()  # an invoice changes
    assert len(rows(NOW, later)) == 1
