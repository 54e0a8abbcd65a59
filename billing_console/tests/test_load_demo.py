"""load_demo: works on the demo's own customers only (marked at creation), idempotent, and
refuses DEBUG off without --force. Its idempotence and sign-in: test_console.py."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from alerts.models import CustomerAlert
from billing_console.custom_fields import custom_field_key_add
from billing_console.lib.periods import add_months
from billing_console.management.commands.load_demo import REFUSED_WITHOUT_DEBUG
from billing_console.models import ApiToken
from contracts.models import Contract
from contracts.services import contract_create
from customers import demo as customers_demo
from customers.models import Customer
from customers.services import customer_create
from invoicing.models import Invoice
from pricing.models import RateCard
from usage import demo as usage_demo
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_debug(settings, monkeypatch):
    """DEBUG on, as under `make run`, and 3 days of demo usage rather than 30 (speed)."""
    settings.DEBUG = True
    monkeypatch.setattr(usage_demo, "DAYS", 3)


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, int, int]:
    return UsageEvent.objects.count(), Contract.objects.count(), Invoice.objects.count()


def test_it_refuses_debug_off_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("load_demo", stdout=StringIO())
    assert str(REFUSED_WITHOUT_DEBUG).startswith("load_demo creates the users demo/demo")
    assert not User.objects.filter(username="demo").exists()
    assert not ApiToken.objects.exists() and not Customer.objects.exists()


def test_force_loads_it_with_debug_off(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr(usage_demo, "DAYS", 1)
    call_command("load_demo", "--force", stdout=StringIO())
    assert User.objects.filter(username="demo").exists()
    assert customers_demo.customers().count() == 8


def test_a_customer_created_between_two_runs_is_left_untouched(demo_debug):
    # One frozen moment: a later run adds the demo's usage since the last one, so a clock
    # that crossed an hour between the two runs would add a few demo events (CI saw +2).
    now = datetime(2026, 3, 10, 10, 30, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        _load()
        demo = _counts()
        mine = customer_create(name="Mine", ingest_aliases=["mine"])
        start = add_months(now.replace(day=1, hour=0, minute=0, second=0), -2)
        contract = contract_create(customer=mine, data={
            "starting_at": start.isoformat(), "usage_statement_schedule": {"frequency": "MONTHLY"},
            "rate_card_id": str(RateCard.objects.get(name="Standard 2026").public_id),
        })  # fmt: skip

        _load()

    assert list(Contract.objects.filter(customer=mine)) == [contract]
    assert not UsageEvent.objects.filter(customer_id__in=["mine", str(mine.public_id)]).exists()
    assert not Invoice.objects.filter(customer=mine).exists()
    assert not CustomerAlert.objects.filter(customer=mine).exists()
    assert Customer.objects.get(pk=mine.pk).custom_fields == {}
    # The demo's own: nothing new either (its usage is all in the past already).
    assert _counts() == (demo[0], demo[1] + 1, demo[2])


def test_a_later_run_adds_only_usage_since_the_last(demo_debug):
    first_run = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    with time_machine.travel(first_run, tick=False):
        _load()
    before = UsageEvent.objects.count()
    with time_machine.travel(first_run + timedelta(days=1), tick=False):
        _load()
        after = UsageEvent.objects.count()
        _load()
        assert UsageEvent.objects.count() == after  # the same moment: nothing new
    # What happened in the day between, for the demo's customers; nothing earlier changed.
    assert after > before
    assert UsageEvent.objects.filter(timestamp__lte=first_run).count() == before
    demo_aliases = {
        alias for _name, aliases, _fields in customers_demo.CUSTOMERS for alias in aliases
    }
    assert set(UsageEvent.objects.values_list("customer_id", flat=True)) <= demo_aliases
    assert Contract.objects.count() == 10  # 9 demo contracts + the plan customer's (plans/demo.py)


def test_demo_customers_from_before_the_mark_are_adopted_not_duplicated(demo_debug):
    for key in ("region", "tier", "account_owner"):
        custom_field_key_add(entity="customer", key=key, enforce_uniqueness=False)
    for name, aliases, fields in customers_demo.CUSTOMERS:  # as load_demo made them before
        customer_create(name=name, ingest_aliases=aliases, custom_fields=fields)
    lookalike = customer_create(name="Acme Robotics", ingest_aliases=["acme-mine"])

    assert "8 adopted" in _load()

    assert Customer.objects.count() == 10  # 8 adopted, the lookalike, the plan customer
    assert customers_demo.customers().count() == 8
    assert not Contract.objects.filter(customer=lookalike).exists()
