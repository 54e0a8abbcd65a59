"""The console's end-date form (contracts/console/end_date.py) through the test client: a new
end that trims anything is reviewed first (nothing written), Confirm applies only the plan that
was shown, a refusal comes back beside the field (422), and a change that trims nothing applies
at once."""

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from contracts.models import Commit, ContractEdit, ScheduledChargeItem
from contracts.terms.ledger import ledger_manual_add
from contracts.tests.end_date_world import NOW, trim_world

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def tw(db):
    return trim_world()


def _post(client, tw, **data):
    url = reverse("contracts:contract-update-terms", args=[tw.contract.public_id])
    with time_machine.travel(NOW, tick=False):
        return client.post(url, {"name": "", "ending_before": "2026-03-15", **data}, **HTMX)


def _fingerprint(html: str) -> str:
    return html.split('name="confirm" value="', 1)[1].split('"', 1)[0]


def test_a_trimming_end_is_reviewed_then_confirmed(client, dave, tw):
    client.force_login(dave)
    review = _post(client, tw)
    html = review.content.decode()
    assert review.status_code == 200
    assert review["HX-Retarget"] == "#end-date-preview" and review["HX-Reswap"] == "outerHTML"
    assert html.lstrip().startswith('<section id="end-date-preview"')
    assert "$4,500.50" in html and "$10,500.50" in html
    assert ScheduledChargeItem.objects.count() == 5 and not ContractEdit.objects.filter(
        actor="dave"
    )

    stale = _post(client, tw, confirm="not-the-plan-shown")
    assert "The contract changed since you opened this review" in stale.content.decode()
    assert ScheduledChargeItem.objects.count() == 5

    done = _post(client, tw, confirm=_fingerprint(html))
    assert done.status_code == 200 and done["HX-Redirect"].endswith(f"/{tw.contract.public_id}/")
    assert ScheduledChargeItem.objects.count() == 2
    edit = ContractEdit.objects.get(actor="dave")
    assert len(edit.wire["end_date_trim"]["scheduled_charge_items_removed"]) == 3


def test_a_refused_end_shows_beside_the_field(client, dave, tw):
    credit = Commit.objects.get(name="Q2 credit")
    ledger_manual_add(commit=credit, segment=credit.segments.get(), amount=Decimal("1000"),
                      reason="Goodwill")  # fmt: skip
    client.force_login(dave)
    response = _post(client, tw)
    assert response.status_code == 422
    assert response.content.decode().lstrip().startswith('<form id="terms-form"')
    assert "holds a manual entry; it cannot be removed." in response.content.decode()
    assert ScheduledChargeItem.objects.count() == 5


def test_a_name_change_or_an_end_that_trims_nothing_applies_at_once(client, dave, tw):
    client.force_login(dave)
    response = _post(client, tw, name="Acme 2026", ending_before="2027-01-01")
    assert "HX-Redirect" in response
    tw.contract.refresh_from_db()
    assert tw.contract.name == "Acme 2026" and tw.contract.ending_before.year == 2027
    assert ScheduledChargeItem.objects.count() == 5
