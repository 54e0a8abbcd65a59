"""bin/web (granian) serving a test WSGI app on a free port, for the tests that need the real
server: the request deadline's worker replacement, the debouncer's send at a stop."""

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).parent / "granian"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, timeout: float = 10) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def answer(port: int, path: str = "/") -> tuple[int, str] | None:
    """GET `path` once the server answers (30 s at most)."""
    for _ in range(300):
        try:
            return get(port, path)
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    return None


def start(app: str, port: int, log_path: Path, **env: str) -> subprocess.Popen:
    """bin/web with one worker serving `app` ("module:name") on 127.0.0.1:`port`, its output
    in `log_path`; `env` adds to the environment."""
    with open(log_path, "w") as log:
        return subprocess.Popen(
            [str(ROOT / "bin" / "web")],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "VENV": str(GRANIAN.parents[1]),
                "WEB_HOST": "127.0.0.1",
                "WEB_PORT": str(port),
                "WEB_WORKERS": "1",
                "WEB_APP": app,
                **env,
            },
        )
