"""Deal desk builds a good / better / best package set in a real browser (Playwright + Debian's
Chromium) through the builder's forms only: names from menus, dollars, "12 months", "month 2";
no JSON and no id typed. Then a contract from "Better" (its page's "New contract") carries
its terms. Screenshots of the builder, the package page and the contract form it opens at 1440
and 390 px go to $SCREENSHOT_DIR (default var/screenshots), and none scrolls sideways at 390 px."""

import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from billing_console.lib.periods import add_months
from contracts.models import Contract
from customers.services import customer_create
from pricing import services
from pricing.models import Package, Product
from usage.services import billable_metric_create

pytestmark = pytest.mark.browser

OFFERS = {
    # name: (annual prepaid commit, % off Storage, monthly credit)
    "Good": ("6,000", None, None),
    "Better": ("$12,000", "20", "500"),
    "Best": ("30,000.00", "30%", "1,000"),
}


@pytest.fixture
def catalog(db):
    for name in ("API calls", "Storage"):
        metric = billable_metric_create(name=name, aggregation_type="COUNT")
        services.product_create(name=name, type="USAGE", billable_metric=metric)
    services.product_create(name="Prepaid commit", type="FIXED")
    services.product_create(name="Monthly credit", type="FIXED")
    customer_create(name="Acme Robotics", ingest_aliases=["acme"])
    return services.rate_card_create(name="List prices 2026")


def _shots(page, name: str) -> None:
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)  # let the new width paint: full-page shots can lag it
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        if width == 390:
            wide = page.evaluate("document.documentElement.scrollWidth <= innerWidth")
            assert wide, f"{name} scrolls sideways at 390 px"
    page.set_viewport_size({"width": 1440, "height": 900})


def _open(page, kind: str):
    page.click(f"#package-form button[value='open:{kind}']")
    form = page.locator("fieldset.item-form")
    form.wait_for()
    return form


def _add(page) -> None:
    page.click("#package-form .item-form button[value=add]")
    page.locator("fieldset.item-form").wait_for(state="detached")


def _build(page, name: str, commit: str, off: str | None, credit: str | None, shot: bool):
    page.goto("/packages/create")
    page.fill("[name=package-name]", name)
    page.select_option("[name=package-rate_card]", label="List prices 2026")
    page.fill("[name=package-contract_name]", f"{name} plan")
    page.fill("[name=package-duration]", "12 months")

    form = _open(page, "commit")
    form.locator("[name=kind]").select_option(label="Prepaid commit")
    form.locator("[name=name]").fill("Annual commit")
    form.locator("[name=product]").select_option(label="Prepaid commit")
    form.locator("[name=amount]").fill(commit)
    form.locator("[name=lasts]").fill("12 months")
    if shot:  # the commit form, the builder's largest
        _shots(page, "package-builder-commit")
    _add(page)
    if off:
        form = _open(page, "override")
        form.locator("[name=type]").select_option("PERCENT_OFF")
        form.locator("[name=percent_off]").fill(off)
        form.locator("[name=product]").select_option(label="Storage")
        form.locator("[name=starts]").fill("month 2")
        _add(page)
    if credit:
        form = _open(page, "recurring")
        form.locator("[name=kind]").select_option("CREDIT")
        form.locator("[name=name]").fill("Monthly credit")
        form.locator("[name=product]").select_option(label="Monthly credit")
        form.locator("[name=priority]").fill("1")
        form.locator("[name=frequency]").select_option("MONTHLY")
        form.locator("[name=access_amount]").fill(credit)
        form.locator("[name=proration]").select_option("NONE")
        _add(page)
    if shot:  # the builder with its items and a form open, as deal desk sees it
        _open(page, "charge")
        _shots(page, "package-builder")
        page.click("#package-form button[value=cancel]")
        page.locator("fieldset.item-form").wait_for(state="detached")
    page.click("#package-form button.primary[value=create]")
    page.wait_for_url("**/packages/*-*/")


def test_deal_desk_builds_good_better_best_and_a_contract_from_better(page, login, dave, catalog):
    login("dave")
    for name, (commit, off, credit) in OFFERS.items():
        _build(page, name, commit, off, credit, shot=name == "Better")
        summary = page.inner_text(".package-summary")
        assert summary.startswith("12 months · ")
        if name == "Better":
            assert summary == (
                "12 months · $12,000.00 prepaid commit, pays for any usage · "
                "$500.00 credit each month · 20% off Storage"
            )
            _shots(page, "package-page")
    assert set(Package.objects.values_list("name", flat=True)) == set(OFFERS)
    page.goto("/packages/")
    assert "$30,000.00 prepaid commit, pays for any usage" in page.inner_text("#package-table")
    _shots(page, "package-list")
    best = Package.objects.get(name="Best")
    assert best.terms["overrides"][0]["multiplier"] == 0.7
    commit = best.terms["commits"][0]["access_schedule"]["schedule_items"][0]
    assert commit["amount"] == 3_000_000  # stored in cents, as the API has it
    assert "Storage" not in Package.objects.get(name="Good").terms.get("overrides", "")

    # A contract from Better, by its page's "New contract": Better and its term come chosen.
    page.goto(f"/packages/{Package.objects.get(name='Better').public_id}/")
    page.click("a.button:has-text('New contract')")
    page.wait_for_url("**/contracts/new?package=*")
    assert (
        page.eval_on_selector("#id_source", "s => s.selectedOptions[0].text") == "Package: Better"
    )
    assert page.input_value("#id_duration") == ""  # the package's term
    _shots(page, "contract-from-package")
    page.select_option("#id_customer", label="Acme Robotics")
    page.select_option("#id_start", "this_month")
    page.click("button:has-text('Create contract')")
    page.wait_for_url("**/contracts/*-*/")
    contract = Contract.objects.get(package__name="Better")
    today = datetime.now(UTC).date()
    start = datetime(today.year, today.month, 1, tzinfo=UTC)
    assert (contract.starting_at, contract.ending_before) == (start, add_months(start, 12))
    assert page.inner_text("h1") == "Better plan"
    [commit] = contract.commits.filter(kind="PREPAID")  # the credits it issues are apart
    assert (commit.kind, commit.name) == ("PREPAID", "Annual commit")
    [segment] = commit.segments.all()
    assert segment.amount == Decimal(1_200_000)
    assert (segment.starting_at, segment.ending_before) == (start, add_months(start, 12))
    [override] = contract.overrides.all()
    storage = Product.objects.get(name="Storage")
    assert override.multiplier == Decimal("0.8")
    assert override.override_specifiers == [{"product_id": str(storage.public_id)}]
    assert override.starting_at == add_months(start, 1)
    [credit] = contract.recurring_commits.all()
    assert (credit.kind, credit.frequency) == ("CREDIT", "MONTHLY")
    text = page.inner_text("main")
    assert "Annual commit" in text and "$12,000.00" in text and "20% off list" in text
