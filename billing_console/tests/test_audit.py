"""The client address on audit entries: X-Forwarded-For only through trusted proxies."""

import pytest
from auditlog.models import LogEntry
from django.test import RequestFactory

from billing_console.audit import client_ip
from customers.models import Customer


def _request(forwarded: str | None = None, remote: str = "10.0.0.5"):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, None, "10.0.0.5"),
        (0, "203.0.113.9", "10.0.0.5"),  # no proxy trusted: anyone can send the header
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client wrote 6.6.6.6 itself
        (2, "6.6.6.6, 203.0.113.9, 10.1.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.5"),  # fewer hops than proxies: it bypassed one
        (1, None, "10.0.0.5"),
        (1, "not-an-ip", "10.0.0.5"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(forwarded)) == expected


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_reach_the_audit_log(api, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    response = api.post(
        "/v1/customers", {"name": "Forged"}, format="json",
        REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.66",
    )  # fmt: skip
    assert response.status_code == 200
    customer = Customer.objects.get(name="Forged")
    entry = LogEntry.objects.get_for_object(customer).get(action=LogEntry.Action.CREATE)
    assert entry.remote_addr == "10.0.0.5"
