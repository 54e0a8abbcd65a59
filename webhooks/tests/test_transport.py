"""The pinned POST: the checked address is connected to, while the Host header, TLS SNI and the
certificate check keep the endpoint's name. A self-signed certificate made here, no network."""

import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from webhooks import transport
from webhooks.targets import target_resolve
from webhooks.tests.receiver import receiver

HEADERS = {"Content-Type": "application/json"}
TIMEOUT = (5, 5)


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """A server context for a certificate naming `name` that records the SNI names it is
    offered; the client trusts that certificate (as if a CA had issued it)."""

    def make(name: str) -> tuple[ssl.SSLContext, list[str | None]]:
        cert, key = _certificate(tmp_path, name)
        monkeypatch.setattr(transport, "TLS_VERIFY", str(cert))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        offered: list[str | None] = []
        context.sni_callback = lambda _sock, name, _ctx: offered.append(name)
        return context, offered

    return make


def test_https_to_the_checked_address_keeps_sni_host_and_certificate_name(
    settings, dns, tls_server
):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    context, offered = tls_server("hooks.example.com")
    dns.set("hooks.example.com", ["127.0.0.1"])
    with receiver([200], tls=context, allow=False) as hook:
        url = hook.url.replace("127.0.0.1", "hooks.example.com")
        target = target_resolve(url)
        reply = transport.post(target, url, body=b"{}", headers=HEADERS, timeout=TIMEOUT)
        [got] = hook.wait_for(1)
    assert reply == transport.Reply(200, "ok")
    assert offered == ["hooks.example.com"]
    assert got.headers["Host"] == url.split("/")[2]  # hooks.example.com:<port>
    assert dns.calls == ["hooks.example.com"]  # resolved once, by the check


def test_https_certificate_must_name_the_host_not_the_address(settings, dns, tls_server):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    context, _offered = tls_server("other.example.com")
    dns.set("hooks.example.com", ["127.0.0.1"])
    with receiver([200], tls=context, allow=False) as hook:
        url = hook.url.replace("127.0.0.1", "hooks.example.com")
        with pytest.raises(requests.exceptions.SSLError):
            transport.post(target_resolve(url), url, body=b"{}", headers=HEADERS, timeout=TIMEOUT)
        assert hook.requests == []


def test_userinfo_becomes_basic_auth_and_only_the_start_of_the_body_is_read():
    with receiver([200], reply=b"x" * 100_000) as hook:
        url = hook.url.replace("http://", "http://user:pa%20ss@")
        reply = transport.post(target_resolve(url), url, body=b"{}", headers=HEADERS, timeout=TIMEOUT)  # fmt: skip
        [got] = hook.wait_for(1)
    assert got.headers["Authorization"] == "Basic dXNlcjpwYSBzcw=="  # user:pa ss
    assert reply.body == "x" * transport.BODY_READ_BYTES


def test_the_next_address_is_tried_when_one_cannot_be_connected_to(settings, dns):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.0/8"]
    with receiver([200], host="127.0.0.2", allow=False) as hook:
        port = int(hook.url.split(":")[2].split("/")[0])
        dns.set("hooks.example.com", ["127.0.0.3", "127.0.0.2"])  # nothing listens on .3
        url = f"http://hooks.example.com:{port}/hooks"
        reply = transport.post(target_resolve(url), url, body=b"{}", headers=HEADERS, timeout=TIMEOUT)  # fmt: skip
        assert reply.status_code == 200
        assert len(hook.requests) == 1
