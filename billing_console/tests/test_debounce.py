"""Aligned debounce windows: keys gathered in a window are sent once, when it ends."""

import os
import threading
import time
from datetime import UTC, datetime
from unittest import mock

import pytest
import time_machine
from pytest import approx

from billing_console.lib.debounce import Debouncer
from billing_console.tests.bin_web import GRANIAN, answer, free_port, get, start

START = datetime(2026, 12, 1, 9, 0, 0, 250_000, tzinfo=UTC)  # a quarter into a 1 s window


def test_keys_of_a_window_are_sent_once_sorted_when_it_ends():
    sent = []
    debouncer = Debouncer(sent.append)
    with time_machine.travel(START, tick=False), mock.patch("threading.Timer") as timer:
        debouncer.add(["b", "a"], 1)
        debouncer.add(["c", "a"], 1)
        timer.assert_called_once()
        assert timer.call_args.args[0] == approx(0.75)  # to the window's aligned end
        assert sent == []
        timer.call_args.args[1]()  # the window ends
    assert sent == [["a", "b", "c"]]
    debouncer.flush()  # nothing left: nothing sent
    assert sent == [["a", "b", "c"]]


def test_the_timer_fires_by_itself_and_the_next_window_starts_afresh():
    sent, fired = [], threading.Event()
    debouncer = Debouncer(lambda keys: (sent.append(keys), fired.set()))
    debouncer.add(["a"], 0.05)
    assert fired.wait(2)
    fired.clear()
    debouncer.add(["b"], 0.05)
    assert fired.wait(2)
    assert sent == [["a"], ["b"]]


def test_a_failing_send_is_logged_and_the_next_window_still_sends(caplog):
    calls = []

    def send(keys):
        calls.append(keys)
        if len(calls) == 1:
            raise ConnectionError("broker down")

    debouncer = Debouncer(send)
    with mock.patch("threading.Timer"):
        debouncer.add(["a"], 1)
        debouncer.flush()
        debouncer.add(["b"], 1)
        debouncer.flush()
    assert calls == [["a"], ["b"]]
    assert "debounced send failed" in caplog.text


def test_clear_drops_what_is_pending():
    sent = []
    debouncer = Debouncer(sent.append)
    debouncer.add(["a"], 60)
    debouncer.clear()
    debouncer.flush()
    assert sent == []


def test_a_forked_child_does_not_wait_for_its_parents_timer():
    sent = []
    debouncer = Debouncer(sent.append)
    with mock.patch("threading.Timer") as timer:
        debouncer.add(["a"], 1)
        with mock.patch("os.getpid", return_value=os.getpid() + 1):
            debouncer.add(["b"], 1)  # the parent's pending key and timer are not the child's
        assert timer.call_count == 2
        debouncer.flush()
    assert sent == [["b"]]


@pytest.mark.skipif(not GRANIAN.exists(), reason="granian is not installed")
def test_keys_gathered_by_a_bin_web_worker_are_sent_when_bin_web_stops(tmp_path):
    """A graceful stop of bin/web (SIGTERM, as a deploy sends) lets the worker's open window
    end and send its keys: the timer is not a daemon thread, and granian's worker exits
    normally."""
    port, sent = free_port(), tmp_path / "sent"
    server = start(
        "billing_console.tests.debounce_app:application", port, tmp_path / "web.log",
        DEBOUNCE_SENT=str(sent), DEBOUNCE_WINDOW="3",
    )  # fmt: skip
    try:
        assert answer(port, "/?warm") is not None, (tmp_path / "web.log").read_text()
        while not sent.exists():  # the warm-up's window ended: a new one starts now
            time.sleep(0.01)
        assert get(port, "/?first")[0] == 200
        assert get(port, "/?second")[0] == 200
        assert sent.read_text() == "warm\n"  # the window is still open
    finally:
        server.terminate()
        server.wait(timeout=30)
    lines = sent.read_text().splitlines()
    assert lines == ["warm", "first second"], (tmp_path / "web.log").read_text()
