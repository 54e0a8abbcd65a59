from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks import services
from webhooks.models import Delivery, WebhookEndpoint
from webhooks.tasks import deliveries_sweep
from webhooks.tests.receiver import receiver

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_endpoints_page_renders_for_everyone_signed_in_but_only_writers_get_the_form(
    client, bob, fiona
):
    services.endpoint_create(url="https://erp.example.com/hooks", description="ERP")
    client.force_login(bob)
    response = client.get(reverse("webhooks:endpoint-list"))
    assert response.status_code == 200
    assert b"ERP" in response.content
    assert b"Create endpoint" not in response.content
    client.force_login(fiona)
    assert b"Create endpoint" in client.get(reverse("webhooks:endpoint-list")).content


def test_create_shows_the_secret_once(client, fiona):
    client.force_login(fiona)
    response = client.post(
        reverse("webhooks:endpoint-create"),
        {"url": "https://erp.example.com/hooks", "description": "ERP", "kind": "webhook",
         "event_types": "alerts.*, payment_gate.threshold_reached"},
    )  # fmt: skip
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert endpoint.event_types == ["alerts.*", "payment_gate.threshold_reached"]
    page = client.get(response.url)
    assert endpoint.secret.encode() in page.content
    again = client.get(response.url)
    assert endpoint.secret.encode() not in again.content
    assert b"whsec_\xe2\x80\xa2" in again.content  # masked


def test_create_errors_render_the_form_fragment_with_422(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("webhooks:endpoint-create"),
        {"url": "https://x.example.com", "kind": "webhook", "event_types": "no spaces!"}, **HX,
    )  # fmt: skip
    assert response.status_code == 422
    assert b'id="create-form"' in response.content
    assert b"is not an event type" in response.content
    assert b"<html" not in response.content
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("persona", ["bob", "dave", "charlie"])
def test_only_admin_and_finance_change_endpoints(client, persona, request):
    user = request.getfixturevalue(persona)
    endpoint = services.endpoint_create(url="https://erp.example.com/hooks")
    client.force_login(user)
    assert (
        client.post(
            reverse("webhooks:endpoint-create"), {"url": "https://a.example.com"}
        ).status_code
        == 403
    )
    for name in ("endpoint-disable", "endpoint-rotate", "endpoint-test", "endpoint-edit"):
        assert (
            client.post(reverse(f"webhooks:{name}", args=[endpoint.public_id])).status_code == 403
        )
    assert WebhookEndpoint.objects.get().is_active


def test_delivery_log_shows_every_attempt_with_codes_and_redeliver(
    client, fiona, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with receiver([500, 500, 200, 200]) as hook, time_machine.travel(start, tick=False) as clock:
        endpoint = services.endpoint_create(url=hook.url, description="ERP")
        with django_capture_on_commit_callbacks(execute=True):
            services.event_publish("payment_gate.threshold_reached", {"n": 1}, key="k")
        clock.shift(5)
        deliveries_sweep()
        clock.shift(10)
        deliveries_sweep()
        hook.wait_for(3)
        delivery = Delivery.objects.get()

        client.force_login(fiona)
        url = reverse("webhooks:endpoint-detail", args=[endpoint.public_id])
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert delivery.webhook_id in html
        assert html.count('class="badge danger code">500<') == 2
        assert html.count('class="badge ok code">200<') == 1
        assert "09:00:00" in html and "09:00:05" in html and "09:00:15" in html

        fragment = client.get(url, HTTP_HX_TARGET="delivery-log", **HX)
        assert fragment.content.decode().lstrip().startswith('<div id="delivery-log"')

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("webhooks:delivery-redeliver", args=[delivery.public_id]), **HX
            )
            assert response.status_code == 200
            assert b'<span class="badge">pending</span>' in response.content  # queued
        # The task ran on commit: the log now shows the fourth attempt.
        assert client.get(url).content.decode().count('class="badge ok code">200<') == 2
        fourth = hook.wait_for(4)[3]
        Webhook(endpoint.secret).verify(fourth.body, fourth.headers)
    assert fourth.headers["webhook-id"] == delivery.webhook_id
    delivery.refresh_from_db()
    assert delivery.attempt_count == 4


def test_send_test_rotate_and_disable(client, alice, django_capture_on_commit_callbacks):
    with receiver([200]) as hook:
        endpoint = services.endpoint_create(url=hook.url)
        client.force_login(alice)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("webhooks:endpoint-test", args=[endpoint.public_id]), **HX
            )
        assert response.status_code == 200
        assert b"webhook.test" in response.content
        [got] = hook.wait_for(1)

    rotated = client.post(reverse("webhooks:endpoint-rotate", args=[endpoint.public_id]), **HX)
    endpoint.refresh_from_db()
    assert endpoint.secret.encode() in rotated.content
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(got.body, got.headers)

    client.post(reverse("webhooks:endpoint-disable", args=[endpoint.public_id]))
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    client.post(reverse("webhooks:endpoint-enable", args=[endpoint.public_id]))
    endpoint.refresh_from_db()
    assert endpoint.is_active


def test_edit_endpoint(client, fiona):
    endpoint = services.endpoint_create(url="https://a.example.com/h")
    client.force_login(fiona)
    response = client.post(
        reverse("webhooks:endpoint-edit", args=[endpoint.public_id]),
        {"url": "https://hooks.slack.com/services/T/B/X", "description": "Ops channel",
         "kind": "slack", "event_types": ""},
    )  # fmt: skip
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.kind, endpoint.description, endpoint.event_types) == (
        "slack",
        "Ops channel",
        [],
    )
    bad = client.post(
        reverse("webhooks:endpoint-edit", args=[endpoint.public_id]),
        {"url": "not a url", "kind": "slack"}, **HX,
    )  # fmt: skip
    assert bad.status_code == 422
    assert b'id="edit-form"' in bad.content


SLACK_URL = "https://hooks.slack.com/services/T0123ABC/B0456DEF/sEcReTtOkEn42xyz"
SLACK_MASKED = "https://hooks.slack.com/services/••••/••••/••••"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/h", "http://10.0.0.1/h", "http://169.254.169.254/", "http://[::1]/h"],
)
def test_console_create_and_edit_refuse_non_public_targets_on_the_url_field(
    client, alice, settings, url
):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    client.force_login(alice)
    response = client.post(
        reverse("webhooks:endpoint-create"), {"url": url, "kind": "webhook"}, **HX
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "public addresses only" in " ".join(form.errors["url"])
    assert WebhookEndpoint.objects.count() == 0

    endpoint = services.endpoint_create(url="https://erp.example.com/hooks")
    response = client.post(
        reverse("webhooks:endpoint-edit", args=[endpoint.public_id]),
        {"url": url, "kind": "webhook"}, **HX,
    )  # fmt: skip
    assert response.status_code == 422
    assert "public addresses only" in " ".join(response.context["form"].errors["url"])
    endpoint.refresh_from_db()
    assert endpoint.url == "https://erp.example.com/hooks"


@pytest.mark.parametrize(
    ("persona", "sees_secrets"), [("alice", True), ("fiona", False), ("bob", False)]
)
def test_only_admins_see_url_secrets_and_response_bodies(
    client, request, persona, sees_secrets, django_capture_on_commit_callbacks
):
    with receiver([500], reply=b"internal: db password is hunter2") as hook:
        url = hook.url + "?token=t0k3nSecret"
        services.endpoint_create(url=SLACK_URL, kind="slack", description="Ops channel")
        endpoint = services.endpoint_create(url=url)
        with django_capture_on_commit_callbacks(execute=True):
            services.event_publish("payment_gate.threshold_reached", {"n": 1}, key="k")
        hook.wait_for(1)
    client.force_login(request.getfixturevalue(persona))

    listing = client.get(reverse("webhooks:endpoint-list")).content.decode()
    detail = client.get(reverse("webhooks:endpoint-detail", args=[endpoint.public_id]))
    html = detail.content.decode()
    assert detail.status_code == 200
    assert 'class="badge danger code">500<' in html  # status and timing for everyone
    assert " ms" in html
    for secret in ("sEcReTtOkEn42xyz", "t0k3nSecret"):
        assert (secret in listing + html) is sees_secrets
    assert ("hunter2" in html) is sees_secrets
    if not sees_secrets:
        assert SLACK_MASKED in listing
        assert "?token=••••" in html


def test_finance_saves_other_fields_without_seeing_or_losing_the_url(client, fiona):
    endpoint = services.endpoint_create(url=SLACK_URL, kind="slack")
    client.force_login(fiona)
    page = client.get(reverse("webhooks:endpoint-detail", args=[endpoint.public_id]))
    assert page.context["form"].initial["url"] == SLACK_MASKED
    response = client.post(
        reverse("webhooks:endpoint-edit", args=[endpoint.public_id]),
        {"url": SLACK_MASKED, "description": "Ops", "kind": "slack", "event_types": ""},
    )  # fmt: skip
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description) == (SLACK_URL, "Ops")


def test_audit_entries_keep_the_url_masked(client, alice):
    from auditlog.models import LogEntry

    client.force_login(alice)
    client.post(
        reverse("webhooks:endpoint-create"),
        {"url": "https://user:pa55word@erp.example.com/hooks?token=t0k3nSecret", "kind": "webhook"},
    )  # fmt: skip
    endpoint = WebhookEndpoint.objects.get()
    client.post(
        reverse("webhooks:endpoint-edit", args=[endpoint.public_id]),
        {"url": SLACK_URL, "kind": "slack"},
    )
    entries = list(LogEntry.objects.get_for_object(endpoint).order_by("pk"))
    assert len(entries) == 2
    stored = " ".join(f"{e.object_repr} {e.changes} {e.serialized_data}" for e in entries)
    for secret in ("pa55word", "t0k3nSecret", "sEcReTtOkEn42xyz", endpoint.secret):
        assert secret not in stored
    assert entries[1].changes_dict["url"] == [
        "https://••••@erp.example.com/hooks?token=••••",
        SLACK_MASKED,
    ]
    audit_csv = client.get(reverse("reports:audit-export"))
    content = b"".join(audit_csv.streaming_content).decode()
    assert "erp.example.com" in content
    assert "t0k3nSecret" not in content and "sEcReTtOkEn42xyz" not in content
