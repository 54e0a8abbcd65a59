"""The package builder (contracts/console/package_builder.py): deal desk builds a package from
forms (menus of names, amounts in dollars, "12 months", "month 2"), and what it stores is what
the same package sent to POST /v1/packages/create stores."""

import html
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from pricing import services
from pricing.models import CreditType, Package
from usage.services import billable_metric_create

HX = {"HTTP_HX_REQUEST": "true"}
URL = "/packages/create"
DRAFT = re.compile(r'name="draft" value="([^"]*)"')
MONTHS = "MONTHS"


# -- the builder through the console -------------------------------------------------------------


@pytest.fixture
def catalog(db):
    metric = billable_metric_create(name="API calls", aggregation_type="COUNT")
    storage_metric = billable_metric_create(name="Storage GB", aggregation_type="COUNT")
    return {
        "card": services.rate_card_create(name="List prices 2026"),
        "calls": services.product_create(name="API calls", type="USAGE", billable_metric=metric),
        "storage": services.product_create(
            name="Storage", type="USAGE", billable_metric=storage_metric
        ),
        "commit": services.product_create(name="Prepaid commit", type="FIXED"),
        "fee": services.product_create(name="Platform fee", type="FIXED"),
    }


def _draft(response) -> str:
    return html.unescape(DRAFT.search(response.content.decode())[1])


def build(client, head: dict, items: list[tuple[str, dict]], *, create: bool = True):
    """Drive the builder as the page does: open each item's form, fill it, add it; create."""
    data = {f"package-{k}": v for k, v in head.items()} | {"draft": "", "open": ""}
    for kind, fields in items:
        opened = client.post(URL, data | {"builder_action": f"open:{kind}"}, **HX)
        assert opened.status_code == 200, opened.content.decode()
        added = client.post(URL, data | fields | {"open": kind, "builder_action": "add"}, **HX)
        assert added.status_code == 200, added.content.decode()
        data["draft"] = _draft(added)
    if not create:
        return data
    return client.post(URL, data | {"builder_action": "create"}, **HX)


def better_form(catalog) -> tuple[dict, list]:
    head = {"name": "Better", "rate_card": str(catalog["card"].public_id),
            "contract_name": "Better plan", "duration": "12 months", "frequency": "QUARTERLY",
            "net_payment_terms_days": "30",
            "terms": json.dumps({"billing_provider": "stripe", "credits": [{
                "product_id": str(catalog["commit"].public_id), "access_schedule": {
                    "schedule_items": [{"amount": "$100", "starting_at_offset": {"unit": MONTHS, "value": 0},
                                        "duration": {"unit": MONTHS, "value": 1}}]}}]})}  # fmt: skip
    items = [
        ("commit", {"kind": "PREPAID", "name": "Annual commit",
                    "product": str(catalog["commit"].public_id), "priority": "1",
                    "amount": "$12,000", "starts": "", "lasts": "12 months",
                    "applicable_products": [str(catalog["calls"].public_id),
                                            str(catalog["storage"].public_id)],
                    "rollover": "50%"}),
        ("override", {"type": "PERCENT_OFF", "percent_off": "20", "product":
                      str(catalog["storage"].public_id), "starts": "month 2", "lasts": "6 months"}),
        ("recurring", {"kind": "CREDIT", "name": "Monthly credit",
                       "product": str(catalog["commit"].public_id), "priority": "2",
                       "frequency": "MONTHLY", "access_amount": "500", "periods": "1",
                       "proration": "NONE", "starts": ""}),
        ("charge", {"product": str(catalog["fee"].public_id), "name": "Platform fee",
                    "amount": "1,000.00", "starts": "contract start", "months": "12"}),
    ]  # fmt: skip
    return head, items


def better_api_body(catalog) -> dict:
    """The same package as an API body: ids, cents and offsets, as a developer writes it."""
    start = {"unit": MONTHS, "value": 0}
    pid = {k: str(v.public_id) for k, v in catalog.items()}
    return {
        "name": "Better", "rate_card_id": pid["card"], "contract_name": "Better plan",
        "duration": {"unit": MONTHS, "value": 12}, "net_payment_terms_days": 30,
        "usage_statement_schedule": {"frequency": "QUARTERLY"}, "billing_provider": "stripe",
        "credits": [{"product_id": pid["commit"], "access_schedule": {"schedule_items": [
            {"amount": 10000, "starting_at_offset": start, "duration": {"unit": MONTHS, "value": 1}}]}}],
        "commits": [{
            "product_id": pid["commit"], "type": "PREPAID", "name": "Annual commit", "priority": 1,
            "access_schedule": {"schedule_items": [
                {"amount": 1200000, "starting_at_offset": start, "duration": {"unit": MONTHS, "value": 12}}]},
            "invoice_schedule": {"schedule_items": [
                {"date_offset": start, "quantity": 1, "unit_price": 1200000}]},
            "applicable_product_ids": [pid["calls"], pid["storage"]], "rollover_fraction": 0.5,
        }],
        "overrides": [{"type": "MULTIPLIER", "multiplier": 0.8,
                       "override_specifiers": [{"product_id": pid["storage"]}],
                       "starting_at_offset": {"unit": MONTHS, "value": 1},
                       "duration": {"unit": MONTHS, "value": 6}}],
        "recurring_credits": [{
            "product_id": pid["commit"], "name": "Monthly credit", "priority": 2,
            "access_amount": {"unit_price": 50000, "quantity": 1},
            "commit_duration": {"value": 1, "unit": "PERIODS"}, "proration": "NONE",
            "recurrence_frequency": "MONTHLY", "starting_at_offset": start,
        }],
        "scheduled_charges": [{"product_id": pid["fee"], "name": "Platform fee", "schedule": {
            "schedule_items": [{"date_offset": {"unit": MONTHS, "value": m}, "quantity": 1,
                                "unit_price": 100000} for m in range(12)]}}],
    }  # fmt: skip


def test_the_builder_stores_what_the_api_stores(client, dave, api, catalog):
    client.force_login(dave)
    head, items = better_form(catalog)
    response = build(client, head, items)
    assert response.status_code == 200, response.content.decode()
    built = Package.objects.get()
    assert response["HX-Redirect"] == reverse("contracts:package-detail", args=[built.public_id])
    sent = api.post("/v1/packages/create", better_api_body(catalog) | {"name": "Better API"},
                    format="json")  # fmt: skip
    assert sent.status_code == 200, sent.content
    from_api = Package.objects.get(name="Better API")
    assert built.terms == from_api.terms
    assert built.rate_card == from_api.rate_card == catalog["card"]
    # Nothing the JSON box held is dropped: its credit comes first, the form's items after.
    assert built.terms["billing_provider"] == "stripe"
    assert built.terms["credits"][0]["access_schedule"]["schedule_items"][0]["amount"] == 10000


def test_the_package_page_reads_in_words(client, dave, catalog):
    client.force_login(dave)
    head, items = better_form(catalog)
    build(client, head, items)
    package = Package.objects.get()
    page = client.get(reverse("contracts:package-detail", args=[package.public_id]))
    text = page.content.decode().partition("<main")[2]
    summary = ("12 months · $12,000.00 prepaid commit, pays for API calls; Storage · "
               "$100.00 credit, pays for any usage · $500.00 credit each month · 20% off Storage · "
               "Platform fee: $1,000.00 a month, 12 times")  # fmt: skip
    assert summary in text
    for shown in ("Usable from the contract start, for 12 months", "From month 2, for 6 months",
                  "Billed $12,000.00 at the contract start", "Quarterly, from the contract start",
                  "Net 30 days", "50% of the unused balance rolls over", "Billing provider"):  # fmt: skip
        assert shown in text, shown
    for raw in (
        "MONTHS",
        "PREPAID",
        "P1Y",
        "{'",
        '{"',
        "1200000",
        str(catalog["storage"].public_id),
    ):
        assert raw not in text, raw


def test_an_item_with_errors_stays_open_and_adds_nothing(client, dave, catalog):
    client.force_login(dave)
    data = {"package-name": "Good", "package-rate_card": str(catalog["card"].public_id),
            "draft": "", "open": "commit", "builder_action": "add", "kind": "PREPAID",
            "name": "Commit", "product": str(catalog["commit"].public_id),
            "amount": "12,000.005", "lasts": "twelve"}  # fmt: skip
    response = client.post(URL, data, **HX)
    body = response.content.decode()
    assert response.status_code == 422
    assert "USD amounts have at most 2 decimal places" in body
    assert "Write a length such as" in body
    assert _draft(response) == "{}" and 'value="commit"' in body
    # Creating with a form still open is refused, naming it.
    response = client.post(URL, data | {"builder_action": "create"}, **HX)
    assert response.status_code == 422 and "or cancel it, first" in response.content.decode()
    assert not Package.objects.exists()


def test_a_service_refusal_names_the_item(client, dave, catalog):
    client.force_login(dave)
    data = build(client, {"name": "Good", "rate_card": str(catalog["card"].public_id)}, [
        ("commit", {"kind": "POSTPAID", "name": "True-up", "product": str(catalog["commit"].public_id),
                    "amount": "5000", "lasts": "12 months"}),
    ], create=False)  # fmt: skip
    assert (
        '"unit": "MONTHS", "value": 12}, "quantity": "1", "unit_price": "500000"' in data["draft"]
    )
    response = client.post(URL, data | {"builder_action": "remove:commits:0"}, **HX)
    assert _draft(response) == "{}"


def test_items_priced_in_another_currency_are_not_moved_silently(client, dave, catalog):
    euro = CreditType.objects.get(currency_code="EUR")
    client.force_login(dave)
    eur_card = services.rate_card_create(name="Euro list", fiat_credit_type=euro)
    data = build(client, {"name": "Good", "rate_card": str(catalog["card"].public_id)}, [
        ("charge", {"product": str(catalog["fee"].public_id), "amount": "100", "months": "1"}),
    ], create=False)  # fmt: skip
    data["draft_unit"] = re.search(r'"draft_unit" value="([^"]+)"', client.post(
        URL, data | {"builder_action": "cancel"}, **HX).content.decode())[1]  # fmt: skip
    response = client.post(URL, data | {"package-rate_card": str(eur_card.public_id),
                                        "builder_action": "create"}, **HX)  # fmt: skip
    assert response.status_code == 422 and "The terms below are in USD" in response.content.decode()
    assert not Package.objects.exists()


def test_amounts_are_typed_in_dollars(client, dave, catalog):
    client.force_login(dave)
    build(client, {"name": "Good", "rate_card": str(catalog["card"].public_id)}, [
        ("charge", {"product": str(catalog["fee"].public_id), "amount": "$2,500.50",
                    "starts": "month 3", "months": "1"}),
    ])  # fmt: skip
    [charge] = Package.objects.get().terms["scheduled_charges"]
    assert charge["schedule"]["schedule_items"] == [
        {"date_offset": {"unit": MONTHS, "value": 2}, "quantity": 1, "unit_price": 250050}
    ]
    assert Decimal(250050).scaleb(-2) == Decimal("2500.50")


@pytest.mark.parametrize("kind", ["", "commit", "override", "charge", "recurring"])
def test_each_builder_form_labels_each_input_once(client, dave, catalog, kind):
    from billing_console.tests.form_labels import label_problems

    client.force_login(dave)
    data = build(client, {"name": "Good", "rate_card": str(catalog["card"].public_id)}, [
        ("charge", {"product": str(catalog["fee"].public_id), "amount": "100", "months": "1"}),
    ], create=False)  # fmt: skip
    page = client.post(URL, data | {"builder_action": f"open:{kind}" if kind else "cancel"})
    assert page.status_code == 200
    assert label_problems(page.content.decode()) == []
    assert "(cents)" not in page.content.decode()
