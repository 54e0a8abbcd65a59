"""Alerts on Metronome 1.0 plans: low_remaining_days_in_plan_reached (days until the customer's
plan ends) and plan_id, which scopes any alert to the customers on that plan now."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from alerts.evaluation import customer_matches
from alerts.measure import measure
from alerts.services import alert_create
from alerts.snapshot import CustomerSnapshot
from customers.services import customer_create
from plans.customer_plans import customer_plan_add
from plans.tests.factories import plan_world

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)  # 21.5 days before Apr 1
DAYS = "low_remaining_days_in_plan_reached"


@pytest.fixture
def world(db):
    with time_machine.travel(NOW, tick=False):
        w = plan_world()
        customer_plan_add(customer=w.customer, data={
            "plan_id": str(w.plan.public_id), "starting_on": "2026-01-01T00:00:00Z",
            "ending_before": "2026-04-01T00:00:00Z",
        })  # fmt: skip
        yield w


def _alert(**fields):
    return alert_create(data={"name": "Plan ends", "evaluate_on_create": False, **fields})


def test_days_left_in_the_plan(world):
    alert = _alert(alert_type=DAYS, threshold=30)
    [m] = measure(alert, CustomerSnapshot(world.customer, NOW))
    assert (m.value, m.in_alarm) == (Decimal("21.50"), True)  # Mar 10, 12:00 -> Apr 1
    later = _alert(alert_type=DAYS, threshold=21)
    assert measure(later, CustomerSnapshot(world.customer, NOW))[0].in_alarm is False
    assert alert.credit_type is None  # counted in days, not money


def test_plan_id_scopes_an_alert_to_the_customers_on_that_plan(world):
    other = customer_create(name="Globex")
    scoped = _alert(alert_type="spend_threshold_reached", threshold=100,
                    plan_id=str(world.plan.public_id))  # fmt: skip
    assert customer_matches(scoped, world.customer) is True
    assert customer_matches(scoped, other) is False  # on no plan
    with time_machine.travel(NOW + timedelta(days=30), tick=False):  # the plan has ended
        assert customer_matches(scoped, world.customer) is False
    days = _alert(alert_type=DAYS, threshold=5, plan_id=str(world.plan.public_id))
    assert measure(days, CustomerSnapshot(other, NOW)) == []  # no plan: nothing to count


def test_the_console_shows_and_makes_a_days_in_plan_alert(world, client, alice):
    from django.urls import reverse

    client.force_login(alice)
    url = reverse("alerts:alert-create")
    fields = client.get(
        url, {"alert_type": DAYS}, HTTP_HX_TARGET="type-fields", HTTP_HX_REQUEST="true"
    )
    assert 'name="plan"' in fields.text and "Starter" in fields.text
    posted = client.post(url, {"name": "Starter ends", "alert_type": DAYS, "threshold": "14",
                               "plan": str(world.plan.public_id), "evaluate_on_create": "on"},
                         HTTP_HX_REQUEST="true")  # fmt: skip
    assert posted.status_code == 200, posted.text[:500]
    page = client.get(posted["HX-Redirect"]).text
    assert "14 days left" in page
    assert "Starter ends" in client.get(reverse("alerts:alert-list")).text
