"""Every console page of the demo passes the label check (billing_console/tests/form_labels.py):
no id twice, every input with exactly one label. The crawl is test_money_everywhere's: every
link of every page from the home page, a few pages per URL name, signed in as the demo admin
(who sees every edit form); plus the forms' own fragments as htmx gets them back with errors."""

import re
from collections import Counter, deque
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse

from billing_console.tests.form_labels import label_problems
from contracts.tests.end_date_world import NOW, trim_world
from customers.billing_providers import billing_provider_set_up
from invoicing.models import Invoice
from invoicing.tests.factories import priced_world
from reports import services as report_services
from reports.exports import export_schedule_create
from usage import demo as usage_demo
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

PER_URL_NAME = 3  # pages visited per URL name, but for the pages with a form per row:
EVERY_ONE = {"contracts:contract-detail", "customers:customer-detail"}
SKIPPED = ("/logout/", "/admin/", "/docs/", "/openapi.json", "/static/", "/v1/", "/v2/", "/embed/")
HREF = re.compile(r'href="(/[^"#]*)"')
# URL names the crawl must reach: the pages with the most forms.
MUST_REACH = (
    "customers:customer-list", "customers:customer-detail", "contracts:contract-detail",
    "contracts:contract-create", "invoicing:invoice-list", "invoicing:invoice-detail",
    "pricing:rate-card-list", "pricing:rate-card-detail", "pricing:rate-edit",
    "pricing:product-detail", "pricing:product-update", "contracts:package-create",
    "contracts:package-detail", "usage:metric-create", "usage:metric-detail", "usage:event-list",
    "alerts:alert-list", "alerts:alert-create", "alerts:alert-detail",
    "alerts:notification-settings", "alerts:offset-edit", "reports:report-list",
    "reports:report-detail", "reports:export-list", "reports:export-detail",
    "reports:audit-list", "reports:customer-overview", "settings",
    "billing-provider-list", "webhooks:endpoint-list", "webhooks:endpoint-detail",
)  # fmt: skip


@pytest.fixture
def demo(settings, monkeypatch, tmp_path, django_capture_on_commit_callbacks) -> User:
    """The demo, with what it leaves out: a report, an export, a webhook, a Stripe account."""
    settings.REPORTS_DIR = tmp_path / "reports"
    settings.EXPORTS_LOCAL_ROOT = tmp_path / "exports"
    monkeypatch.setattr(usage_demo, "DAYS", 3)  # 3 days of usage rather than 30 (speed)
    call_command("load_demo", force=True)
    with django_capture_on_commit_callbacks(execute=True):
        report_services.report_run_start(dataset="invoices", params={})
    export_schedule_create(dataset="invoice_line_items", data={
        "name": "Lines", "format": "csv", "frequency": "DAILY", "destination": "local",
        "local_directory": "warehouse"})  # fmt: skip
    endpoint_create(url="https://hooks.example.com/billing", description="Warehouse")
    billing_provider_set_up(data={
        "billing_provider": "stripe", "delivery_method": "direct_to_billing_provider",
        "configuration": {"name": "US entity", "stripe_secret_key": "sk_test_" + "a" * 24,
                          "stripe_webhook_secret": "whsec_abcdefgh1234"},
    })  # fmt: skip
    return User.objects.get(username="demo")


def _crawl(client, start: list[str]) -> tuple[dict[str, list[str]], Counter]:
    """url -> label problems, and pages seen per URL name."""
    queue, seen, per_name = deque(start), set(start), Counter()
    problems: dict[str, list[str]] = {}
    while queue:
        url = queue.popleft()
        response = client.get(url, follow=True)
        assert response.status_code == 200, (url, response.status_code)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        if found := label_problems(html):
            problems[url] = found
        for link in HREF.findall(html):
            link = unescape(link)
            if link in seen or link.startswith(SKIPPED):
                continue
            seen.add(link)
            try:
                name = resolve(link.split("?")[0]).view_name
            except Resolver404:
                continue
            if per_name[name] >= PER_URL_NAME and name not in EVERY_ONE:
                continue
            per_name[name] += 1
            queue.append(link)
    return problems, per_name


def test_every_console_page_labels_each_input_once(client, demo):
    assert label_problems(client.get("/login/").content.decode()) == []
    client.force_login(demo)
    # A draft invoice and a finalized one (their pages have different forms) besides the links.
    invoices = [Invoice.objects.filter(status=s).first() for s in ("DRAFT", "FINALIZED")]
    start = ["/", *(f"/invoices/{invoice.public_id}/" for invoice in invoices)]
    problems, per_name = _crawl(client, start)
    for name in MUST_REACH:
        assert per_name[name], f"the crawl never reached {name}"
    assert problems == {}


def _ids(html: str) -> set[str]:
    return set(re.findall(r' id="([^"]+)"', html))


@pytest.mark.parametrize(
    "name",
    ["commit", "override", "charge", "recurring", "subscription", "discount", "pro-service",
     "external-ids", "terms"],
)  # fmt: skip
def test_a_contract_form_returned_with_errors_keeps_its_ids(client, dave, name):
    """The 422 fragment swapped in for the form: its ids are those of the form it replaces
    (no id_ defaults colliding with the page's other forms)."""
    contract = priced_world().contract
    client.force_login(dave)
    page = client.get(reverse("contracts:contract-detail", args=[contract.public_id]))
    url_name = {"external-ids": "contract-external-ids", "terms": "contract-update-terms"}.get(
        name, f"contract-add-{name}"
    )
    data = {"name": "x" * 300, "ending_before": "not a date", "product": "nope",
            "salesforce_opportunity_id": "x" * 1000}  # fmt: skip
    response = client.post(
        reverse(f"contracts:{url_name}", args=[contract.public_id]), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    fragment = response.content.decode()
    assert label_problems(fragment) == []
    assert f'id="{name}-form"' in fragment
    shown = page.content.decode()
    if f"?form={name}-form" in shown:  # loaded when its <details> opens (contract_detail)
        url = reverse("contracts:contract-detail", args=[contract.public_id])
        shown = client.get(url, {"form": f"{name}-form"}).content.decode()
    assert _ids(fragment) <= _ids(shown)


def test_the_end_date_review_repeats_no_id_of_the_page(client, dave):
    """The review is swapped into the page's empty slot, beside the terms form it repeats in
    hidden inputs: those carry the values, not the ids."""
    world = trim_world()
    client.force_login(dave)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("contracts:contract-detail", args=[world.contract.public_id]))
        url = reverse("contracts:contract-update-terms", args=[world.contract.public_id])
        review = client.post(
            url, {"name": "", "ending_before": "2026-03-15"}, HTTP_HX_REQUEST="true"
        )
    assert review["HX-Retarget"] == "#end-date-preview"
    fragment = review.content.decode()
    assert label_problems(fragment) == []
    assert _ids(fragment) & _ids(page.content.decode()) == {"end-date-preview"}


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<label for="a">A</label><input id="a" name="a">', []),
        ('<label>A <input name="a"></label>', []),
        ('<input name="a" aria-label="Amount">', []),
        ('<span id="l">A</span><input name="a" aria-labelledby="l">', []),
        ('<input type="hidden" name="a"><button>Go</button>', []),
        ('<input name="a">', ["<input name='a' id=''> has no label"]),
        ('<label for="a">A</label><label for="a">B</label><input id="a" name="a">',
         ["<input name='a' id='a'> has 2 labels"]),
        ('<label for="a">A <input id="a" name="a"></label>', []),
        ('<label for="a">A</label><input id="a" name="a"><label for="a">B</label><input id="a" name="b">',
         ["id 'a' used 2 times", "<input name='a' id='a'> has 2 labels",
          "<input name='b' id='a'> has 2 labels"]),
        ('<label for="b">A</label><input id="a" name="a">',
         ["<label for='b'> names no control", "<input name='a' id='a'> has no label"]),
        ('<template><input name="a"></template>', []),
    ],
)  # fmt: skip
def test_the_check_itself(html, expected):
    assert label_problems(html) == expected
