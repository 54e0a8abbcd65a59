"""The contract page's commit form and the package builder's share one template
(contracts/partials/commit_fields.html), worded by each form's `texts`. In a real browser
(Playwright + Debian's Chromium): each shows its own words, a second access item comes and goes
by its buttons, the ids are unique and every input has its label; screenshots of both forms at
1440 and 390 px go to $SCREENSHOT_DIR (default var/screenshots), neither scrolling sideways."""

import pytest

from billing_console.tests.form_labels import label_problems
from billing_console.tests.screenshots import element_shots
from contracts.tests.factories import console_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(db):
    return console_world()


def _check(page, selector: str, name: str) -> None:
    assert not label_problems(page.content()), name
    element_shots(page, name, selector)
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), name
    page.set_viewport_size({"width": 1440, "height": 900})


def test_the_contract_commit_form(page, login, dave, world):
    login("dave")
    page.goto(f"/contracts/{world.contract.public_id}/")
    form = page.locator("#commit-form")
    legends = form.locator(".commit-fields fieldset.schedule > legend").all_inner_texts()
    assert legends == ["Access schedule", "Invoice schedule", "What it pays for"]
    assert form.locator("button.sr-only").inner_text() == "Add"  # Enter adds the commit
    form.get_by_role("button", name="Another access item").click()
    page.locator("#commit-form input[name=amount_1]").wait_for()  # the form came back (htmx)
    assert page.locator("#commit-form [aria-label='Remove access item 2']").count() == 1
    _check(page, "#commit-form", "commit-form-contract")


def test_the_package_commit_form(page, login, dave, world):
    login("dave")
    page.goto("/packages/create")
    page.click("#package-form button[value='open:commit']")
    form = page.locator("fieldset.item-form")
    form.wait_for()
    legends = form.locator(".commit-fields fieldset.schedule > legend").all_inner_texts()
    assert legends == ["When it can be used", "Invoice schedule", "What it pays for"]
    assert form.locator(".commit-fields button.sr-only").count() == 0
    assert form.locator("details > summary").inner_text() == (
        "Narrower: by product, tags or group values"
    )
    form.get_by_role("button", name="Another period").click()
    page.locator("fieldset.item-form input[name=amount_1]").wait_for()
    assert page.locator("fieldset.item-form [aria-label='Remove access item 2']").count() == 1
    _check(page, "fieldset.item-form", "commit-form-package")
