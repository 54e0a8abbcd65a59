"""Shared set-up for the benchmarks: a fresh PostgreSQL database, migrated, with customers and an
API token; the web tier (bin/web, or gunicorn) on it; event generation. Benchmarks print
figures; they never fail on speed."""

import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
ADMIN_URL = os.environ.get(
    "BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def database_url(name: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def env_for(name: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(name),
        "DATABASE_CONN_MAX_AGE": "600",
        "SECRET_KEY": secrets.token_hex(16),
        "DEBUG": "0",
        # Plain HTTP on localhost: a client keeps HTTPS-only cookies (the DEBUG=0 default) to itself.
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }


def fresh_database(name: str, customers: int) -> tuple[dict[str, str], str]:
    """Drop and create `name`, migrate it, add customers c0..cN (alias = id); returns the
    environment for the project on it and a fresh API token."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = env_for(name)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from customers.services import customer_create\n"
        f"for i in range({customers}):\n"
        "    customer_create(name=f'Customer {i}', ingest_aliases=[f'c{i}'])\n"
        "from billing_console.services import api_token_create\n"
        "print('TOKEN=' + api_token_create(name='bench')[1])\n"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    token = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("TOKEN="))
    return env, token


def django_setup(env: dict[str, str]) -> None:
    """Set Django up in this process on `env` (fresh_database's), for benches that call the
    project's code directly."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_console.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def server_kind() -> str:
    """The web server the benchmarks run: granian through bin/web, or BENCH_SERVER=gunicorn."""
    return os.environ.get("BENCH_SERVER", "granian")


class Server:
    """The project's web tier on 127.0.0.1:port as production runs it: `bin/web` (granian, WSGI,
    `workers` processes of BENCH_THREADS blocking threads, the request deadline on).
    BENCH_SERVER=gunicorn serves it with gunicorn instead, the web server before granian
    (`workers` gthread workers of BENCH_THREADS threads; BENCH_WORKER_CLASS changes the class),
    for comparison. gunicorn keeps idle connections 30 s, as behind a proxy: with its 2 s default
    a client's next request on a connection idle that long can meet the server closing it (a
    connection reset, seen in load runs)."""

    def __init__(
        self, env: dict[str, str], port: int = 8765, workers: int = 3, log_file=None,
        app: str = "billing_console.wsgi",
    ) -> None:  # fmt: skip
        """`log_file`: an open file for the server's output (default: this process's); `app`:
        the WSGI application (modules under bench/ are importable)."""
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.kind = server_kind()
        threads = os.environ.get("BENCH_THREADS", "2")
        if self.kind == "granian":  # bin/web, the production command
            command = [str(ROOT / "bin" / "web")]
            env = {
                **env,
                "WEB_HOST": "127.0.0.1",
                "WEB_PORT": str(port),
                "WEB_WORKERS": str(workers),
                "WEB_THREADS": threads,
                "WEB_APP": app if ":" in app else f"{app}:application",
            }
        else:
            command = [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                app,
                "--pythonpath",
                str(ROOT / "bench"),
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(workers),
                "--worker-class",
                os.environ.get("BENCH_WORKER_CLASS", "gthread"),
                "--threads",
                threads,
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ]
        env = {**env, "PYTHONPATH": str(ROOT / "bench")}  # the ceiling app lives there
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=log_file
        )  # fmt: skip
        deadline = time.time() + 30
        import httpx

        while time.time() < deadline:
            try:
                httpx.get(self.url + "/login/", timeout=1)  # any answer: it is up
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.kind} did not start")

    def pids(self) -> list[int]:
        """The master and its workers."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return pids

    def rss_mb(self) -> float:
        """Resident memory of the master and its workers."""
        total = 0
        for pid in self.pids():
            status = Path(f"/proc/{pid}/status")
            if status.exists():
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def make_batches(
    total: int, customers: int, duplicate_share: float = 0.05, seed: int = 7,
    random_ids: bool = False,
) -> list[list[dict]]:  # fmt: skip
    """`total` events in batches of 100; `duplicate_share` of them repeat an earlier transaction
    id. Ids `bench-0`, `bench-1`, ..., or random 32 hex digits like the UUIDs clients send
    (`random_ids`: each lands on its own page of the dedupe index, not next to the last)."""
    rng = Random(seed)
    now = datetime.now(UTC)
    events, ids = [], []
    for i in range(total):
        if ids and rng.random() < duplicate_share:
            transaction_id = rng.choice(ids)
        else:
            transaction_id = f"{rng.getrandbits(128):032x}" if random_ids else f"bench-{i}"
            ids.append(transaction_id)
        at = now - timedelta(seconds=rng.randint(60, 20 * 86_400))
        events.append({
            "transaction_id": transaction_id, "customer_id": f"c{rng.randrange(customers)}",
            "event_type": "completion", "timestamp": at.isoformat().replace("+00:00", "Z"),
            "properties": {"model": rng.choice(("large", "mini")), "tokens": rng.randint(1, 5000)},
        })  # fmt: skip
    return [events[i : i + 100] for i in range(0, len(events), 100)]


def log(message: str) -> None:
    print(message, flush=True, file=sys.stdout)
