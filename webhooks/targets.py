"""Where outbound webhooks (and Slack messages) may go: public addresses only.

An endpoint URL is checked when it is saved, but the check that matters is the one made at
delivery time: the host is resolved then, every address it resolves to must be public (or
allowed), and the request connects to one of those checked addresses (webhooks/transport.py),
so a DNS answer that changes between the check and the connection cannot redirect it.

WEBHOOK_ALLOWED_HOSTS names exceptions: host names (the URL's host, exactly) and IP addresses or
CIDR networks (every resolved address must be in one, or public).
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

TARGET_INVALID = "url: enter a valid http(s) URL."
TARGET_UNRESOLVED = "url: {host} does not resolve ({reason})."
TARGET_FORBIDDEN = (
    "url: {target} {article} {kind} address; webhooks are sent to public addresses only "
    "(an administrator may allow this host in WEBHOOK_ALLOWED_HOSTS)."
)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Embeds an IPv4 address in its last 32 bits (RFC 6052), which the NAT64 gateway connects to.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefused(Exception):
    """The URL may not be delivered to; `message` names the url field and says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TargetUnresolved(TargetRefused):
    """The host has no address (now): a transient failure at delivery, fine when saving."""


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str  # ASCII (IDNA), no brackets: what TLS verifies and sends as SNI
    host_header: str  # hostname, bracketed if IPv6, with the port if the URL names one
    port: int
    addresses: tuple[str, ...]  # every address the host resolved to, checked, in resolver order


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is not public ("loopback", "private", ...), or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 spellings of an IPv4 address reach that address: judge it instead.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(embedded)
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),  # includes 169.254.169.254 (cloud metadata)
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),  # e.g. 100.64.0.0/10 (carrier-grade NAT)
    )
    return next((kind for kind, hit in checks if hit), None)


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    def allows_address(self, address: IPAddress) -> bool:
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            candidates.append(address.ipv4_mapped)
        return any(a in network for a in candidates for network in self.networks)


def allow_list() -> AllowList:
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        value = entry.strip().lower().removeprefix("[").removesuffix("]")
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            hosts.add(value.rstrip("."))
    return AllowList(hosts=frozenset(hosts), networks=tuple(networks))


def _split(url: str) -> tuple[str, str, int, str]:
    """(scheme, ASCII hostname, port, Host header) of an http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = (parts.hostname or "").rstrip(".")
        if ":" not in hostname:  # an IPv6 literal is ASCII already
            hostname = hostname.encode("idna").decode("ascii")
    except (ValueError, UnicodeError) as err:
        raise TargetRefused(TARGET_INVALID) from err
    if parts.scheme not in DEFAULT_PORTS or not hostname:
        raise TargetRefused(TARGET_INVALID)
    host_header = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None:
        host_header += f":{port}"
    return parts.scheme, hostname, port or DEFAULT_PORTS[parts.scheme], host_header


def _resolve(hostname: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise TargetUnresolved(TARGET_UNRESOLVED.format(host=hostname, reason=reason)) from err
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetUnresolved(TARGET_UNRESOLVED.format(host=hostname, reason="no address"))
    return addresses


def _is_literal(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


def _check(hostname: str, addresses: list[IPAddress]) -> None:
    allowed = allow_list()
    if hostname in allowed.hosts:
        return
    for address in addresses:
        kind = None if allowed.allows_address(address) else address_kind(address)
        if kind is None:
            continue
        target = f"{hostname} is" if _is_literal(hostname) else f"{hostname} resolves to {address},"
        article = "an" if kind[0] in "aeiou" else "a"
        raise TargetRefused(TARGET_FORBIDDEN.format(target=target, article=article, kind=kind))


def target_resolve(url: str) -> Target:
    """Resolve the URL's host now and check every address; TargetRefused if one is not allowed
    (TargetUnresolved if there is none)."""
    scheme, hostname, port, host_header = _split(url)
    addresses = _resolve(hostname, port)
    _check(hostname, addresses)
    return Target(
        scheme=scheme,
        hostname=hostname,
        host_header=host_header,
        port=port,
        addresses=tuple(str(a) for a in addresses),
    )
