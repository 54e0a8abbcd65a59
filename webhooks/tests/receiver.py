"""A real HTTP receiver for tests: an http.server on 127.0.0.1 in a thread that records every
request and answers with the next scripted status (the last one repeats).

Webhooks go to public addresses only, so while it runs the receiver's address is added to
WEBHOOK_ALLOWED_HOSTS (allow=False leaves the setting alone, to test refusals)."""

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.test import override_settings


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout=timeout)
        return list(self.requests)


class _ThreadingHTTPServer6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@contextmanager
def receiver(
    statuses: list[int] | None = None, *, host: str = "127.0.0.1", port: int = 0,
    allow: bool = True, location: str = "", reply: bytes = b"", tls: ssl.SSLContext | None = None,
) -> Iterator[Receiver]:  # fmt: skip
    """`location`: the Location header of 3xx answers; `reply`: the body of every answer;
    `tls`: serve HTTPS with this server context."""
    state = Receiver(url="", statuses=list(statuses or [200]))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.arrived:
                index = len(state.requests)
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
                state.arrived.notify_all()
            status = state.statuses[min(index, len(state.statuses) - 1)]
            answer = reply or (b"ok" if status < 300 else b"receiver says no")
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            if location and 300 <= status < 400:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server_class = ThreadingHTTPServer if ":" not in host else _ThreadingHTTPServer6
    server = server_class((host, port), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls else "http"
    netloc = f"[{host}]" if ":" in host else host
    state.url = f"{scheme}://{netloc}:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # An override is undone by restoring the settings it found, so a test changes other
    # settings (pytest-django's `settings`) before entering the receiver, not inside it.
    allowed = override_settings(WEBHOOK_ALLOWED_HOSTS=[*settings.WEBHOOK_ALLOWED_HOSTS, host])
    try:
        with allowed if allow else nullcontext():
            yield state
    finally:
        server.shutdown()
        server.server_close()
