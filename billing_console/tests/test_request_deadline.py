"""The web request deadline: a worker busy with one request past WEB_REQUEST_TIMEOUT ends itself,
and granian, as bin/web runs it, puts a new worker in its place that serves the next request."""

import http.client
import logging
import re
import time

import pytest

from billing_console.request_deadline import EXIT_STATUS, RequestDeadline
from billing_console.tests.bin_web import GRANIAN, answer, free_port, get, start


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _deadline(app, seconds=60.0):
    clock, ended = Clock(), []
    return RequestDeadline(app, seconds, clock=clock, end_process=ended.append), clock, ended


def test_a_request_past_its_deadline_ends_the_process_and_names_the_request(caplog):
    seen = {}

    def app(environ, start_response):
        clock.now += 61  # the request runs 61 s
        seen["overdue"] = deadline.overdue()  # the watchdog's look while it still runs
        return [b"late"]

    deadline, clock, ended = _deadline(app)
    with caplog.at_level(logging.ERROR, logger="billing_console.request_deadline"):
        deadline({"REQUEST_METHOD": "GET", "PATH_INFO": "/invoices/"}, None)
    assert seen["overdue"] is True and ended == [EXIT_STATUS]
    assert "GET /invoices/ ran for 61 s, past the 60.0 s deadline" in caplog.text
    assert deadline.in_flight == {}  # the request left the table when it returned


def test_requests_within_their_deadline_or_finished_are_left_alone():
    seen = {}

    def app(environ, start_response):
        clock.now += 59
        seen["overdue"] = deadline.overdue()
        return [b"ok"]

    deadline, clock, ended = _deadline(app)
    assert deadline({"REQUEST_METHOD": "POST", "PATH_INFO": "/v1/ingest"}, None) == [b"ok"]
    clock.now += 3600  # long after it returned
    assert seen["overdue"] is False and deadline.overdue() is False and ended == []


def test_a_request_that_raises_leaves_the_table():
    def app(environ, start_response):
        raise ValueError("boom")

    deadline, clock, ended = _deadline(app)
    with pytest.raises(ValueError):
        deadline({"PATH_INFO": "/"}, None)
    clock.now += 3600
    assert deadline.in_flight == {} and deadline.overdue() is False and ended == []


def test_off_at_zero_seconds_as_under_runserver():
    deadline, clock, ended = _deadline(lambda environ, start_response: [b"ok"], seconds=0)
    assert deadline({"PATH_INFO": "/"}, None) == [b"ok"]
    assert deadline.watchdog_pid == 0 and deadline.in_flight == {}  # no watchdog, no table


def test_the_product_is_served_behind_the_deadline(settings):
    from billing_console import wsgi

    assert isinstance(wsgi.application, RequestDeadline)
    assert wsgi.application.seconds == settings.WEB_REQUEST_TIMEOUT == 0  # off unless set


@pytest.mark.skipif(not GRANIAN.exists(), reason="granian is not installed")
def test_bin_web_replaces_the_worker_that_ran_past_its_deadline(tmp_path):
    """bin/web with one worker serving an app whose deadline is 1 s: /slow (30 s of sleep) is
    cut off after about a second, and a new worker (another pid) answers the next request."""
    port = free_port()
    server = start("billing_console.tests.deadline_app:application", port, tmp_path / "web.log")
    try:
        first = answer(port)
        assert first is not None and first[0] == 200, (tmp_path / "web.log").read_text()
        started = time.monotonic()
        with pytest.raises((OSError, http.client.HTTPException)):
            get(port, "/slow", timeout=25)
        assert time.monotonic() - started < 10  # cut off near the deadline, not after 30 s
        second = answer(port)
        assert second is not None and second[0] == 200 and second[1] != first[1]
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = (tmp_path / "web.log").read_text()
    assert re.search(r"GET /slow ran for \d+ s, past the 1.0 s deadline", text), text
