"""Credit grant alerts in the console: typed in major units (the percentage as a number), the
credit_grant_type filter as a comma-separated list, shown on the alert's page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from alerts.models import Alert
from alerts.tests.factories import spend_world

HX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return spend_world()


def test_credit_grant_alerts_from_the_console(client, alice, world):
    client.force_login(alice)
    url = reverse("alerts:alert-create")
    fields = client.get(
        url, {"alert_type": "low_credit_balance_reached"}, HTTP_HX_TARGET="type-fields", **HX
    )
    assert 'name="grant_types"' in fields.text and 'name="balance_filter"' not in fields.text
    response = client.post(url, {
        "name": "Promo under $5", "alert_type": "low_credit_balance_reached", "threshold": "5.00",
        "grant_types": "PROMO, PAID", "evaluate_on_create": "on",
    }, **HX)  # fmt: skip
    assert response.status_code == 200
    balance = Alert.objects.get(name="Promo under $5")
    assert balance.threshold == Decimal("500")  # typed in dollars, stored in cents
    assert balance.credit_grant_type_filters == ["PROMO", "PAID"]
    page = client.get(reverse("alerts:alert-detail", args=[balance.public_id]))
    assert "$5.00" in page.text and "Credit grant types" in page.text and "PROMO" in page.text
    assert "alarms at or below" in page.text

    response = client.post(url, {
        "name": "Under a quarter", "alert_type": "low_remaining_credit_percentage_reached",
        "threshold": "25", "evaluate_on_create": "on",
    }, **HX)  # fmt: skip
    assert response.status_code == 200
    percent = Alert.objects.get(name="Under a quarter")
    assert percent.threshold == Decimal("25") and percent.credit_grant_type_filters == []
    assert percent.credit_type.name == "USD (cents)"
    page = client.get(reverse("alerts:alert-detail", args=[percent.public_id]))
    assert "25% of the USD granted" in page.text
