"""The ceiling of any Python ingest front on this stack (bench/ingest.py --ceiling): a WSGI app
that does nothing but run the product's ingest statement on the body as sent. No JSON parsing,
no validation, no token check, no Django request handling: what the web server, psycopg and the
statement cost on their own. Not an API: it stores whatever it is sent."""

import os
import threading
from datetime import UTC, datetime

import django
import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_console.settings")
django.setup()

from usage.services import INGEST_OPEN_SQL  # noqa: E402 -- needs the settings

_local = threading.local()


def application(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":  # the harness's readiness probe
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = psycopg.connect(
            os.environ["DATABASE_URL"], autocommit=True
        )
        connection.execute("SET plan_cache_mode = force_generic_plan")  # as the settings do
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    with connection.cursor() as cursor:
        cursor.execute(
            INGEST_OPEN_SQL,
            {"events": body.decode(), "now": datetime.now(UTC), "covered": 0, "maybe": []},
            prepare=True,
        )
    start_response("200 OK", [("Content-Length", "0")])
    return [b""]
