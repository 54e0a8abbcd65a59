import json
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks import services
from webhooks.delivery import backoff_seconds, delivery_attempt
from webhooks.models import Delivery, OutboundEvent
from webhooks.tasks import deliveries_sweep
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def backoff(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    settings.WEBHOOK_RETRY_MAX_SECONDS = 30
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    return settings


def _publish(capture, event_type="invoice.threshold_billed", payload=None, key="k1"):
    with capture(execute=True):
        services.event_publish(event_type, payload or {"amount": 1500}, key=key)


def test_signed_payload_verifies_with_the_endpoints_secret(django_capture_on_commit_callbacks):
    with receiver([200]) as hook:
        endpoint = services.endpoint_create(url=hook.url, description="ERP")
        _publish(django_capture_on_commit_callbacks, payload={"customer_id": "c-1", "n": 7})
        [got] = hook.wait_for(1)

    assert endpoint.secret.startswith("whsec_")
    body = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert body["type"] == "invoice.threshold_billed"
    assert body["data"] == {"customer_id": "c-1", "n": 7}
    delivery = Delivery.objects.get()
    assert got.headers["webhook-id"] == delivery.webhook_id
    assert delivery.status == Delivery.SUCCEEDED
    with pytest.raises(WebhookVerificationError):
        Webhook(services.secret_generate()).verify(got.body, got.headers)
    tampered = got.body.replace(b'"n":7', b'"n":8')
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(tampered, got.headers)


def test_fails_twice_then_delivered_exactly_once_more_after_backoff(
    backoff, django_capture_on_commit_callbacks
):
    with receiver([500, 500, 200]) as hook, time_machine.travel(START, tick=False) as clock:
        endpoint = services.endpoint_create(url=hook.url)
        _publish(django_capture_on_commit_callbacks)
        assert len(hook.wait_for(1)) == 1
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempt_count) == (Delivery.FAILED, 1)
        assert delivery.next_attempt_at == START + timedelta(seconds=5)

        clock.shift(4)  # not due yet: the sweep sends nothing
        assert deliveries_sweep() == 0
        clock.shift(1)
        assert deliveries_sweep() == 1
        assert len(hook.wait_for(2)) == 2
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == START + timedelta(seconds=5 + 10)

        clock.shift(9)
        assert deliveries_sweep() == 0
        clock.shift(1)
        deliveries_sweep()
        clock.shift(3600)
        assert deliveries_sweep() == 0  # delivered: nothing more is ever sent
        requests = hook.wait_for(3)

    assert len(requests) == 3
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    for got in requests:
        assert (
            Webhook(endpoint.secret).sign(
                msg_id=got.headers["webhook-id"],
                timestamp=timezone.datetime.fromtimestamp(
                    int(got.headers["webhook-timestamp"]), tz=UTC
                ),
                data=got.body.decode(),
            )
            == got.headers["webhook-signature"]
        )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Delivery.SUCCEEDED, 3)
    attempts = list(delivery.attempts.all())
    assert [a.response_code for a in attempts] == [500, 500, 200]
    assert [a.attempted_at for a in attempts] == [
        START,
        START + timedelta(seconds=5),
        START + timedelta(seconds=15),
    ]
    assert attempts[0].response_body == "receiver says no"


def test_retries_stop_at_the_cap(backoff, django_capture_on_commit_callbacks):
    with receiver([503]) as hook, time_machine.travel(START, tick=False) as clock:
        services.endpoint_create(url=hook.url)
        _publish(django_capture_on_commit_callbacks)
        for _ in range(6):
            clock.shift(30)
            deliveries_sweep()
        hook.wait_for(4)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == (Delivery.EXHAUSTED, 4)
    assert len(hook.requests) == 4
    assert delivery.next_attempt_at is None


@pytest.mark.parametrize(
    ("failed", "seconds"), [(1, 5.0), (2, 10.0), (3, 20.0), (4, 30.0), (9, 30.0)]
)
def test_backoff_doubles_and_is_capped(backoff, failed, seconds):
    assert backoff_seconds(failed) == seconds


def test_connection_refused_is_an_attempt_with_an_error(
    backoff, django_capture_on_commit_callbacks
):
    backoff.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver([200]) as hook:
        url = hook.url + "/T1/B2/sEcReT42?token=t0k3n"
    services.endpoint_create(url=url)  # the server is gone: nothing listens on the port
    _publish(django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    attempt = delivery.attempts.get()
    assert attempt.response_code is None
    assert "ConnectionError" in attempt.error
    assert "/hooks/••••/••••/••••?token=••••" in attempt.error  # the log is read by everyone
    assert "sEcReT42" not in attempt.error and "t0k3n" not in attempt.error
    assert delivery.status == Delivery.FAILED  # retried as usual


def test_publish_is_idempotent_by_key(django_capture_on_commit_callbacks):
    with receiver([200]) as hook:
        services.endpoint_create(url=hook.url)
        _publish(django_capture_on_commit_callbacks, key="recharge:42:1")
        _publish(django_capture_on_commit_callbacks, key="recharge:42:1", payload={"other": 1})
        hook.wait_for(1)
    assert OutboundEvent.objects.count() == 1
    assert OutboundEvent.objects.get().payload == {"amount": 1500}
    assert Delivery.objects.count() == 1
    assert len(hook.requests) == 1


def test_subscriptions_and_disabled_endpoints(django_capture_on_commit_callbacks):
    with receiver([200]) as alerts, receiver([200]) as everything, receiver([200]) as off:
        services.endpoint_create(url=alerts.url, event_types=["alerts.*"])
        services.endpoint_create(url=everything.url)
        disabled = services.endpoint_create(url=off.url)
        services.endpoint_set_disabled(endpoint=disabled, disabled=True)
        _publish(django_capture_on_commit_callbacks, "alerts.spend_threshold_reached", key="a")
        _publish(django_capture_on_commit_callbacks, "invoice.finalized", key="b")
        everything.wait_for(2)
        alerts.wait_for(1)
    assert [json.loads(r.body)["type"] for r in alerts.requests] == [
        "alerts.spend_threshold_reached"
    ]
    assert len(everything.requests) == 2
    assert off.requests == []


def test_redeliver_is_a_new_attempt_with_the_same_webhook_id(django_capture_on_commit_callbacks):
    with receiver([200]) as hook:
        endpoint = services.endpoint_create(url=hook.url)
        _publish(django_capture_on_commit_callbacks)
        delivery = Delivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            services.delivery_redeliver(delivery=delivery)
        first, second = hook.wait_for(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.webhook_id
    Webhook(endpoint.secret).verify(second.body, second.headers)
    assert first.body == second.body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Delivery.SUCCEEDED, 2)
    assert delivery.attempts.count() == 2


def test_a_delivery_claimed_by_a_worker_that_died_is_attempted_again(
    settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 15
    settings.WEBHOOK_LEASE_SECONDS = 60
    with receiver([200]) as hook, time_machine.travel(START, tick=False) as clock:
        services.endpoint_create(url=hook.url)
        with django_capture_on_commit_callbacks(execute=False):  # its task message is lost
            services.event_publish("invoice.threshold_billed", {"amount": 1}, key="k")
        delivery = Delivery.objects.get()
        # A worker claims the delivery (lease: timeout + 60 s) and dies before the request ends.
        from webhooks.delivery import _claim

        assert _claim(delivery.pk, START) is not None
        assert delivery_attempt(delivery_id=delivery.pk) is None  # a duplicate message: claimed
        clock.shift(74)
        assert deliveries_sweep() == 0
        clock.shift(1)
        assert deliveries_sweep() == 1
        hook.wait_for(1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Delivery.SUCCEEDED, 1)
    assert len(hook.requests) == 1


def test_deliveries_to_a_disabled_endpoint_are_held_until_enabled(
    django_capture_on_commit_callbacks,
):
    with receiver([200]) as hook:
        endpoint = services.endpoint_create(url=hook.url)
        with django_capture_on_commit_callbacks(execute=False):
            services.event_publish("invoice.threshold_billed", {"amount": 1}, key="k")
        delivery = Delivery.objects.get()
        services.endpoint_set_disabled(endpoint=endpoint, disabled=True)
        assert delivery_attempt(delivery_id=delivery.pk) is None
        delivery.refresh_from_db()
        assert (delivery.status, delivery.next_attempt_at) == (Delivery.PENDING, None)
        assert deliveries_sweep() == 0
        assert hook.requests == []
        with django_capture_on_commit_callbacks(execute=True):
            services.endpoint_set_disabled(endpoint=endpoint, disabled=False)
        hook.wait_for(1)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.SUCCEEDED


def test_slack_destination_posts_a_readable_text(django_capture_on_commit_callbacks):
    with receiver([200]) as slack:
        services.endpoint_create(url=slack.url, kind="slack")
        _publish(
            django_capture_on_commit_callbacks,
            "contract.prepaid_balance_recharged",
            payload={
                "summary": "Acme was recharged to 5,000 cents.",
                "customer": {"name": "Acme"},
                "amount": 4200,
            },
        )
        [got] = slack.wait_for(1)
    assert "webhook-signature" not in got.headers
    assert json.loads(got.body) == {
        "text": "*contract.prepaid_balance_recharged*\n"
        "Acme was recharged to 5,000 cents.\n"
        "• amount: 4200\n"
        "• customer.name: Acme"
    }


def test_send_test_reaches_only_that_endpoint(django_capture_on_commit_callbacks):
    with receiver([200]) as one, receiver([200]) as other:
        endpoint = services.endpoint_create(url=one.url, event_types=["alerts.*"])
        services.endpoint_create(url=other.url)
        with django_capture_on_commit_callbacks(execute=True):
            services.endpoint_send_test(endpoint=endpoint)
        [got] = one.wait_for(1)
    assert Webhook(endpoint.secret).verify(got.body, got.headers)["type"] == "webhook.test"
    assert other.requests == []


def test_endpoint_validation():
    from billing_console.api import ApplicationError

    with pytest.raises(ApplicationError, match="url"):
        services.endpoint_create(url="not a url")
    with pytest.raises(ApplicationError, match="event_types"):
        services.endpoint_create(url="https://example.com/h", event_types=["bad type!"])


def test_rotating_the_secret_signs_with_the_new_one(django_capture_on_commit_callbacks):
    with receiver([200]) as hook:
        endpoint = services.endpoint_create(url=hook.url)
        old = endpoint.secret
        new = services.endpoint_secret_rotate(endpoint=endpoint)
        _publish(django_capture_on_commit_callbacks)
        [got] = hook.wait_for(1)
    assert new != old
    Webhook(new).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)


# --- SSRF: where deliveries may go -------------------------------------------------------------


@pytest.mark.parametrize(
    ("receiver_host", "url", "reason"),
    [
        ("127.0.0.1", "{url}", "127.0.0.1 is a loopback address"),
        ("::1", "{url}", "::1 is a loopback address"),
        (
            "127.0.0.1",
            "http://rebind.example.com:{port}/hooks",
            "rebind.example.com resolves to 127.0.0.1, a loopback",
        ),  # fmt: skip
        ("127.0.0.1", "http://10.0.0.1:{port}/hooks", "10.0.0.1 is a private address"),
        (
            "127.0.0.1",
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254 is a link-local",
        ),  # fmt: skip
    ],
)
def test_a_target_no_longer_allowed_is_refused_at_delivery_and_not_retried(
    backoff, dns, django_capture_on_commit_callbacks, receiver_host, url, reason
):
    dns.set("rebind.example.com", ["127.0.0.1"])
    with receiver([200], host=receiver_host, allow=False) as hook:
        url = url.format(url=hook.url, port=hook.url.rsplit(":", 1)[1].split("/")[0])
        backoff.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254", "rebind.example.com"]  # fmt: skip
        services.endpoint_create(url=url)
        backoff.WEBHOOK_ALLOWED_HOSTS = []  # e.g. the setting changed since
        _publish(django_capture_on_commit_callbacks)
        assert hook.requests == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (
        Delivery.EXHAUSTED,
        1,
        None,
    )
    attempt = delivery.attempts.get()
    assert attempt.response_code is None
    assert attempt.error.startswith(f"Refused: {reason}")
    assert deliveries_sweep() == 0


def test_a_name_that_resolved_publicly_when_saved_is_checked_again_at_delivery(
    settings, dns, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with receiver([200], allow=False) as hook:
        port = hook.url.rsplit(":", 1)[1].split("/")[0]
        dns.set("rebind.example.com", ["93.184.216.34"], ["127.0.0.1"])
        services.endpoint_create(url=f"http://rebind.example.com:{port}/hooks")
        _publish(django_capture_on_commit_callbacks)
        assert hook.requests == []
    attempt = Delivery.objects.get().attempts.get()
    assert attempt.error.startswith("Refused: rebind.example.com resolves to 127.0.0.1")


@pytest.mark.parametrize(
    ("receiver_host", "allowed", "url"),
    [
        ("::1", ["::1"], "{url}"),
        ("127.0.0.1", ["rebind.example.com"], "http://rebind.example.com:{port}/hooks"),
        ("127.0.0.1", ["127.0.0.0/8"], "http://rebind.example.com:{port}/hooks"),
    ],
)
def test_a_target_the_allow_list_names_is_delivered(
    settings, dns, django_capture_on_commit_callbacks, receiver_host, allowed, url
):
    settings.WEBHOOK_ALLOWED_HOSTS = allowed
    dns.set("rebind.example.com", ["127.0.0.1"])
    with receiver([200], host=receiver_host, allow=False) as hook:
        url = url.format(url=hook.url, port=hook.url.rsplit(":", 1)[1].split("/")[0])
        endpoint = services.endpoint_create(url=url)
        _publish(django_capture_on_commit_callbacks)
        [got] = hook.wait_for(1)
    Webhook(endpoint.secret).verify(got.body, got.headers)
    assert got.headers["Host"] == url.split("/")[2]
    assert Delivery.objects.get().status == Delivery.SUCCEEDED


def test_the_connection_goes_to_the_address_that_was_checked(
    settings, dns, django_capture_on_commit_callbacks
):
    """DNS rebinding: the name answers an allowed address to the check, then another one. The
    request still goes to the checked address (nothing resolves the name a second time)."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver([200], allow=False) as checked:
        port = int(checked.url.rsplit(":", 1)[1].split("/")[0])
        with receiver([200], host="127.0.0.2", port=port, allow=False) as rebound:
            dns.set("hooks.example.com", ["127.0.0.1"], ["127.0.0.2"])
            services.endpoint_create(url=f"http://hooks.example.com:{port}/hooks")  # 1st answer
            dns.set("hooks.example.com", ["127.0.0.1"], ["127.0.0.2"])
            dns.calls.clear()
            _publish(django_capture_on_commit_callbacks)
            [got] = checked.wait_for(1)
            assert rebound.requests == []
    assert got.headers["Host"] == f"hooks.example.com:{port}"
    assert dns.calls == ["hooks.example.com"]
    assert Delivery.objects.get().status == Delivery.SUCCEEDED


@pytest.mark.parametrize("location", ["http://127.0.0.2:{port}/hooks", "http://169.254.169.254/"])
def test_redirects_are_not_followed(backoff, django_capture_on_commit_callbacks, location):
    with receiver([200], host="127.0.0.2", allow=False) as inside:
        port = inside.url.rsplit(":", 1)[1].split("/")[0]
        with receiver([307], location=location.format(port=port)) as hook:
            services.endpoint_create(url=hook.url)
            _publish(django_capture_on_commit_callbacks)
            hook.wait_for(1)
        assert inside.requests == []
    delivery = Delivery.objects.get()
    assert [a.response_code for a in delivery.attempts.all()] == [307]
    assert delivery.status == Delivery.FAILED  # not a success; retried like any other answer


def test_only_the_start_of_a_response_body_is_kept(django_capture_on_commit_callbacks):
    with receiver([500], reply="é".encode() * 50_000) as hook:
        services.endpoint_create(url=hook.url)
        _publish(django_capture_on_commit_callbacks)
        hook.wait_for(1)
    attempt = Delivery.objects.get().attempts.get()
    assert attempt.response_body == "é" * 1000


def test_an_event_that_cannot_be_rendered_is_a_failed_attempt_retried_as_usual(
    backoff, django_capture_on_commit_callbacks
):
    backoff.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with receiver([200]) as hook:
        services.endpoint_create(url=hook.url)
        with mock.patch("webhooks.delivery.request_for", side_effect=TypeError("bad payload")):
            _publish(django_capture_on_commit_callbacks)
        delivery = Delivery.objects.get()
        attempt = delivery.attempts.get()  # recorded, where the endpoint's page lists attempts
        assert (attempt.response_code, attempt.error) == (None, "Not sent: TypeError: bad payload")
        assert (delivery.status, delivery.attempt_count) == (Delivery.FAILED, 1)
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            assert delivery_attempt(delivery_id=delivery.pk) is True
        assert len(hook.requests) == 1
