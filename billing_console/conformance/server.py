"""A live server on a fresh demo database, as `make run` makes one (migrate, `load_demo`, DEBUG=1),
on a free port, with its own VAR_DIR (and so its own filesystem broker: nothing is queued on a
shared Redis). The database is a temporary SQLite file, served by runserver as `make run` serves
it, or, when DATABASE_URL is set, a new database named `<its name>_sdkconf_<pid>` on the same
server, dropped afterwards (never the database of DATABASE_URL itself, nor the test suite's
`test_<name>`), served by bin/web as production serves it: granian, two worker processes, the
request deadline on."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

DEMO_TOKEN = "bc_demo_token_for_local_use_only"  # load_demo's documented token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres(url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as db:
        db.execute(statement)


@contextmanager
def fresh_database(var: Path) -> Iterator[str]:
    """The DATABASE_URL of a new, empty database; dropped on exit (a SQLite file in var/)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        yield f"sqlite:///{var / 'conformance.sqlite3'}"
        return
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_sdkconf_{os.getpid()}"[-63:]
    _postgres(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _postgres(url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        _postgres(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_until_up(base_url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}; see {log}")
        try:
            answer = httpx.get(
                f"{base_url}/v1/customers",
                headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
                timeout=5,
            )
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer within 90 s; see {log}")


@contextmanager
def demo_server(root: Path, var: Path) -> Iterator[str]:
    """The base URL of a server on a fresh demo database; logs in var/."""
    with fresh_database(var) as database_url:
        env = {**os.environ, "DEBUG": "1", "VAR_DIR": str(var), "DATABASE_URL": database_url}
        env.pop("CELERY_BROKER_URL", None)
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        manage = [sys.executable, str(root / "manage.py")]
        with open(var / "setup.log", "w") as log:
            for command in (["migrate", "--no-input"], ["load_demo"]):
                done = subprocess.run([*manage, *command], env=env, stdout=log, stderr=log)
                if done.returncode:
                    raise SystemExit(f"manage.py {command[0]} failed; see {var / 'setup.log'}")
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = var / "server.log"
        with open(log_path, "w") as log:
            if database_url.startswith("postgres"):
                command = [str(root / "bin" / "web")]
                env.update(WEB_HOST="127.0.0.1", WEB_PORT=str(port), WEB_WORKERS="2",
                           VENV=str(Path(sys.executable).parents[1]))  # fmt: skip
            else:
                command = [*manage, "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"]
            print(
                "serving with",
                "bin/web (granian)" if len(command) == 1 else "runserver",
                flush=True,
            )
            server = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root
            )  # fmt: skip
            try:
                _wait_until_up(base_url, server, log_path)
                yield base_url
            finally:
                server.terminate()
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
