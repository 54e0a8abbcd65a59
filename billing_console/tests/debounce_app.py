"""A WSGI app for test_debounce's granian run: GET /?KEY gathers KEY in a debouncer whose
window is DEBOUNCE_WINDOW seconds and whose send appends the keys, one line per send, to the
file DEBOUNCE_SENT. Not the product: the product's debouncers (alerts.hooks, invoicing.receivers,
invoicing.refresh_triggers) send tasks instead."""

import os

from billing_console.lib.debounce import Debouncer


def _send(keys: list[str]) -> None:
    with open(os.environ["DEBOUNCE_SENT"], "a") as sent:
        sent.write(" ".join(keys) + "\n")


debouncer = Debouncer(_send)


def application(environ, start_response):
    debouncer.add([environ["QUERY_STRING"]], float(os.environ["DEBOUNCE_WINDOW"]))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
