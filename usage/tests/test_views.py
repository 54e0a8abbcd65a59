"""Console usage pages: billable metrics, the live preview, the events explorer, the chart."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing_console.models import ConsolePreference
from customers.models import Customer
from customers.services import customer_create
from pricing.services import product_create
from usage.models import BillableMetric, UsageEvent
from usage.services import billable_metric_create, usage_ingest
from usage.views import chart_bars, quantity

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def acme(db) -> Customer:
    return customer_create(name="Acme", ingest_aliases=["acme"])


@pytest.fixture
def tokens(db) -> BillableMetric:
    return billable_metric_create(
        name="Tokens",
        event_type_filter={"in_values": ["completion"]},
        property_filters=[{"name": "region", "in_values": ["us", "eu"]}],
        aggregation_type="SUM",
        aggregation_key="tokens",
        group_keys=[["region"]],
    )


def completion(tid: str, at: datetime, tokens: int, region: str = "us", customer: str = "acme"):
    return {"transaction_id": tid, "customer_id": customer, "event_type": "completion",
            "timestamp": at.isoformat(), "properties": {"tokens": tokens, "region": region}}  # fmt: skip


def ingest_recent(customer_id: str = "acme") -> datetime:
    """Four events in the last day: 100 + 250 in us, 50 in eu, 999 in apac (filtered out)."""
    now = timezone.now()
    usage_ingest(
        events=[
            completion("t1", now - timedelta(hours=1), 100, customer=customer_id),
            completion("t2", now - timedelta(hours=2), 250, customer=customer_id),
            completion("t3", now - timedelta(hours=3), 50, "eu", customer=customer_id),
            completion("t4", now - timedelta(hours=4), 999, "apac", customer=customer_id),
        ],
        now=now,
    )
    return now


DRAFT = {
    "name": "Tokens",
    "event_types": "completion",
    "property_filters": "region in us,eu\ntokens exists",
    "aggregation_type": "SUM",
    "aggregation_key": "tokens",
    "group_keys": "region",
}


# -- billable metric list and detail ------------------------------------------------------------


def test_list_shows_aggregation_and_products(client, bob, tokens):
    product_create(name="LLM tokens", type="USAGE", billable_metric=tokens)
    client.force_login(bob)
    page = client.get(reverse("usage:metric-list"))
    assert page.status_code == 200
    assert b"Tokens" in page.content and b"SUM of tokens" in page.content
    assert b"LLM tokens" in page.content
    assert b"New billable metric" not in page.content  # read-only


def test_list_hides_archived_search_and_filter_are_remembered(client, alice, tokens):
    old = billable_metric_create(name="Old calls", aggregation_type="COUNT")
    old.archived_at = timezone.now()
    old.save()
    client.force_login(alice)
    page = client.get(reverse("usage:metric-list"))
    assert b"Tokens" in page.content and b"Old calls" not in page.content
    fragment = client.get(
        reverse("usage:metric-list") + "?status=archived", HTTP_HX_TARGET="metric-table", **HX
    )
    assert b"<html" not in fragment.content and b'id="metric-table"' in fragment.content
    assert b"Old calls" in fragment.content and b">Tokens<" not in fragment.content
    assert ConsolePreference.objects.get(user=alice).value == {"status": "archived"}
    again = client.get(reverse("usage:metric-list"))
    assert b"Old calls" in again.content
    by_type = client.get(reverse("usage:metric-list") + "?status=all&aggregation=COUNT&q=old")
    assert b"Old calls" in by_type.content and b">Tokens<" not in by_type.content


def test_detail_rename_and_archive(client, fiona, tokens):
    client.force_login(fiona)
    url = reverse("usage:metric-detail", args=[tokens.public_id])
    page = client.get(url)
    assert page.status_code == 200
    assert b"region in us, eu" in page.content and b"No product prices this metric" in page.content
    renamed = client.post(
        reverse("usage:metric-set-name", args=[tokens.public_id]), {"name": "LLM tokens"}, **HX
    )
    assert renamed.status_code == 200 and b"LLM tokens" in renamed.content
    blank = client.post(
        reverse("usage:metric-set-name", args=[tokens.public_id]), {"name": ""}, **HX
    )
    assert blank.status_code == 422 and b"This field is required" in blank.content
    archived = client.post(reverse("usage:metric-archive", args=[tokens.public_id]), **HX)
    assert archived["HX-Redirect"] == url
    tokens.refresh_from_db()
    assert tokens.name == "LLM tokens" and tokens.archived_at is not None


def test_archiving_a_metric_in_use_is_an_inline_error(client, alice, tokens):
    product_create(name="LLM tokens", type="USAGE", billable_metric=tokens)
    client.force_login(alice)
    response = client.post(reverse("usage:metric-archive", args=[tokens.public_id]), **HX)
    assert response.status_code == 422
    assert b"used by product" in response.content and b'id="metric-archive"' in response.content
    tokens.refresh_from_db()
    assert tokens.archived_at is None


def test_unknown_metric_is_404(client, alice):
    client.force_login(alice)
    url = reverse("usage:metric-detail", args=["6f1c4a0e-0000-4000-8000-000000000000"])
    assert client.get(url).status_code == 404


# -- create form and live preview ---------------------------------------------------------------


def test_create_form_happy_path(client, alice):
    client.force_login(alice)
    assert client.get(reverse("usage:metric-create")).status_code == 200
    response = client.post(reverse("usage:metric-create"), DRAFT, **HX)
    metric = BillableMetric.objects.get()
    assert response["HX-Redirect"] == reverse("usage:metric-detail", args=[metric.public_id])
    assert metric.event_type_filter == {"in_values": ["completion"]}
    assert metric.property_filters == [
        {"name": "region", "in_values": ["us", "eu"]},
        {"name": "tokens", "exists": True},
    ]
    assert (metric.aggregation_type, metric.aggregation_key) == ("SUM", "tokens")
    assert metric.group_keys == [["region"]]
    plain = client.post(reverse("usage:metric-create"), {**DRAFT, "name": "Again"})
    assert plain.status_code == 302


def test_create_errors_render_inline_with_422(client, alice):
    client.force_login(alice)
    no_key = client.post(reverse("usage:metric-create"), {**DRAFT, "aggregation_key": ""}, **HX)
    assert no_key.status_code == 422
    assert b'id="metric-form"' in no_key.content and b"<html" not in no_key.content
    assert b"is required for SUM" in no_key.content
    bad_line = client.post(
        reverse("usage:metric-create"), {**DRAFT, "property_filters": "region maybe"}, **HX
    )
    assert bad_line.status_code == 422 and b"Line 1" in bad_line.content
    no_name = client.post(reverse("usage:metric-create"), {**DRAFT, "name": ""})
    assert no_name.status_code == 422 and b"<html" in no_name.content
    assert not BillableMetric.objects.exists()


def test_live_preview_computes_the_draft_over_recent_events(client, fiona, acme):
    ingest_recent()
    usage_ingest(  # another customer's events are not scanned
        events=[completion("x1", timezone.now() - timedelta(hours=1), 7000, customer="other")]
    )
    client.force_login(fiona)
    events_before = UsageEvent.objects.count()
    response = client.post(
        reverse("usage:metric-preview"),
        {**DRAFT, "preview_customer": str(acme.public_id), "lookback": "24h"},
        **HX,
    )
    assert response.status_code == 200
    assert b'<strong id="preview-total">400</strong>' in response.content
    assert b"3 of 4 events matched" in response.content
    assert b">350<" in response.content and b">50<" in response.content  # per region
    assert not BillableMetric.objects.exists()  # the preview writes nothing
    assert UsageEvent.objects.count() == events_before
    count = client.post(
        reverse("usage:metric-preview"),
        {"aggregation_type": "COUNT", "preview_customer": str(acme.public_id), "lookback": "7d"},
        **HX,
    )
    assert b'<strong id="preview-total">4</strong>' in count.content


def test_live_preview_reports_the_validation_error(client, fiona, acme):
    client.force_login(fiona)
    response = client.post(
        reverse("usage:metric-preview"),
        {**DRAFT, "aggregation_key": "", "preview_customer": str(acme.public_id)},
        **HX,
    )
    assert response.status_code == 422
    assert b"aggregation_key: is required for SUM" in response.content
    no_customer = client.post(reverse("usage:metric-preview"), DRAFT, **HX)
    assert no_customer.status_code == 200 and b"Choose a customer" in no_customer.content


# -- events explorer ----------------------------------------------------------------------------


def test_events_explorer_finds_by_transaction_id(client, bob, acme, tokens):
    ingest_recent()
    client.force_login(bob)
    page = client.get(reverse("usage:event-list") + "?transaction_id=t3")
    assert page.status_code == 200
    assert b"t3" in page.content and b">t1<" not in page.content
    assert b"&quot;region&quot;: &quot;eu&quot;" in page.content  # properties JSON
    assert b"Tokens</a>" in page.content  # matched metric
    assert b"Acme</a>" in page.content  # the alias resolved to the customer


def test_events_explorer_finds_by_alias_and_by_customer_id(client, bob, acme):
    ingest_recent()
    usage_ingest(events=[completion("by-id", timezone.now(), 5, customer=str(acme.public_id))])
    usage_ingest(events=[completion("stranger", timezone.now(), 5, customer="nobody")])
    client.force_login(bob)
    for value in ("acme", str(acme.public_id)):
        page = client.get(reverse("usage:event-list"), {"customer": value})
        for tid in (b"t1", b"t4", b"by-id"):
            assert tid in page.content
        assert b"stranger" not in page.content
    unknown = client.get(reverse("usage:event-list"), {"customer": "nobody"})
    assert b"stranger" in unknown.content and b"No customer has the id or alias" in unknown.content


def test_events_explorer_pages_newest_first(client, bob):
    now = timezone.now()
    usage_ingest(
        events=[completion(f"p{i:03}", now - timedelta(minutes=i), 1) for i in range(60)], now=now
    )
    client.force_login(bob)
    first = client.get(reverse("usage:event-list"), {"event_type": "completion"})
    assert first.content.index(b"p000") < first.content.index(b"p001")
    assert b"p049" in first.content and b"p050" not in first.content
    after = first.context["page"].next_cursor
    second = client.get(
        reverse("usage:event-list"),
        {"event_type": "completion", "after": after},
        HTTP_HX_TARGET="event-table",
        **HX,
    )
    assert b"<html" not in second.content
    assert b"p050" in second.content and b"p059" in second.content and b"p049" not in second.content
    assert b"Older" not in second.content and b"Newest" in second.content


# -- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["metric-set-name", "metric-archive"])
def test_read_only_cannot_change_a_metric(client, bob, charlie, tokens, name):
    for user in (bob, charlie):
        client.force_login(user)
        url = reverse(f"usage:{name}", args=[tokens.public_id])
        assert client.post(url, {"name": "x"}).status_code == 403
    tokens.refresh_from_db()
    assert tokens.name == "Tokens" and tokens.archived_at is None


def test_read_only_cannot_create(client, bob):
    client.force_login(bob)
    assert client.post(reverse("usage:metric-create"), DRAFT).status_code == 403
    assert client.get(reverse("usage:metric-create")).status_code == 403
    assert not BillableMetric.objects.exists()


def test_anonymous_is_sent_to_login(client):
    for name in ("usage:metric-list", "usage:event-list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# -- usage chart --------------------------------------------------------------------------------


def test_chart_fragment_renders_daily_bars(client, bob, acme, tokens):
    now = timezone.now()
    yesterday = now - timedelta(days=1)
    usage_ingest(
        events=[
            completion("c1", now, 100),
            completion("c2", now, 25, "eu"),
            completion("c3", yesterday, 40),
            completion("c4", now - timedelta(days=31), 1000),
        ],
        now=now,
    )
    client.force_login(bob)
    count = billable_metric_create(name="Completions", aggregation_type="COUNT")
    url = reverse("usage:usage-chart")
    response = client.get(url, {"customer": acme.public_id, "metric": tokens.public_id}, **HX)
    assert response.status_code == 200 and b"<html" not in response.content
    content = response.content.decode()
    assert content.count('<g class="bar') == 30
    assert f'data-day="{now:%Y-%m-%d}" data-value="125"' in content
    assert f'data-day="{yesterday:%Y-%m-%d}" data-value="40"' in content
    assert f"<title>{now:%b} {now.day}, {now:%Y}: 125</title>" in content
    assert "1,000" not in content  # 31 days ago is outside the last 30 days
    other = client.get(url, {"customer": "acme", "metric": count.public_id}, **HX)
    assert f'data-day="{now:%Y-%m-%d}" data-value="2"' in other.content.decode()
    page = client.get(reverse("customers:customer-detail", args=[acme.public_id]))
    assert b'hx-get="/billable-metrics/usage-chart?customer=' in page.content


def test_chart_bar_geometry_is_scaled_to_the_largest_day():
    days = [(datetime(2026, 3, d, tzinfo=UTC), Decimal(v)) for d, v in ((1, 0), (2, 50), (3, 100))]
    chart = chart_bars(days)
    heights = [bar["height"] for bar in chart["bars"]]
    assert heights == [0, 75, 150]
    assert [bar["value"] for bar in chart["bars"]] == ["0", "50", "100"]
    assert chart["bars"][2]["y"] == chart["top"]
    assert quantity(Decimal("1234567.50")) == "1,234,567.5"
    assert quantity(Decimal("1E+3")) == "1,000"
