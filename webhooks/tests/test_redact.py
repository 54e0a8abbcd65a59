import pytest

from webhooks.models import WebhookEndpoint
from webhooks.redact import text_redact, url_mask


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "https://hooks.slack.com/services/T0123ABC/B0456DEF/abcdEFGHijklMNOPqrstUVWX",
            "https://hooks.slack.com/services/••••/••••/••••",
        ),
        (
            "https://user:pa55word@erp.example.com:8443/hooks?token=abc123&v=2",
            "https://••••@erp.example.com:8443/hooks?token=••••&v=••••",
        ),
        ("https://key@erp.example.com/hooks", "https://••••@erp.example.com/hooks"),
        ("https://erp.example.com/hooks?abc123secret", "https://erp.example.com/hooks?••••"),
        ("https://erp.example.com/hooks#frag", "https://erp.example.com/hooks#••••"),
        (
            "https://discord.com/api/webhooks/1234567890/aBcD-eFgH_iJkL",
            "https://discord.com/api/webhooks/••••/••••",
        ),
        (
            "https://hooks.zapier.com/hooks/catch/123456/bq3x5ra/",
            "https://hooks.zapier.com/hooks/catch/••••/••••/",
        ),
        ("https://erp.example.com/billing-events", "https://erp.example.com/billing-events"),
        ("https://erp.example.com", "https://erp.example.com"),
        ("None", "None"),  # what auditlog passes for "no value before"
    ],
)
def test_url_mask(url, masked):
    assert url_mask(url) == masked


def test_the_endpoints_name_never_shows_the_token():
    endpoint = WebhookEndpoint(url="https://hooks.slack.com/services/T1/B2/sEcReTtOkEn42")
    assert "sEcReTtOkEn42" not in str(endpoint)
    assert str(endpoint) == endpoint.url_masked


def test_text_redact_masks_the_url_in_transport_errors():
    url = "http://u:p@hooks.example.com/services/T1/B2/sEcReT42?token=abc"
    error = (
        "ConnectionError: HTTPConnectionPool(host='93.184.216.34', port=80): Max retries "
        "exceeded with url: /services/T1/B2/sEcReT42?token=abc (Caused by NewConnectionError)"
    )
    redacted = text_redact(error, url)
    assert "sEcReT42" not in redacted and "abc" not in redacted.split("url:")[1]
    assert "/services/••••/••••/••••?token=••••" in redacted
