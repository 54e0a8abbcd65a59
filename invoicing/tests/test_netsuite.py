"""NetSuite ids (invoicing/netsuite.py): accepted and returned through the API, on each invoice
line as Metronome returns them, carried to the Stripe invoice and its items' metadata (through
the real stripe library and the local fake Stripe), with the configured custom fields, and into
the invoice line items export."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from billing_console.custom_fields import custom_field_key_add, custom_field_values_set
from invoicing.models import Invoice
from invoicing.services import contract_invoices_refresh, invoice_finalize
from invoicing.tests.factories import FEB, JAN, priced_world, send_calls
from invoicing.tests.stripe_fixtures import stripe_world
from pricing.models import ProductVersion
from pricing.services import product_create
from reports.datasets import DATASETS, Filters

pytestmark = pytest.mark.django_db


def _world(**contract_extra):
    fixed = product_create(name="Prepaid", type="FIXED")
    ProductVersion.objects.filter(product=fixed).update(netsuite_internal_item_id="NS-PREPAID")
    commit = {
        "type": "PREPAID", "product_id": str(fixed.public_id), "priority": 1,
        "netsuite_sales_order_id": "SO-COMMIT",
        "access_schedule": {"schedule_items": [
            {"amount": 20, "starting_at": "2026-01-01T00:00:00Z", "ending_before": "2026-02-01T00:00:00Z"}]},
    }  # fmt: skip
    world = priced_world(contract_extra={
        "netsuite_sales_order_id": "SO-CONTRACT", "commits": [commit], **contract_extra})  # fmt: skip
    ProductVersion.objects.filter(product=world.product).update(
        netsuite_internal_item_id="NS-CALLS", netsuite_overage_item_id="NS-CALLS-OVERAGE"
    )
    return world


def _january(world) -> Invoice:
    send_calls(10, JAN + timedelta(days=3))
    contract_invoices_refresh(contract=world.contract, through=FEB + timedelta(hours=1))
    return Invoice.objects.get(contract=world.contract, type="USAGE", period_start=JAN)


def test_product_ids_round_trip_through_the_api(api):
    from usage.services import billable_metric_create

    metric = billable_metric_create(name="calls", event_type_filter={"in_values": ["call"]},
                                    aggregation_type="COUNT")  # fmt: skip
    created = api.post("/v1/contract-pricing/products/create", {
        "name": "Calls", "type": "USAGE", "netsuite_internal_item_id": "NS-1",
        "billable_metric_id": str(metric.public_id),
        "netsuite_overage_item_id": "NS-1-OVER"}, format="json")  # fmt: skip
    assert created.status_code == 200, created.content
    product_id = created.json()["data"]["id"]
    got = api.post("/v1/contract-pricing/products/get", {"id": product_id}, format="json").json()
    current = got["data"]["current"]
    assert (current["netsuite_internal_item_id"], current["netsuite_overage_item_id"]) == (
        "NS-1",
        "NS-1-OVER",
    )


def test_invoice_lines_carry_their_netsuite_ids_on_the_wire(api):
    world = _world()
    invoice = _january(world)
    url = f"/v1/customers/{world.customer.public_id}/invoices/{invoice.public_id}"
    data = api.get(url).json()["data"]
    assert data["netsuite_sales_order_id"] == "SO-CONTRACT"
    by_type = {item["type"]: item for item in data["line_items"]}
    usage = next(i for i in data["line_items"] if i.get("product_id") == str(world.product.public_id) and "commit_id" not in i)  # fmt: skip
    assert usage["netsuite_item_id"] == "NS-CALLS-OVERAGE"  # usage billed in arrears
    drawn = [i for i in data["line_items"] if "commit_id" in i]
    assert drawn, by_type
    assert drawn[0]["commit_netsuite_sales_order_id"] == "SO-COMMIT"
    assert drawn[0]["commit_netsuite_item_id"] == "NS-PREPAID"


def test_stripe_gets_the_ids_and_the_configured_custom_fields(
    fake, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_METADATA_CUSTOM_FIELDS = ["product.gl_code", "contract.region"]
    custom_field_key_add(entity="contract", key="region", enforce_uniqueness=False)
    custom_field_key_add(entity="product", key="gl_code", enforce_uniqueness=False)
    world = _world(custom_fields={"region": "EU"})
    custom_field_values_set(entity="product", entity_id=str(world.product.public_id), values={"gl_code": "4000"})  # fmt: skip
    sworld = stripe_world(fake, world=world)
    invoice = _january(sworld.world)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_finalize(invoice=invoice)
    create = next(r for r in fake.requests if r.path == "/v1/invoices")
    assert create.params["metadata[netsuite_sales_order_id]"] == "SO-CONTRACT"
    items = [r.params for r in fake.requests if r.path == "/v1/invoiceitems"]
    usage = next(p for p in items if p.get("metadata[netsuite_item_id]") == "NS-CALLS-OVERAGE")
    assert usage["metadata[gl_code]"] == "4000"
    assert usage["metadata[region]"] == "EU"
    drawn = next(p for p in items if "metadata[commit_netsuite_sales_order_id]" in p)
    assert drawn["metadata[commit_netsuite_sales_order_id]"] == "SO-COMMIT"
    assert drawn["metadata[commit_netsuite_item_id]"] == "NS-PREPAID"


def test_a_malformed_pass_through_entry_is_a_configuration_error(settings):
    from invoicing.netsuite import pass_through_keys

    settings.STRIPE_METADATA_CUSTOM_FIELDS = ["gl_code"]
    with pytest.raises(ImproperlyConfigured, match="'gl_code' is not <entity>.<key>"):
        pass_through_keys()


def test_the_line_items_export_has_the_netsuite_columns():
    world = _world()
    _january(world)
    dataset = DATASETS["invoice_line_items"]
    header = dataset.header
    rows = [row for batch in dataset.batches(Filters(), 100) for row in batch.rows]
    records = [dict(zip(header, row, strict=True)) for row in rows]
    usage = next(r for r in records if r["netsuite_item_id"] == "NS-CALLS-OVERAGE")
    assert usage["netsuite_sales_order_id"] == "SO-CONTRACT"
    drawn = next(r for r in records if r["commit_netsuite_sales_order_id"])
    assert (drawn["commit_netsuite_sales_order_id"], drawn["commit_netsuite_item_id"]) == (
        "SO-COMMIT",
        "NS-PREPAID",
    )
    invoices = DATASETS["invoices"]
    rows = [row for batch in invoices.batches(Filters(), 100) for row in batch.rows]
    orders = {dict(zip(invoices.header, row, strict=True))["netsuite_sales_order_id"] for row in rows}  # fmt: skip
    assert orders == {"SO-CONTRACT"}
