"""Shared pieces of the fault runs: a private Redis, Celery worker and beat processes that can be
SIGKILLed, a webhook receiver that verifies signatures and dedupes by webhook-id, and the closing
`lost N, duplicated N` line.

Every process here is started by the run and ended by it (by its own pid or process group),
so a fault run never touches another Redis or another worker.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from _harness import PYTHON, ROOT, log

CELERY = str(ROOT / ".venv" / "bin" / "celery")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


class Redis:
    """A redis-server of our own on a free port, no persistence (a restart starts empty: the
    harshest broker outage, every queued message is gone)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_for(self.ping, 10, 0.1):
            raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


class Celery:
    """`celery worker` or `celery beat` in its own process group, so SIGKILL takes the main
    process and its pool children at once (a machine or container dying)."""

    def __init__(self, env: dict[str, str], kind: str = "worker", concurrency: int = 2) -> None:
        self.env, self.kind, self.concurrency = env, kind, concurrency
        self.process: subprocess.Popen | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix="bc-fault-"))
        self.logfile = self.workdir / f"{kind}.log"

    def start(self) -> None:
        if self.kind == "worker":
            args = ["worker", "-c", str(self.concurrency), "-n", f"fault{os.getpid()}-%i@%h",
                    "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]  # fmt: skip
        else:
            args = ["beat", "-s", str(self.workdir / "beat-schedule"), "--loglevel", "WARNING"]
        with self.logfile.open("a") as out:
            self.process = subprocess.Popen(
                [CELERY, "-A", "billing_console", *args], cwd=ROOT, env=self.env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown, no ack, no cleanup."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        """The end of this process's log (to see why a run did not settle)."""
        if not self.logfile.exists():
            return ""
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    def cleanup(self) -> None:
        self.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def fault_env(env: dict[str, str], broker_url: str, **extra: str) -> dict[str, str]:
    """The project's environment with a real broker (no eager tasks) and a private VAR_DIR."""
    return {
        **env,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "VAR_DIR": tempfile.mkdtemp(prefix="bc-fault-var-"),
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",  # the runs' receivers listen on loopback
        **extra,
    }


def django_run(env: dict[str, str], code: str) -> str:
    """Run `code` in `manage.py shell` on the run's database; returns its stdout."""
    return subprocess.run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def send_task(broker_url: str, name: str, *args) -> None:
    """Enqueue a task by name, as beat does (no Django in this process)."""
    from celery import Celery as CeleryApp

    app = CeleryApp(broker=broker_url)
    try:
        app.send_task(name, args=list(args))
    finally:
        app.close()


class Receiver:
    """A webhook endpoint on 127.0.0.1: verifies the Standard Webhooks signature, records every
    request's webhook-id, applies each webhook-id's effect once (dedupe), and answers 200 after
    `delay` seconds (so a worker can be killed mid-request)."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.secret: str | None = None
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # webhook-id -> requests received
        self.applied: dict[str, dict] = {}  # webhook-id -> payload, first time only
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.handle(dict(self.headers), body)
                time.sleep(receiver.delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the worker was killed while we slept: that is the point

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, headers: dict[str, str], body: bytes) -> None:
        from standardwebhooks.webhooks import Webhook

        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            Webhook(self.secret).verify(body, lowered)
        except Exception:
            with self.lock:
                self.bad_signatures += 1
            return
        webhook_id = lowered["webhook-id"]
        with self.lock:
            self.requests[webhook_id] += 1
            if webhook_id not in self.applied:  # the effect, once per webhook-id
                self.applied[webhook_id] = json.loads(body)

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return sum(self.requests.values()), len(self.applied)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def result_line(lost: int, duplicated: int) -> int:
    """Print the closing line; the exit code for it."""
    log(f"lost {lost}, duplicated {duplicated}")
    return 0 if lost == 0 and duplicated == 0 else 1
