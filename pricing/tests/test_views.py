"""Console pricing pages: products, rate cards with the in-place rate editor, packages."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from billing_console.lib.money_text import major_text
from billing_console.models import ConsolePreference
from pricing import selectors, services
from pricing.models import Package, Product, ProductVersion, Rate, RateCard
from usage.models import BillableMetric
from usage.services import billable_metric_create

HX = {"HTTP_HX_REQUEST": "true"}
JAN = datetime(2025, 1, 1, tzinfo=UTC)
JUL = datetime(2025, 7, 1, tzinfo=UTC)


@pytest.fixture
def metric(db) -> BillableMetric:
    return billable_metric_create(
        name="API calls",
        event_type_filter={"in_values": ["api_call"]},
        aggregation_type="COUNT",
        group_keys=[["region"]],
    )


@pytest.fixture
def api_calls(metric) -> Product:
    return services.product_create(
        name="API calls", type="USAGE", billable_metric=metric, tags=["core"],
        pricing_group_key=["region"],
    )  # fmt: skip


@pytest.fixture
def seats(db) -> Product:
    return services.product_create(name="Seats", type="SUBSCRIPTION")


@pytest.fixture
def card(db) -> RateCard:
    return services.rate_card_create(name="List prices 2025", description="Public list")


@pytest.fixture
def rate(card, api_calls) -> Rate:
    return services.rate_add(
        rate_card=card, product=api_calls, starting_at=JAN, rate_type="FLAT", price="2.5"
    )


def _edit_data(rate: Rate, **changes: str) -> dict[str, str]:
    data = {
        "starting_at": rate.starting_at.strftime("%Y-%m-%d"),
        "ending_before": "",
        "rate_type": rate.rate_type,
        "price": major_text(rate.price, rate.credit_type) if rate.price is not None else "",
        "pricing_group_values": "",
        "entitled": "on" if rate.entitled else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k != "entitled"}


# -- products ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for name in ("pricing:product-list", "pricing:rate-card-list", "contracts:package-list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_product_list_shows_metric_tooltip_and_tags(client, alice, api_calls, seats):
    client.force_login(alice)
    page = client.get(reverse("pricing:product-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Seats" in html and "API calls" in html
    assert 'title="COUNT · event_type in api_call · group keys region"' in html
    assert '<span class="chip">core</span>' in html


def test_product_list_filters_search_type_archived_and_remembers(client, alice, api_calls, seats):
    old = services.product_create(name="Legacy seats", type="SUBSCRIPTION")
    services.product_archive(product=old)
    client.force_login(alice)
    url = reverse("pricing:product-list")
    assert b"Legacy seats" not in client.get(url).content  # archived hidden by default
    fragment = client.get(url + "?q=seat", HTTP_HX_TARGET="product-table", **HX)
    assert b"<html" not in fragment.content and b'id="product-table"' in fragment.content
    assert b"Seats" in fragment.content and b"API calls" not in fragment.content
    typed = client.get(url + "?type=USAGE&status=all&q=")
    assert b"API calls" in typed.content and b">Seats<" not in typed.content
    archived = client.get(url + "?status=archived&q=&type=")
    assert b"Legacy seats" in archived.content and b">Seats<" not in archived.content
    saved = ConsolePreference.objects.get(user=alice, page="product-list").value
    assert saved["status"] == "archived"
    again = client.get(url)  # no filters: the saved ones apply
    assert b"Legacy seats" in again.content


def test_create_product_with_a_new_billable_metric_in_one_submit(client, fiona):
    client.force_login(fiona)
    response = client.post(
        reverse("pricing:product-create"),
        {
            "name": "Tokens", "type": "USAGE", "tags": "ai, usage", "pricing_group_key": "model",
            "metric_name": "Tokens used", "metric_event_types": "completion",
            "metric_aggregation_type": "SUM", "metric_aggregation_key": "tokens",
            "metric_group_keys": "model\nmodel, region",
        },
        **HX,
    )  # fmt: skip
    assert response.status_code == 200, response.content.decode()
    product = Product.objects.get(name="Tokens")
    assert response["HX-Redirect"] == reverse("pricing:product-detail", args=[product.public_id])
    version = product.versions.get()
    assert version.billable_metric.name == "Tokens used"
    assert version.billable_metric.aggregation_key == "tokens"
    assert version.billable_metric.group_keys == [["model"], ["model", "region"]]
    assert version.tags == ["ai", "usage"] and version.pricing_group_key == ["model"]


def test_refused_product_leaves_no_orphan_metric_and_errors_inline(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("pricing:product-create"),
        {"name": "Tokens", "type": "USAGE", "pricing_group_key": "nope",
         "metric_name": "Tokens used", "metric_aggregation_type": "COUNT",
         "metric_group_keys": "model"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" not in html and 'id="product-form"' in html
    assert "is not a group key of the billable metric" in html
    assert not Product.objects.exists() and not BillableMetric.objects.exists()


def test_metric_errors_show_beside_the_metric_fields(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("pricing:product-create"),
        {
            "name": "Tokens",
            "type": "USAGE",
            "metric_name": "Tokens",
            "metric_aggregation_type": "SUM",
        },
        **HX,
    )
    assert response.status_code == 422
    assert "is required for SUM" in response.content.decode()
    usage_without_metric = client.post(
        reverse("pricing:product-create"), {"name": "Bare", "type": "USAGE"}, **HX
    )
    assert usage_without_metric.status_code == 422
    assert b"needs a billable metric" in usage_without_metric.content


def test_update_product_adds_a_dated_version_and_shows_history(client, alice, api_calls):
    client.force_login(alice)
    form = client.get(reverse("pricing:product-update", args=[api_calls.public_id]))
    assert form.status_code == 200 and b'value="API calls"' in form.content
    response = client.post(
        reverse("pricing:product-update", args=[api_calls.public_id]),
        {"starting_at": "2025-07-01", "name": "API requests", "tags": "core, v2",
         "billable_metric": str(api_calls.versions.get().billable_metric.public_id),
         "pricing_group_key": "region"},
        **HX,
    )  # fmt: skip
    assert response.status_code == 200, response.content.decode()
    versions = list(ProductVersion.objects.filter(product=api_calls).order_by("starting_at"))
    assert [v.name for v in versions] == ["API calls", "API requests"]
    assert versions[1].starting_at == JUL and versions[1].tags == ["core", "v2"]
    page = client.get(reverse("pricing:product-detail", args=[api_calls.public_id]))
    html = page.content.decode()
    assert "2025-07-01 00:00" in html and "API requests" in html and "Audit trail" in html
    assert "in force" in html


def test_update_needs_an_effective_date(client, alice, seats):
    client.force_login(alice)
    response = client.post(
        reverse("pricing:product-update", args=[seats.public_id]), {"name": "Seats 2"}, **HX
    )
    assert response.status_code == 422 and b"This field is required" in response.content
    assert seats.versions.count() == 1


def test_archive_product(client, alice, seats):
    client.force_login(alice)
    page = client.get(reverse("pricing:product-detail", args=[seats.public_id]))
    assert b"hx-confirm" in page.content
    response = client.post(reverse("pricing:product-archive", args=[seats.public_id]), **HX)
    assert response["HX-Redirect"]
    seats.refresh_from_db()
    assert seats.archived_at is not None


# -- rate cards -------------------------------------------------------------------------------


def test_rate_card_list_create_and_filter(client, alice, card):
    client.force_login(alice)
    page = client.get(reverse("pricing:rate-card-list"))
    assert page.status_code == 200 and b"List prices 2025" in page.content
    bad = client.post(reverse("pricing:rate-card-create"), {"name": ""}, **HX)
    assert bad.status_code == 422 and b'id="create-form"' in bad.content
    assert b"This field is required" in bad.content
    good = client.post(reverse("pricing:rate-card-create"), {"name": "Enterprise"}, **HX)
    new = RateCard.objects.get(name="Enterprise")
    assert good["HX-Redirect"] == reverse("pricing:rate-card-detail", args=[new.public_id])
    fragment = client.get(
        reverse("pricing:rate-card-list") + "?q=enter", HTTP_HX_TARGET="rate-card-table", **HX
    )
    assert b"Enterprise" in fragment.content and b"List prices" not in fragment.content


def test_rate_card_page_lists_rates_with_filters(client, alice, card, api_calls, seats, rate):
    services.rate_add(
        rate_card=card, product=seats, starting_at=JAN, rate_type="SUBSCRIPTION", price="100",
        entitled=False,
    )  # fmt: skip
    services.rate_add(
        rate_card=card, product=api_calls, starting_at=JAN, rate_type="TIERED",
        tiers=[{"size": "1000", "price": "2"}, {"price": "1"}], pricing_group_values={"region": "eu"},
        ending_before=JUL,
    )  # fmt: skip
    client.force_login(alice)
    url = reverse("pricing:rate-card-detail", args=[card.public_id])

    def table(query: str) -> str:
        response = client.get(url + query, HTTP_HX_TARGET="rate-table", **HX)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" not in html and 'id="rate-table"' in html
        return html

    page = client.get(url).content.decode()
    # 2.5 cents a call; tiers of 2 and 1 cents: shown in dollars
    assert "<html" in page and "$0.025" in page
    assert "next 1,000 @ $0.02" in page and "rest @ $0.01" in page
    html = table("")
    assert "region=eu" in html and "Seats" not in html  # disabled (not entitled) hidden
    assert "Seats" in table("?rates=all&products=active")
    later = table("?rates=all&as_of=2025-08-01")
    assert "region=eu" not in later and "$0.025" in later  # the tiered rate ended in July
    assert ConsolePreference.objects.get(user=alice, page="rate-card-rates").value == {
        "rates": "all"
    }
    services.product_archive(product=seats)
    assert "Seats" not in table("?rates=all&products=active")
    assert "Seats" in table("?rates=all&products=all")


def test_edit_rate_in_place_changes_schedule_and_is_audited(client, fiona, card, rate):
    client.force_login(fiona)
    edit_url = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    form_row = client.get(edit_url, **HX)
    assert form_row.status_code == 200
    assert (
        form_row.content.decode().lstrip().startswith("<tr") and b'name="price"' in form_row.content
    )
    response = client.post(edit_url, _edit_data(rate, price="$3.75"), REMOTE_ADDR="10.0.0.9", **HX)
    assert response.status_code == 200, response.content.decode()
    html = response.content.decode()
    assert html.lstrip().startswith("<tr") and "$3.75" in html and 'name="price"' not in html
    schedule = selectors.rate_schedule(card, starting_at=JAN, ending_before=None)
    assert [r.price for r in schedule] == [Decimal("375")]  # stored in cents
    entry = LogEntry.objects.filter(
        content_type__model="rate", object_pk=str(rate.pk), action=LogEntry.Action.UPDATE
    ).latest("timestamp")
    assert entry.actor == fiona and entry.remote_addr == "10.0.0.9"
    before, after = entry.changes_dict["price"]
    assert Decimal(before) == Decimal("2.5") and Decimal(after) == Decimal("375")


def test_negative_price_renders_inline_in_the_row_with_422(client, alice, card, rate):
    client.force_login(alice)
    edit_url = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    response = client.post(edit_url, _edit_data(rate, price="-1"), **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith("<tr") and f'id="rate-{rate.public_id}"' in html
    assert "must not be negative" in html and 'value="-1"' in html
    rate.refresh_from_db()
    assert rate.price == Decimal("2.5")


def test_overlap_renders_inline_in_the_row(client, alice, card, api_calls, rate):
    services.rate_update(rate=rate, ending_before=JUL)
    later = services.rate_add(
        rate_card=card, product=api_calls, starting_at=JUL, rate_type="FLAT", price="2"
    )
    client.force_login(alice)
    edit_url = reverse("pricing:rate-edit", args=[card.public_id, later.public_id])
    response = client.post(edit_url, _edit_data(later, starting_at="2025-03-01"), **HX)
    assert response.status_code == 422 and b"overlaps the rate" in response.content


def test_tiered_edit_and_cancel(client, alice, card, rate):
    client.force_login(alice)
    edit_url = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    bad = client.post(
        edit_url, _edit_data(rate, rate_type="TIERED", price="", tier_size="1000 2"), **HX
    )
    assert bad.status_code == 422 and b"Give this tier" in bad.content
    tiers = {"tier_size": "1,000", "tier_price": "$0.02", "tier_price_1": "0.005"}
    response = client.post(edit_url, _edit_data(rate, rate_type="TIERED", price="", **tiers), **HX)
    assert response.status_code == 200
    rate.refresh_from_db()
    assert rate.tiers == [{"size": "1000", "price": "2"}, {"price": "0.5"}] and rate.price is None
    cancel = client.get(reverse("pricing:rate-row", args=[card.public_id, rate.public_id]), **HX)
    assert "next 1,000 @ $0.02" in cancel.content.decode() and b"<form" not in cancel.content
    form_row = client.get(edit_url, **HX).content.decode()
    assert 'value="1,000"' in form_row and 'value="0.005"' in form_row  # in dollars too


def test_edit_without_htmx_renders_the_full_page(client, alice, card, rate):
    client.force_login(alice)
    edit_url = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    page = client.get(edit_url)
    assert b"<html" in page.content and b'name="price"' in page.content
    bad = client.post(edit_url, _edit_data(rate, price="-3"))
    assert (
        bad.status_code == 422
        and b"<html" in bad.content
        and b"must not be negative" in bad.content
    )
    good = client.post(edit_url, _edit_data(rate, price="4"))
    assert good.status_code == 302
    rate.refresh_from_db()
    assert rate.price == Decimal("400")


def test_add_rate_with_group_values_and_errors(client, alice, card, api_calls):
    client.force_login(alice)
    url = reverse("pricing:rate-add", args=[card.public_id])
    data = {
        "product": str(api_calls.public_id), "starting_at": "2025-01-01", "rate_type": "FLAT",
        "price": "-5", "pricing_group_values": "region=us", "entitled": "on",
    }  # fmt: skip
    bad = client.post(url, data, **HX)
    assert bad.status_code == 422 and b'id="rate-add-form"' in bad.content
    assert b"must not be negative" in bad.content
    malformed = client.post(url, data | {"price": "1", "pricing_group_values": "region"}, **HX)
    assert malformed.status_code == 422 and b"key=value" in malformed.content
    good = client.post(url, data | {"price": "1.25"}, **HX)
    assert good.status_code == 200 and good["HX-Redirect"]
    rate = card.rates.get()
    assert rate.price == Decimal("125") and rate.pricing_group_values == {"region": "us"}
    assert rate.starting_at == JAN and rate.entitled


def test_archive_rate_card(client, alice, card, rate):
    client.force_login(alice)
    response = client.post(reverse("pricing:rate-card-archive", args=[card.public_id]), **HX)
    assert response["HX-Redirect"]
    card.refresh_from_db()
    assert card.archived_at is not None
    page = client.get(reverse("pricing:rate-card-detail", args=[card.public_id]))
    assert b"Add a rate" not in page.content and b">Edit<" not in page.content


# -- roles ------------------------------------------------------------------------------------


def test_read_only_sees_pages_without_write_buttons(client, bob, card, rate, api_calls):
    client.force_login(bob)
    pages = {
        "pricing:product-list": [],
        "pricing:product-detail": [api_calls.public_id],
        "pricing:rate-card-list": [],
        "pricing:rate-card-detail": [card.public_id],
        "contracts:package-list": [],
    }
    for name, args in pages.items():
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        html = response.content.decode()
        for write in (
            "New product",
            "Archive product",
            "Archive rate card",
            "Add a rate",
            ">Edit<",
            "New rate card",
        ):
            assert write not in html, (name, write)
    assert client.get(reverse("pricing:product-create")).status_code == 403
    edit_url = reverse("pricing:rate-edit", args=[card.public_id, rate.public_id])
    assert client.get(edit_url, **HX).status_code == 403


def test_read_only_and_outsiders_get_403_on_post(client, bob, charlie, card, rate, api_calls):
    posts = [
        (
            reverse("pricing:rate-edit", args=[card.public_id, rate.public_id]),
            _edit_data(rate, price="9"),
        ),
        (reverse("pricing:rate-add", args=[card.public_id]), {"product": str(api_calls.public_id)}),
        (reverse("pricing:rate-card-create"), {"name": "X"}),
        (reverse("pricing:rate-card-archive", args=[card.public_id]), {}),
        (reverse("pricing:product-create"), {"name": "X", "type": "FIXED"}),
        (reverse("pricing:product-update", args=[api_calls.public_id]), {"name": "X"}),
        (reverse("pricing:product-archive", args=[api_calls.public_id]), {}),
    ]
    for user in (bob, charlie):
        client.force_login(user)
        for url, data in posts:
            assert client.post(url, data, **HX).status_code == 403, url
    rate.refresh_from_db()
    card.refresh_from_db()
    api_calls.refresh_from_db()
    assert rate.price == Decimal("2.5") and card.archived_at is None
    assert api_calls.archived_at is None and RateCard.objects.count() == 1


def test_admin_sees_write_buttons(client, alice, card, rate, api_calls):
    client.force_login(alice)
    html = client.get(reverse("pricing:rate-card-detail", args=[card.public_id])).content.decode()
    assert "Add a rate" in html and ">Edit<" in html and "Archive rate card" in html
    assert "New product" in client.get(reverse("pricing:product-list")).content.decode()
    nav = client.get(reverse("contracts:package-list")).content.decode()
    assert 'href="/rate-cards/"' in nav and 'href="/products/"' in nav
    assert client.get(reverse("pricing:product-create")).status_code == 200
    edit = client.get(reverse("pricing:product-update", args=[api_calls.public_id]))
    assert edit.status_code == 200 and b"Effective from" in edit.content
    plain = client.post(reverse("pricing:rate-add", args=[card.public_id]), {"rate_type": "FLAT"})
    assert plain.status_code == 422 and b"<html" in plain.content
    assert b"This field is required" in plain.content


def test_unknown_ids_are_404(client, alice, card):
    client.force_login(alice)
    missing = "6f1c4a0e-0000-4000-8000-000000000000"
    for name, args in (
        ("pricing:product-detail", [missing]),
        ("pricing:rate-card-detail", [missing]),
        ("contracts:package-detail", [missing]),
        ("pricing:rate-edit", [card.public_id, missing]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 404, name


# -- packages ---------------------------------------------------------------------------------


def test_package_list_and_detail_show_rate_card_and_terms(client, bob, card, api_calls):
    package = Package.objects.create(
        name="Startup plan",
        rate_card=card,
        terms={
            "commits": [
                {"type": "PREPAID", "product_id": str(api_calls.public_id),
                 "access_schedule": {"schedule_items": [{"amount": 10000, "starting_at_offset": {"unit": "DAYS", "value": 0}}]}}
            ],
            "credits": [{"product_id": str(api_calls.public_id), "priority": 1}],
            "scheduled_charges": [{"product_id": str(api_calls.public_id), "schedule": {"schedule_items": []}}],
            "usage_statement_schedule": {"frequency": "MONTHLY", "day": "FIRST_OF_MONTH"},
        },
    )  # fmt: skip
    client.force_login(bob)
    listing = client.get(reverse("contracts:package-list")).content.decode()
    assert "Startup plan" in listing and "List prices 2025" in listing
    page = client.get(reverse("contracts:package-detail", args=[package.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    for text in (
        "Commits",
        "Credits",
        "Scheduled charges",
        "Usage statements",
        "$100.00 prepaid commit",
        "Monthly, on the first of the month",
        "List prices 2025",
    ):
        assert text in html, text
    assert "API calls" in html  # product ids are shown by name
    assert str(api_calls.public_id) not in html and "PREPAID" not in html


def test_package_create_form(client, dave, bob, card):
    client.force_login(bob)
    assert client.get(reverse("contracts:package-create")).status_code == 403
    client.force_login(dave)
    listing = client.get(reverse("contracts:package-list")).content.decode()
    assert "New package" in listing
    url = reverse("contracts:package-create")
    assert client.get(url).status_code == 200
    head = {"package-name": "Plan", "package-rate_card": str(card.public_id)}
    bad_json = client.post(url, head | {"package-terms": "{"}, **HX)
    assert bad_json.status_code == 422 and b'id="package-form"' in bad_json.content
    assert b"Not valid JSON" in bad_json.content
    unknown = client.post(url, head | {"package-terms": '{"colour": "blue"}'}, **HX)
    assert unknown.status_code == 422 and b"colour" in unknown.content
    assert not Package.objects.exists()
    good = client.post(url, head | {"package-terms": ""}, **HX)
    assert good.status_code == 200, good.content.decode()
    package = Package.objects.get()
    assert good["HX-Redirect"] == reverse("contracts:package-detail", args=[package.public_id])
    assert package.rate_card == card and package.name == "Plan"
