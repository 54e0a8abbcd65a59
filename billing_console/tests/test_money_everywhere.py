"""One money rule, checked on the demo: every console page reachable from the home page, the
customers' embeds and the invoices' PDFs show amounts in major units ("$12,000.00") and never
say "(cents)"; report CSVs carry a major-unit column headed with its unit.

The crawl follows every link (href) of every page it reaches, at most a few pages per URL name
(one customer's page is much like the next), signed in as the demo admin."""

import re
from collections import Counter, deque
from decimal import Decimal
from html import unescape
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import Resolver404, resolve

from billing_console.embedding import EmbedGrant, embed_token_sign
from customers import demo as customers_demo
from reports import services as report_services
from reports.models import ReportRun
from reports.tests.factories import read_csv
from usage import demo as usage_demo

pytestmark = pytest.mark.django_db

PER_URL_NAME = 3  # pages visited per URL name
SKIPPED = ("/logout/", "/admin/", "/docs/", "/openapi.json", "/static/", "/v1/", "/v2/")
HREF = re.compile(r'href="(/[^"#]*)"')
# Money written as the API has it, where the console shows amounts: a raw number after an
# amount key of wire-shaped terms (package terms, audit diffs), or the demo's commits in cents.
RAW_TERMS = re.compile(r'"(amount|unit_price|price|threshold_amount|recharge_to_amount)": \d')
DEMO_CENTS = ("1,200,000", "6,000,000", "1200000", "6000000")  # $12,000 and $60,000 commits


@pytest.fixture
def demo(settings, monkeypatch, tmp_path, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    settings.REPORTS_DIR = tmp_path / "reports"
    monkeypatch.setattr(usage_demo, "DAYS", 3)  # 3 days of usage rather than 30 (speed)
    call_command("load_demo")
    for dataset in ("invoices", "commits_and_credits"):
        with django_capture_on_commit_callbacks(execute=True):
            report_services.report_run_start(dataset=dataset, params={})
    return User.objects.get(username="demo")


def _problems(text: str) -> list[str]:
    found = []
    if "(cents)" in text:
        at = text.index("(cents)")
        found.append(f"says (cents): …{text[max(0, at - 60) : at + 10]}…")
    found += [f"raw amount in terms: {m.group(0)}" for m in RAW_TERMS.finditer(text)]
    found += [f"an amount in cents: {cents}" for cents in DEMO_CENTS if cents in text]
    return found


class _FakeHtml:
    """weasyprint.HTML, recording the document instead of laying it out (the PDF's text)."""

    documents: list[str] = []

    def __init__(self, string: str, **_: object) -> None:
        self.documents.append(string)

    def render(self) -> "_FakeHtml":
        self.metadata = mock.Mock()
        return self

    def write_pdf(self) -> bytes:
        return b"%PDF-"


def _crawl(client) -> tuple[dict[str, list[str]], Counter, list[str]]:
    """url -> problems, pages seen per URL name, and the CSV downloads met on the way."""
    queue, seen, per_name = deque(["/"]), {"/"}, Counter()
    problems: dict[str, list[str]] = {}
    downloads: list[str] = []
    while queue:
        url = queue.popleft()
        response = client.get(url, follow=True)
        assert response.status_code == 200, (url, response.status_code)
        kind = response.get("Content-Type", "")
        if "text/csv" in kind:
            downloads.append(url)
            continue
        if "text/html" not in kind:
            continue
        html = unescape(response.content.decode())
        if found := _problems(html):
            problems[url] = found
        for link in HREF.findall(response.content.decode()):
            link = unescape(link)
            if link in seen or link.startswith(SKIPPED):
                continue
            seen.add(link)
            try:
                name = resolve(link.split("?")[0]).view_name
            except Resolver404:
                continue
            if per_name[name] >= PER_URL_NAME:
                continue
            per_name[name] += 1
            queue.append(link)
    return problems, per_name, downloads


def test_no_console_page_embed_or_pdf_shows_cents(client, demo):
    client.force_login(demo)
    with mock.patch("weasyprint.HTML", _FakeHtml):
        problems, per_name, downloads = _crawl(client)
    # The crawl reached the money pages (not just the home page).
    for name in (
        "pricing:rate-card-detail", "contracts:package-detail", "invoicing:invoice-detail",
        "invoicing:invoice-pdf", "customers:customer-detail", "contracts:contract-detail",
        "alerts:alert-detail", "reports:audit-list", "reports:report-detail",
    ):  # fmt: skip
        assert per_name[name], f"the crawl never reached {name}"
    assert _FakeHtml.documents, "no invoice PDF was rendered"
    for document in _FakeHtml.documents:
        problems.update({"(invoice PDF)": found} for found in [_problems(document)] if found)
    # The customers' embeddable dashboards.
    for customer in customers_demo.customers()[:3]:
        for dashboard in ("invoices", "usage", "credits", "commits_and_credits"):
            grant = EmbedGrant(customer_id=str(customer.public_id), dashboard=dashboard)
            url = f"/embed/{embed_token_sign(grant)}/"
            response = client.get(url)
            assert response.status_code == 200, url
            if found := _problems(unescape(response.content.decode())):
                problems[f"embed {dashboard} of {customer.name}"] = found
    assert problems == {}
    assert downloads, "no CSV download was reached"


def test_report_csvs_carry_amounts_in_major_units_and_say_so(demo):
    runs = ReportRun.objects.order_by("pk")
    invoices = next(run for run in runs if run.dataset == "invoices")
    path = report_services.report_file_path(invoices)
    header = path.read_text().splitlines()[0].split(",")
    assert header[header.index("total") + 1] == "total (USD)"
    assert header[header.index("credit_type") + 1] == "currency"
    rows = read_csv(path)
    assert rows, "the demo has invoices"
    for row in rows:
        assert row["currency"] == "USD"
        assert Decimal(row["total"]) == Decimal(row["total (USD)"]).scaleb(2)  # cents, dollars
    commits = next(run for run in runs if run.dataset == "commits_and_credits")
    header = report_services.report_file_path(commits).read_text().splitlines()[0].split(",")
    for amount in ("access_amount", "invoiced_amount", "available_balance", "remaining_balance"):
        assert header[header.index(amount) + 1] == f"{amount} (USD)"
