"""A WSGI app for test_request_deadline's granian run: /slow sleeps past a 1 s deadline, any
other path answers at once with the worker's pid. Not the product: the product's wsgi module
wraps Django the same way (billing_console/wsgi.py)."""

import os
import time

from billing_console.request_deadline import RequestDeadline


def _app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(30)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


application = RequestDeadline(_app, 1.0, interval=0.1)
