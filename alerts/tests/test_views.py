"""The alerts console through the test client: pages and their htmx fragments, validation
with 422, the type-specific fields, states with search and reset, notification settings, and
read-only users who may look but not change."""

from decimal import Decimal

import pytest
from django.urls import reverse

from alerts.lifecycle import system_notification_set
from alerts.models import Alert, AlertStatus, CustomerAlert, OffsetNotification, SystemNotification
from alerts.services import alert_create
from alerts.tests.factories import spend_world
from pricing.models import CreditType

HX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return spend_world()


def _login(client, user):
    client.force_login(user)
    return client


def test_list_page_and_fragment(client, alice, world):
    alert_create(
        data={"alert_type": "spend_threshold_reached", "name": "Budget $50", "threshold": 5000}
    )
    _login(client, alice)
    page = client.get(reverse("alerts:alert-list"))
    assert page.status_code == 200
    assert "Budget $50" in page.text and "$50.00" in page.text and "<nav" in page.text
    fragment = client.get(
        reverse("alerts:alert-list"), {"q": "nothing"}, HTTP_HX_TARGET="alert-table", **HX
    )
    assert fragment.status_code == 200
    assert "<nav" not in fragment.text and "No alerts match" in fragment.text


def test_type_fields_swap_by_alert_type(client, alice, world):
    _login(client, alice)
    url = reverse("alerts:alert-create")
    usage = client.get(
        url, {"alert_type": "usage_threshold_reached"}, HTTP_HX_TARGET="type-fields", **HX
    )
    assert usage.status_code == 200
    assert 'name="billable_metric"' in usage.text and 'name="group_key"' not in usage.text
    assert "<form" not in usage.text  # only the fieldset
    spend = client.get(
        url, {"alert_type": "spend_threshold_reached"}, HTTP_HX_TARGET="type-fields", **HX
    )
    assert 'name="group_key"' in spend.text and 'name="billable_metric"' not in spend.text
    invoice = client.get(
        url, {"alert_type": "invoice_total_reached"}, HTTP_HX_TARGET="type-fields", **HX
    )
    assert 'name="invoice_types"' in invoice.text
    balance = client.get(
        url, {"alert_type": "low_remaining_contract_credit_and_commit_balance_reached"},
        HTTP_HX_TARGET="type-fields", **HX,
    )  # fmt: skip
    assert 'name="balance_filter"' in balance.text


def test_create_spend_alert_per_user_in_dollars(client, alice, world):
    _login(client, alice)
    response = client.post(reverse("alerts:alert-create"), {
        "name": "Per user $12.50", "alert_type": "spend_threshold_reached", "threshold": "12.50",
        "group_key": "user_id", "group_value": "", "evaluate_on_create": "on",
    }, **HX)  # fmt: skip
    alert = Alert.objects.get()
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("alerts:alert-detail", args=[alert.public_id])
    assert alert.threshold == Decimal("1250")  # typed in dollars, stored in cents
    assert alert.group_values == [{"key": "user_id"}] and alert.customer is None
    assert alert.credit_type.name == "USD (cents)"


def test_thresholds_are_typed_in_the_chosen_currency(client, alice, world):
    _login(client, alice)
    url = reverse("alerts:alert-create")
    base = {"alert_type": "spend_threshold_reached", "evaluate_on_create": "on"}
    too_precise = client.post(url, {**base, "name": "A", "threshold": "12.345"}, **HX)
    assert too_precise.status_code == 422 and "at most 2 decimal places" in too_precise.text
    assert "(cents)" not in too_precise.text and "USD (default)" in too_precise.text
    yen = CreditType.objects.get(currency_code="JPY")
    data = {**base, "name": "Yen", "threshold": "¥1,200", "credit_type": str(yen.public_id)}
    assert client.post(url, data, **HX).status_code == 200
    assert Alert.objects.get(name="Yen").threshold == Decimal("1200")  # the yen has no cents
    usage = {"name": "Calls", "alert_type": "usage_threshold_reached", "threshold": "1,000.5",
             "billable_metric": str(world.metric.public_id), "evaluate_on_create": "on"}  # fmt: skip
    assert client.post(url, usage, **HX).status_code == 200
    assert Alert.objects.get(name="Calls").threshold == Decimal("1000.5")  # a quantity


def test_create_errors_render_the_form_with_422(client, alice, world):
    _login(client, alice)
    missing = client.post(reverse("alerts:alert-create"), {
        "name": "Calls", "alert_type": "usage_threshold_reached", "threshold": "100",
    }, **HX)  # fmt: skip
    assert missing.status_code == 422
    assert 'id="alert-form"' in missing.text and "is required" in missing.text
    assert 'name="billable_metric"' in missing.text  # the usage fields stay shown
    bad_filter = client.post(reverse("alerts:alert-create"), {
        "name": "x", "alert_type": "spend_threshold_reached", "threshold": "1",
        "contract_filter": "no-equals-sign",
    }, **HX)  # fmt: skip
    assert bad_filter.status_code == 422 and "key=value" in bad_filter.text
    assert not Alert.objects.exists()


def test_read_only_user_can_look_but_not_change(client, bob, world):
    alert = alert_create(
        data={"alert_type": "spend_threshold_reached", "name": "B", "threshold": 1}
    )
    _login(client, bob)
    assert client.get(reverse("alerts:alert-list")).status_code == 200
    detail = client.get(reverse("alerts:alert-detail", args=[alert.public_id]))
    assert detail.status_code == 200 and "Archive" not in detail.text
    assert client.get(reverse("alerts:notification-settings")).status_code == 200
    assert client.get(reverse("alerts:alert-create")).status_code == 403
    assert client.post(reverse("alerts:alert-archive", args=[alert.public_id])).status_code == 403
    assert client.post(reverse("alerts:offset-create"), {"name": "x"}).status_code == 403
    assert (
        client.post(
            reverse("alerts:system-toggle", args=["contract.create"]), {"is_enabled": "1"}
        ).status_code
        == 403
    )
    reset = reverse("alerts:state-reset", args=[alert.public_id, world.customer.public_id])
    assert client.post(reset).status_code == 403
    alert.refresh_from_db()
    assert alert.archived_at is None and not OffsetNotification.objects.exists()


def test_states_search_and_reset(client, fiona, world, django_capture_on_commit_callbacks):
    alert = alert_create(
        data={"alert_type": "spend_threshold_reached", "name": "Budget", "threshold": 1}
    )
    CustomerAlert.objects.create(alert=alert, customer=world.customer, status=AlertStatus.IN_ALARM,
                                 value=Decimal("150"), triggered_by="usage")  # fmt: skip
    _login(client, fiona)
    page = client.get(reverse("alerts:state-list"), {"q": "acme"})
    assert page.status_code == 200 and "In Alarm" in page.text and "$1.50" in page.text
    none = client.get(
        reverse("alerts:state-list"), {"q": "globex"}, HTTP_HX_TARGET="state-table", **HX
    )
    assert "No customer states match" in none.text and "<nav" not in none.text
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("alerts:state-reset", args=[alert.public_id, world.customer.public_id]),
            {"next": "//evil.example/"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:alert-detail", args=[alert.public_id])
    assert CustomerAlert.objects.get().status == AlertStatus.EVALUATING


def test_archive_from_the_console(client, alice, world):
    alert = alert_create(
        data={"alert_type": "spend_threshold_reached", "name": "Old", "threshold": 1}
    )
    _login(client, alice)
    response = client.post(reverse("alerts:alert-archive", args=[alert.public_id]), **HX)
    assert response.status_code == 200 and response["HX-Redirect"]
    alert.refresh_from_db()
    assert alert.archived_at is not None


def test_notification_settings_create_edit_toggle_archive(client, dave, world):
    _login(client, dave)
    url = reverse("alerts:notification-settings")
    assert "contract.end" in client.get(url).text
    bad = client.post(reverse("alerts:offset-create"),
                      {"name": "x", "policy_type": "contract.end", "offset": "a week"}, **HX)  # fmt: skip
    assert bad.status_code == 422 and "not an ISO-8601 duration" in bad.text
    created = client.post(reverse("alerts:offset-create"),
                          {"name": "Renewal", "policy_type": "contract.end", "offset": "-P7D"}, **HX)  # fmt: skip
    assert created.status_code == 200
    notification = OffsetNotification.objects.get()
    assert notification.created_by == "console:dave"
    edit_url = reverse("alerts:offset-edit", args=[notification.public_id])
    form = client.get(edit_url, **HX)
    assert 'value="-P7D"' in form.text
    saved = client.post(
        edit_url, {"name": "Renewal", "policy_type": "contract.end", "offset": "-P14D"}, **HX
    )
    assert saved.status_code == 200 and "-P14D" in saved.text and "<form method" in saved.text
    mismatch = client.post(
        edit_url, {"name": "R", "policy_type": "contract.start", "offset": "P1D"}, **HX
    )
    assert mismatch.status_code == 422 and "must stay" in mismatch.text
    toggled = client.post(
        reverse("alerts:system-toggle", args=["contract.create"]), {"is_enabled": "1"}, **HX
    )
    assert toggled.status_code == 200 and "Turn off" in toggled.text
    assert SystemNotification.objects.get(type="contract.create").is_enabled
    client.post(reverse("alerts:offset-archive", args=[notification.public_id]))
    notification.refresh_from_db()
    assert notification.archived_at is not None
    system_notification_set(event_type="contract.create", is_enabled=False)


def test_percentage_days_and_seat_alerts_from_the_console(client, alice, world):
    _login(client, alice)
    url = reverse("alerts:alert-create")
    seat = client.get(
        url, {"alert_type": "low_remaining_seat_balance_reached"}, HTTP_HX_TARGET="type-fields",
        **HX,
    )  # fmt: skip
    assert 'name="seat_key"' in seat.text and 'name="seat_value"' in seat.text
    base = {"evaluate_on_create": "on"}
    percent = {**base, "name": "Credit 10%", "threshold": "10.5",
               "alert_type": "low_remaining_contract_credit_percentage_reached"}  # fmt: skip
    assert client.post(url, percent, **HX).status_code == 200
    assert Alert.objects.get(name="Credit 10%").threshold == Decimal("10.5")  # not cents
    days = {**base, "name": "Ends in a week", "threshold": "7",
            "alert_type": "low_remaining_days_for_commit_segment_reached"}  # fmt: skip
    assert client.post(url, days, **HX).status_code == 200
    page = client.get(
        reverse("alerts:alert-detail", args=[Alert.objects.get(name="Ends in a week").public_id])
    )
    assert "7 days left" in page.text
    no_seat = {**base, "name": "Seat", "threshold": "5", "seat_key": "",
               "alert_type": "low_remaining_seat_balance_reached"}  # fmt: skip
    refused = client.post(url, no_seat, **HX)
    assert refused.status_code == 422 and "seat_filter: is required" in refused.text
    with_seat = {**no_seat, "seat_key": "user_id", "seat_value": "alice"}
    assert client.post(url, with_seat, **HX).status_code == 200
    assert Alert.objects.get(name="Seat").seat_filter == ("user_id", "alice")
    assert Alert.objects.get(name="Seat").threshold == Decimal("500")  # $5.00 in cents
