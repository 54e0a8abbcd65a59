"""What the local fakes of outside services (Stripe, the tax providers, Salesforce, the
marketplaces) share: a quiet request handler, a JSON reply, and a server on a free port of
127.0.0.1 run in a daemon thread, its base URL set on the fake."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def reply(
        self, status: int, body: bytes, content_type: str = "application/json", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status: int, payload: Any, **headers: str) -> None:
        self.reply(status, json.dumps(payload).encode(), **headers)


def serve(handler: type[BaseHTTPRequestHandler], fake: Any) -> ThreadingHTTPServer:
    """Start `handler` on a free local port; `fake.url` is its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
