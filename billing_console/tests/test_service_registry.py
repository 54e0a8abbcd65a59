"""/v1/services through the official SDK: the configured addresses, or an empty list."""

import pytest

pytestmark = pytest.mark.sdk


def test_services_list_is_empty_when_not_configured(sdk, settings):
    settings.SERVICE_EGRESS_IPS = []
    settings.SERVICE_INGRESS_IPS = []
    assert sdk.v1.services.list().services == []


def test_services_list_shows_the_configured_addresses(sdk, settings):
    settings.SERVICE_EGRESS_IPS = ["203.0.113.10", "198.51.100.0/24"]
    settings.SERVICE_INGRESS_IPS = ["192.0.2.7"]
    services = sdk.v1.services.list().services
    assert [(s.name, s.usage, s.ips) for s in services] == [
        ("egress", "makes_connections_from", ["203.0.113.10", "198.51.100.0/24"]),
        ("ingress", "accepts_connections_at", ["192.0.2.7"]),
    ]


def test_only_egress_configured(sdk, settings):
    settings.SERVICE_EGRESS_IPS = ["203.0.113.10"]
    settings.SERVICE_INGRESS_IPS = []
    assert [s.usage for s in sdk.v1.services.list().services] == ["makes_connections_from"]
