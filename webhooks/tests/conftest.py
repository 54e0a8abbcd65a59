import socket
from collections.abc import Callable

import pytest
from django.conf import settings as django_settings


class FakeDNS:
    """Scripted answers for some names (each call takes the next answer; the last repeats);
    every other name, and IP literals, go to the real resolver."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {}
        self.calls: list[str] = []

    def set(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def getaddrinfo(self, real: Callable, host: str, port: int, *args: object, **kwargs: object):
        if host not in self.answers:
            return real(host, port, *args, **kwargs)
        self.calls.append(host)
        script = self.answers[host]
        addresses = script.pop(0) if len(script) > 1 else script[0]
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *args, **kwargs: fake.getaddrinfo(real, *args, **kwargs)
    )
    return fake


@pytest.fixture(autouse=True)
def _allow_list_restored():
    """A receiver's allow-list override must not outlive the test (see receiver.py)."""
    before = list(django_settings.WEBHOOK_ALLOWED_HOSTS)
    yield
    assert django_settings.WEBHOOK_ALLOWED_HOSTS == before, "WEBHOOK_ALLOWED_HOSTS leaked"
