import ipaddress

import pytest

from billing_console.api import ApplicationError
from webhooks import services
from webhooks.models import WebhookEndpoint
from webhooks.targets import (
    TargetRefused,
    TargetUnresolved,
    address_kind,
    target_resolve,
)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("::ffff:93.184.216.34", None),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("64:ff9b::5db8:d822", None),  # NAT64 of 93.184.216.34
    ],
)
def test_address_kind(address, kind):
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8080/h", "url: 127.0.0.1 is a loopback address"),
        ("http://10.0.0.1/h", "url: 10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "url: 169.254.169.254 is a link-local"),
        ("http://[::1]:8080/h", "url: ::1 is a loopback address"),
        ("http://[::ffff:10.0.0.1]/h", "url: ::ffff:10.0.0.1 is a private address"),
        ("http://0.0.0.0/h", "url: 0.0.0.0 is an unspecified address"),
        ("http://localhost/h", "url: localhost resolves to 127.0.0.1, a loopback address"),
    ],
)
def test_forbidden_targets_are_refused(settings, url, message):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(TargetRefused) as refused:
        target_resolve(url)
    assert message in refused.value.message
    assert "WEBHOOK_ALLOWED_HOSTS" in refused.value.message


def test_a_name_is_refused_if_any_of_its_addresses_is_not_public(settings, dns):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    dns.set("mixed.example.com", ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(TargetRefused, match=r"resolves to 10\.1\.2\.3, a private address"):
        target_resolve("https://mixed.example.com/h")
    dns.set("public.example.com", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    target = target_resolve("https://public.example.com/h")
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    assert (target.hostname, target.host_header, target.port) == (
        "public.example.com",
        "public.example.com",
        443,
    )


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:9000/h"),
        (["127.0.0.0/8"], "http://127.0.0.1:9000/h"),
        (["10.0.0.0/8"], "http://10.0.0.1/h"),
        (["169.254.169.254"], "http://169.254.169.254/h"),
        (["::1"], "http://[::1]:9000/h"),
        (["[::1]"], "http://[::1]:9000/h"),
        (["127.0.0.1"], "http://[::ffff:127.0.0.1]:9000/h"),
        (["hooks.internal"], "http://hooks.internal/h"),  # by name: whatever it resolves to
        (["HOOKS.internal."], "http://hooks.internal/h"),
        (["10.20.0.0/16"], "http://hooks.internal/h"),  # by network
    ],
)
def test_the_allow_list_names_hosts_and_networks(settings, dns, allowed, url):
    dns.set("hooks.internal", ["10.20.0.7"])
    settings.WEBHOOK_ALLOWED_HOSTS = allowed
    target = target_resolve(url)
    assert target.addresses


def test_the_allow_list_does_not_stretch(settings, dns):
    dns.set("hooks.internal", ["10.20.0.7"])
    dns.set("other.internal", ["10.20.0.8"])
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.internal", "10.30.0.0/16"]
    with pytest.raises(TargetRefused):
        target_resolve("http://other.internal/h")
    with pytest.raises(TargetRefused):
        target_resolve("http://10.20.0.7/h")  # the name is allowed, not its address


def test_host_header_keeps_name_and_explicit_port(settings, dns):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    dns.set("xn--bcher-kva.example", ["93.184.216.34"])
    target = target_resolve("https://bücher.example:8443/h")
    assert (target.hostname, target.host_header, target.port) == (
        "xn--bcher-kva.example",
        "xn--bcher-kva.example:8443",
        8443,
    )
    settings.WEBHOOK_ALLOWED_HOSTS = ["::1"]
    assert target_resolve("http://[::1]:81/h").host_header == "[::1]:81"


def test_unresolvable_and_invalid(dns):
    dns.set("gone.example.com", [])
    with pytest.raises(TargetUnresolved, match="gone.example.com does not resolve"):
        target_resolve("https://gone.example.com/h")
    for url in ("ftp://example.com/", "https:///h", "http://example.com:99999/"):
        with pytest.raises(TargetRefused, match="url: enter a valid"):
            target_resolve(url)


# --- at creation (console and services) ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",
        "http://10.0.0.1/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/hooks",
        "http://rebind.example.com/hooks",  # a name resolving to loopback
    ],
)
def test_create_and_update_refuse_non_public_targets(settings, dns, url):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    dns.set("rebind.example.com", ["127.0.0.1"])
    with pytest.raises(ApplicationError) as refused:
        services.endpoint_create(url=url, kind="slack")
    assert refused.value.message.startswith("url: ")
    assert refused.value.code == "url_forbidden"
    assert WebhookEndpoint.objects.count() == 0

    dns.set("hooks.example.com", ["93.184.216.34"])
    endpoint = services.endpoint_create(url="https://hooks.example.com/h")
    with pytest.raises(ApplicationError, match="^url: "):
        services.endpoint_update(
            endpoint=endpoint, url=url, description="", kind="webhook", event_types=[]
        )
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/h"


@pytest.mark.django_db
def test_create_accepts_allowed_and_not_yet_resolvable_targets(settings, dns):
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.0.0.0/8", "rebind.example.com"]
    dns.set("rebind.example.com", ["127.0.0.1"])
    dns.set("later.example.com", [])
    services.endpoint_create(url="http://10.0.0.1/hooks")
    services.endpoint_create(url="http://rebind.example.com/hooks")
    services.endpoint_create(url="https://later.example.com/hooks")  # checked at delivery
    assert WebhookEndpoint.objects.count() == 3
