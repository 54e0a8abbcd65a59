"""The console's audit log reads as finance says it: the object's name, the field's label, money
in major units, dates as "Jun 1, 2027", moments to the minute; system changes on request."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import ContractEdit
from invoicing.tests.factories import priced_world
from pricing.services import rate_update
from reports.audit_display import console_entries

JUN_2027 = datetime(2027, 6, 1, tzinfo=UTC)
MAR_2027 = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.fixture
def world(db):
    """Acme's "Enterprise 2026" contract to June 1, 2027 at $25.00 a call (made by the system:
    outside any request); then alice moves the end to March 1 and raises the price to $30."""
    world = priced_world(price=2500, contract_extra={
        "name": "Enterprise 2026", "ending_before": "2027-06-01T00:00:00Z",
    })  # fmt: skip
    return world


def _as(user, change) -> None:
    with set_actor(user, remote_addr="198.51.100.4"):
        change()


def _end_march(world) -> None:
    contract = world.contract
    contract.ending_before = MAR_2027
    contract.save(update_fields=["ending_before"])


def test_a_change_reads_as_a_sentence_with_the_objects_name(world, alice):
    _as(alice, lambda: _end_march(world))
    _as(alice, lambda: rate_update(rate=world.rate, price=Decimal("3000")))
    contract_entry, rate_entry = console_entries(
        LogEntry.objects.filter(actor=alice).order_by("pk")
    )
    assert contract_entry["sentence"] == (
        "Contract Acme — Enterprise 2026: end date Jun 1, 2027 → Mar 1, 2027"
    )
    assert rate_entry["sentence"].endswith(": price $25.00 → $30.00")
    assert "3000" not in rate_entry["sentence"]


def test_rows_without_a_name_of_their_own_are_named_by_what_they_belong_to(world):
    edit = ContractEdit.objects.create(contract=world.contract, changes={"add_commits": []})
    [entry] = console_entries(LogEntry.objects.get_for_object(edit))
    assert entry["subject"] == "Contract edit on contract Acme — Enterprise 2026"
    assert "object (" not in entry["sentence"]


def test_the_page_shows_names_labels_money_and_minutes(client, world, alice, bob):
    _as(alice, lambda: _end_march(world))
    _as(alice, lambda: rate_update(rate=world.rate, price=Decimal("3000")))
    client.force_login(bob)
    html = client.get(reverse("reports:audit-list")).content.decode()
    assert ">Acme — Enterprise 2026</a>" in html
    assert (
        '<span class="audit-field">end date</span> <del>Jun 1, 2027</del> → <ins>Mar 1, 2027</ins>'
        in html
    )
    assert "<del>$25.00</del> → <ins>$30.00</ins>" in html
    assert "ending_before" not in html and "2027-06-01" not in html
    stamp = LogEntry.objects.filter(actor=alice).first().timestamp
    assert stamp.strftime("%b %-d, %Y, %H:%M") in html
    assert f"{stamp:%H:%M:%S}.{stamp.microsecond:06d}" not in html


def test_system_changes_are_hidden_until_asked_for(client, world, alice, bob):
    _as(alice, lambda: _end_march(world))
    client.force_login(bob)
    url = reverse("reports:audit-list")
    system = LogEntry.objects.filter(actor__isnull=True).count()
    assert system > 0  # the set-up: customer, rate card, contract, ... made by no one

    default = client.get(url).content.decode()
    assert default.count('class="audit-entry') == 1 and ">System<" not in default
    shown = client.get(url, {"system": "on"}).content.decode()
    assert shown.count('class="audit-entry') == system + 1
    assert 'name="system" id="id_system" checked' in shown
    by_who = client.get(url, {"actor": "system"}).content.decode()
    assert by_who.count('class="audit-entry system"') == system
    assert f"{system} entries" in by_who


def test_the_api_keeps_every_entry_and_its_wire_shape(api, world, alice):
    _as(alice, lambda: _end_march(world))
    data = api.get("/v1/auditLogs", {"limit": 100}).json()["data"]
    assert len(data) == LogEntry.objects.count()  # system entries included, as before
    update = next(e for e in data if e["action"] == "update" and e["resource_type"] == "contract")
    assert update["description"] == "Updated contract “Enterprise 2026”: ending_before"
    assert update["changes"] == {"ending_before": ["2027-06-01 00:00:00", "2027-03-01 00:00:00"]}


def test_naming_a_page_of_entries_reads_a_fixed_number_of_queries(world, alice):
    def queries() -> int:
        rows = list(LogEntry.objects.select_related("actor", "content_type").order_by("pk"))
        with CaptureQueriesContext(connection) as captured:
            console_entries(rows)
        return len(captured)

    ContractEdit.objects.create(contract=world.contract, changes={})
    _as(alice, lambda: _end_march(world))
    few = queries()
    for _ in range(5):
        ContractEdit.objects.create(contract=world.contract, changes={})
    _as(alice, lambda: rate_update(rate=world.rate, price=Decimal("3000")))
    assert queries() <= few + 1  # (+1: the rate's credit type, read once for its money)
